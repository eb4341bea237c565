// Inverted dropout with a parallel, counter-based keep mask on the CPU (dropout.h). The mask is a
// pure function of (key, element index), so the parallel fill equals the serial reference bit for
// bit whatever the thread count and split.
#include "lightreasoner/model/dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <mutex>

#include "lightreasoner/core/error.h"

namespace lightreasoner::model {

namespace {

constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ULL;

// splitmix64's output function (Steele, Lea, Flood 2014): a bijective mix of a 64-bit counter.
inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Element i is kept when the top 53 bits of its hash, as a fraction of 2^53, are ≥ p: an integer
// threshold, so no floating-point rounding decides a keep.
inline uint64_t keep_threshold(double p) { return static_cast<uint64_t>(p * 9007199254740992.0); }  // p · 2^53

inline float mask_value(uint64_t key, int64_t i, uint64_t threshold, float scale) {
  return (mix(key + static_cast<uint64_t>(i) * kGoldenGamma) >> 11) >= threshold ? scale : 0.0f;
}

void check_probability(double p) {
  LR_CHECK(p >= 0.0 && p < 1.0, "dropout probability must be in [0, 1) (got " << p << ")");
}

uint64_t draw_key() {
  auto generator = at::globalContext().defaultGenerator(torch::kCPU);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
}

}  // namespace

torch::Tensor dropout_mask(int64_t numel, uint64_t key, double p) {
  check_probability(p);
  auto mask = torch::empty({numel}, torch::kFloat32);
  float* out = mask.data_ptr<float>();
  const uint64_t threshold = keep_threshold(p);
  const auto scale = static_cast<float>(1.0 / (1.0 - p));
  at::parallel_for(0, numel, /*grain_size=*/32768, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = mask_value(key, i, threshold, scale);
  });
  return mask;
}

torch::Tensor dropout_mask_reference(int64_t numel, uint64_t key, double p) {
  check_probability(p);
  auto mask = torch::empty({numel}, torch::kFloat32);
  auto values = mask.accessor<float, 1>();
  const uint64_t threshold = keep_threshold(p);
  const auto scale = static_cast<float>(1.0 / (1.0 - p));
  for (int64_t i = 0; i < numel; ++i) values[i] = mask_value(key, i, threshold, scale);
  return mask;
}

torch::Tensor training_dropout(const torch::Tensor& x, double p) {
  check_probability(p);
  if (p == 0.0) return x;
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat32) return torch::dropout(x, p, /*train=*/true);
  return x * dropout_mask(x.numel(), draw_key(), p).view(x.sizes());
}

}  // namespace lightreasoner::model
