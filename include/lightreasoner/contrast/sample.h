// The scoring step of `sample` (docs/method.md#rollouts to #targets): one teacher-forced forward of the expert and
// of the amateur over the exact rollout ids, then per-step KL, selection, masks and soft targets
// (builder.h). A pure step: no config, files or ranks — the recipe is pipeline/sample.h.
#pragma once

#include <vector>

#include "lightreasoner/contrast/builder.h"
#include "lightreasoner/model/transformer.h"

namespace lightreasoner::contrast {

struct ScoredRollouts {
  ContrastResult result;                  // positions of all rows, concatenated in row order
  std::vector<int64_t> first_position;    // row i's steps start at first_position[i]
};

// Where scoring's time goes (for benchmarks): the two models' bodies, their lm_heads at the scored
// positions, and everything else (log-softmax, KL, selection, masks, targets, copies to the host).
// Measuring syncs the device at each boundary, so pass it only when the split is wanted.
struct ScoreTimings {
  double body_seconds = 0;
  double lm_head_seconds = 0;
  double targets_seconds = 0;
};

// Teacher-forced scoring of finished rollouts: row i is prompts[i] + completions[i]; step t of
// row i is scored at the position that predicts completions[i][t]. Both models see the exact ids.
ScoredRollouts score_rollouts(model::CausalLM& expert, model::CausalLM& amateur,
                              const std::vector<std::vector<int64_t>>& prompts,
                              const std::vector<std::vector<int64_t>>& completions, const ContrastOptions& options,
                              ScoreTimings* timings = nullptr);

}  // namespace lightreasoner::contrast
