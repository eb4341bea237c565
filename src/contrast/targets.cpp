// α-mask, the three target kinds, and the dense → sparse extraction of the targets.
// Scores and softmaxes are fp32 on the inputs' device; -inf marks "off the mask" before softmax.
#include "lightreasoner/contrast/targets.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lightreasoner/contrast/divergence.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

TargetKind parse_target_kind(const std::string& name) {
  if (name == "contrast") return TargetKind::kContrast;
  if (name == "expert") return TargetKind::kExpert;
  if (name == "onehot") return TargetKind::kOnehot;
  LR_FAIL("target kind must be one of contrast, expert, onehot (got '" << name << "')");
}

std::string target_kind_name(TargetKind kind) {
  switch (kind) {
    case TargetKind::kContrast: return "contrast";
    case TargetKind::kExpert: return "expert";
    case TargetKind::kOnehot: return "onehot";
  }
  return "?";
}

torch::Tensor plausibility_mask(const torch::Tensor& expert_log_probs, double alpha) {
  LR_CHECK(alpha >= 0.0 && alpha <= 1.0, "alpha must be in [0, 1] (got " << alpha << ")");
  LR_CHECK(expert_log_probs.dim() == 2, "mask needs [N, V] log-probs, got " << expert_log_probs.sizes());
  if (alpha == 0.0) return expert_log_probs.gt(-std::numeric_limits<float>::infinity());
  torch::Tensor row_max = std::get<0>(expert_log_probs.max(-1, /*keepdim=*/true));  // [N, 1]
  return expert_log_probs.ge(row_max + std::log(alpha));                            // [N, V]
}

torch::Tensor target_support(TargetKind kind, const torch::Tensor& expert_log_probs, const torch::Tensor& mask) {
  if (kind != TargetKind::kOnehot) return mask;
  torch::Tensor argmax = expert_log_probs.argmax(-1, /*keepdim=*/true);  // [N, 1]
  return torch::zeros_like(mask).scatter_(1, argmax, true);            // [N, V]
}

torch::Tensor dense_targets(TargetKind kind, const torch::Tensor& expert_log_probs,
                            const torch::Tensor& amateur_log_probs, const torch::Tensor& mask) {
  LR_CHECK(expert_log_probs.sizes() == amateur_log_probs.sizes() && mask.sizes() == expert_log_probs.sizes(),
           "targets need equal shapes: expert " << expert_log_probs.sizes() << ", amateur "
                                                << amateur_log_probs.sizes() << ", mask " << mask.sizes());
  const float off_mask = -std::numeric_limits<float>::infinity();
  switch (kind) {
    case TargetKind::kContrast: {
      const double floor = log_probability_floor();
      torch::Tensor score = expert_log_probs.clamp_min(floor) - amateur_log_probs.clamp_min(floor);  // [N, V]
      return score.masked_fill(mask.logical_not(), off_mask).softmax(-1);
    }
    case TargetKind::kExpert:
      return expert_log_probs.masked_fill(mask.logical_not(), off_mask).softmax(-1);
    case TargetKind::kOnehot:
      return target_support(kind, expert_log_probs, mask).to(torch::kFloat32);
  }
  LR_FAIL("unknown target kind");
}

std::vector<float> targets_on_support(TargetKind kind, const float* expert_log_probs, const float* amateur_log_probs,
                                      size_t count) {
  LR_CHECK(count > 0, "a target needs a non-empty support");
  if (kind == TargetKind::kOnehot) {
    LR_CHECK(count == 1, "a one-hot target has one token, got " << count);
    return {1.0f};
  }
  const double floor = log_probability_floor();
  std::vector<double> score(count);
  for (size_t k = 0; k < count; ++k) {
    score[k] = kind == TargetKind::kContrast
                   ? std::max<double>(expert_log_probs[k], floor) - std::max<double>(amateur_log_probs[k], floor)
                   : expert_log_probs[k];
  }
  const double top = *std::max_element(score.begin(), score.end());
  double sum = 0;
  for (double& x : score) sum += (x = std::exp(x - top));
  std::vector<float> probs(count);
  for (size_t k = 0; k < count; ++k) probs[k] = static_cast<float>(score[k] / sum);
  return probs;
}

}  // namespace lightreasoner::contrast
