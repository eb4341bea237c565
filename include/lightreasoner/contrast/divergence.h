// Per-step distributions and divergences of the method (docs/method.md#kl-and-selection): fp32 log-softmax of
// expert and amateur logits over their shared vocabulary (the first min(V_E, V_A) columns), the
// per-step KL(πE‖πA) over that full vocabulary, and the KL ≥ β step selection. Pure tensor
// functions: they run on whatever device the inputs live on and never move data to the host.
// Masks and soft targets are in targets.h; the chunked driver is in builder.h.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <utility>

#include "lightreasoner/config/run_config.h"

namespace lightreasoner::contrast {

// The official code adds ε = 1e-12 to both probabilities before taking logs. We floor the
// log-probabilities at log(ε) instead: identical wherever p ≫ ε (every token that matters), and
// it keeps -inf (masked logits, underflow at ±1e4) out of the arithmetic, so no NaN/inf appears.
constexpr double kProbabilityFloor = 1e-12;
inline double log_probability_floor() { return std::log(kProbabilityFloor); }

// [N, V_E] and [N, V_A] logits (any float dtype) → fp32 log-softmax at temperature 1 of each, over
// the first min(V_E, V_A) columns: ([N, V], [N, V]).
std::pair<torch::Tensor, torch::Tensor> shared_log_probs(const torch::Tensor& expert_logits,
                                                         const torch::Tensor& amateur_logits);

// KL_t = Σ_a πE(a) (log πE(a) − log πA(a)) for every row, with log-probs floored at
// log(kProbabilityFloor) inside the difference. [N, V] fp32 log-probs → [N] fp32.
torch::Tensor kl_per_step(const torch::Tensor& expert_log_probs, const torch::Tensor& amateur_log_probs);

// Defaults are the config's (run_config.h), written once there.
struct SelectionOptions {
  bool enabled = config::SelectionConfig{}.enabled;  // false keeps every step (the "no selection" ablation)
  double beta = config::SelectionConfig{}.beta;      // keep step t iff KL_t >= beta
  bool skip_first_step = config::SampleConfig{}.skip_first_step;  // never keep t = 0 (the official code)
};

// [N] KL and [N] int64 rollout step index t of each row → [N] bool: which steps are kept.
torch::Tensor select_steps(const torch::Tensor& kl, const torch::Tensor& step_index, const SelectionOptions& options);

}  // namespace lightreasoner::contrast
