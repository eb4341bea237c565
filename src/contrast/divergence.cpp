// Shared-vocabulary fp32 log-softmax, per-step KL(πE‖πA) and the KL ≥ β selection.
// Everything stays on the inputs' device; shapes are checked and mismatches named.
#include "lightreasoner/contrast/divergence.h"

#include <algorithm>

#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

std::pair<torch::Tensor, torch::Tensor> shared_log_probs(const torch::Tensor& expert_logits,
                                                         const torch::Tensor& amateur_logits) {
  LR_CHECK(expert_logits.dim() == 2 && amateur_logits.dim() == 2,
           "logits must be [positions, vocab]: expert has " << expert_logits.sizes() << ", amateur has "
                                                            << amateur_logits.sizes());
  LR_CHECK(expert_logits.size(0) == amateur_logits.size(0),
           "expert and amateur logits must cover the same positions: expert " << expert_logits.size(0)
                                                                              << ", amateur " << amateur_logits.size(0));
  const int64_t vocab = std::min(expert_logits.size(1), amateur_logits.size(1));
  LR_CHECK(vocab > 0, "empty vocabulary: expert " << expert_logits.size(1) << ", amateur " << amateur_logits.size(1));
  // Softmax in fp32 whatever the model dtype: bf16 log-probs are too coarse for KL and ratios.
  torch::Tensor expert = expert_logits.narrow(1, 0, vocab).to(torch::kFloat32).log_softmax(-1);    // [N, V]
  torch::Tensor amateur = amateur_logits.narrow(1, 0, vocab).to(torch::kFloat32).log_softmax(-1);  // [N, V]
  return {expert, amateur};
}

torch::Tensor kl_per_step(const torch::Tensor& expert_log_probs, const torch::Tensor& amateur_log_probs) {
  LR_CHECK(expert_log_probs.sizes() == amateur_log_probs.sizes(),
           "KL needs equal shapes: expert " << expert_log_probs.sizes() << ", amateur " << amateur_log_probs.sizes());
  const double floor = log_probability_floor();
  torch::Tensor expert_probs = expert_log_probs.exp();  // [N, V]; exactly 0 where log πE = -inf
  // Floored difference is finite everywhere, so 0 · (finite) = 0 where πE = 0: no NaN.
  torch::Tensor log_ratio = expert_log_probs.clamp_min(floor) - amateur_log_probs.clamp_min(floor);  // [N, V]
  return (expert_probs * log_ratio).sum(-1);  // [N]
}

torch::Tensor select_steps(const torch::Tensor& kl, const torch::Tensor& step_index, const SelectionOptions& options) {
  LR_CHECK(kl.dim() == 1 && step_index.dim() == 1 && kl.size(0) == step_index.size(0),
           "selection needs [N] KL and [N] step indices, got " << kl.sizes() << " and " << step_index.sizes());
  torch::Tensor keep = options.enabled ? kl.ge(options.beta) : torch::ones_like(kl, kl.options().dtype(torch::kBool));
  if (options.skip_first_step) keep = keep.logical_and(step_index.to(kl.device()).ne(0));
  return keep;  // [N] bool
}

}  // namespace lightreasoner::contrast
