// The α plausibility mask on the expert and the soft training targets of docs/method.md (Targets): `contrast`
// = softmax(log πE − log πA) on the mask, `expert` = πE renormalised on the mask, `onehot` = the
// expert's argmax (the paper's ablations), and their sparse form (row, id, probability) that is
// all that leaves the device. Pure fp32 tensor functions on the inputs' device; no selection here.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace lightreasoner::contrast {

enum class TargetKind { kContrast, kExpert, kOnehot };
TargetKind parse_target_kind(const std::string& name);  // "contrast" | "expert" | "onehot"
std::string target_kind_name(TargetKind kind);

// M = {a : πE(a) >= alpha · max_b πE(b)}, decided in log space: [N, V] log πE → [N, V] bool.
// Always holds the argmax (alpha <= 1). alpha = 0 keeps every token of non-zero probability.
torch::Tensor plausibility_mask(const torch::Tensor& expert_log_probs, double alpha);

// The tokens that carry target mass: the mask, or only the argmax for kOnehot. [N, V] bool.
torch::Tensor target_support(TargetKind kind, const torch::Tensor& expert_log_probs, const torch::Tensor& mask);

// Dense targets [N, V] fp32, zero off the support, each row summing to 1.
torch::Tensor dense_targets(TargetKind kind, const torch::Tensor& expert_log_probs,
                            const torch::Tensor& amateur_log_probs, const torch::Tensor& mask);

// Fast path of dense_targets for one step, given only the log-probs at its support (K entries
// instead of V columns; computed in double): the same floored score and softmax per kind.
std::vector<float> targets_on_support(TargetKind kind, const float* expert_log_probs, const float* amateur_log_probs,
                                      size_t count);

}  // namespace lightreasoner::contrast
