// Logits processors and token selectors (see the header). Everything stays on the logits'
// device: no .item(), no host copies, so a decode step can run without a sync.
#include "lightreasoner/generate/logits_processors.h"

#include <ATen/CPUGeneratorImpl.h>

#include <limits>

#include "lightreasoner/core/error.h"

namespace lightreasoner::generate {
namespace {
constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
}

void SamplingParams::validate() const {
  LR_CHECK(temperature >= 0.0, "temperature must be >= 0 (got " << temperature << ")");
  LR_CHECK(top_k >= 0, "top_k must be >= 0 (got " << top_k << ")");
  LR_CHECK(top_p > 0.0 && top_p <= 1.0, "top_p must be in (0, 1] (got " << top_p << ")");
  LR_CHECK(min_p >= 0.0 && min_p <= 1.0, "min_p must be in [0, 1] (got " << min_p << ")");
}

torch::Tensor apply_temperature(const torch::Tensor& logits, double temperature) {
  LR_CHECK(temperature > 0.0, "temperature must be > 0 to rescale logits (got " << temperature << ")");
  return temperature == 1.0 ? logits : logits / temperature;
}

torch::Tensor apply_top_k(const torch::Tensor& logits, int64_t k) {
  if (k <= 0 || k >= logits.size(-1)) return logits;
  auto kth = std::get<0>(logits.topk(k, -1)).narrow(-1, k - 1, 1);  // [B, 1]
  return logits.masked_fill(logits < kth, kMinusInf);
}

torch::Tensor apply_top_p(const torch::Tensor& logits, double p) {
  if (p >= 1.0) return logits;
  auto [sorted, order] = logits.sort(-1, /*descending=*/false);  // ascending, as HF
  auto cumulative = sorted.softmax(-1).cumsum(-1);                // [B, V]
  auto remove_sorted = cumulative <= (1.0 - p);
  remove_sorted.narrow(-1, remove_sorted.size(-1) - 1, 1).fill_(false);  // keep the most probable
  auto remove = torch::zeros_like(remove_sorted).scatter(-1, order, remove_sorted);
  return logits.masked_fill(remove, kMinusInf);
}

torch::Tensor apply_min_p(const torch::Tensor& logits, double min_p) {
  if (min_p <= 0.0) return logits;
  auto probs = logits.softmax(-1);
  auto threshold = std::get<0>(probs.max(-1, /*keepdim=*/true)) * min_p;  // [B, 1]
  return logits.masked_fill(probs < threshold, kMinusInf);
}

torch::Tensor process_logits(const torch::Tensor& logits, const SamplingParams& params) {
  auto out = apply_temperature(logits, params.temperature);
  out = apply_top_k(out, params.top_k);
  out = apply_top_p(out, params.top_p);
  return apply_min_p(out, params.min_p);
}

torch::Tensor select_greedy(const torch::Tensor& logits) { return logits.argmax(-1); }

torch::Tensor select_sample(const torch::Tensor& logits, at::Generator& generator) {
  auto probs = logits.to(torch::kFloat32).softmax(-1);                     // [B, V]
  auto noise = torch::empty_like(probs).exponential_(1.0, generator);     // Exp(1) per entry
  return (probs / noise).argmax(-1);  // = a draw from probs, without multinomial's host sync
}

at::Generator make_generator(const torch::Device& device, uint64_t seed) {
  at::Generator generator = device.is_cpu() ? at::detail::createCPUGenerator(seed)
                                            : at::globalContext().defaultGenerator(device).clone();
  generator.set_current_seed(seed);
  return generator;
}

torch::Tensor next_tokens(const torch::Tensor& logits, const SamplingParams& params, at::Generator& generator) {
  if (params.greedy()) return select_greedy(logits);
  return select_sample(process_logits(logits, params), generator);
}

}  // namespace lightreasoner::generate
