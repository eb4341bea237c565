// The `sample` pipeline (docs/method.md#rollouts to #targets): expert rollouts (batched generation), one
// teacher-forced forward of the expert and of the amateur over the exact rollout ids, per-step
// KL, selection, masks and soft targets (builder.h), appended batch by batch to contrast.jsonl
// with contrast.meta.json beside it. A rerun with the same config resumes where a killed run
// stopped. Also the scoring step on its own (for tests and benchmarks).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/contrast/builder.h"
#include "lightreasoner/contrast/meta.h"
#include "lightreasoner/model/transformer.h"

namespace lightreasoner::contrast {

// Path, config hash and weights checksum of a model directory.
ModelIdentity identify_model(const std::filesystem::path& dir);

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

struct SampleTimings {
  double generation_seconds = 0;
  double scoring_seconds = 0;  // both models' forwards + KL, selection, masks, targets
  double writing_seconds = 0;  // decoding text and appending lines
};

struct SampleReport {
  std::filesystem::path dataset;
  ContrastMeta meta;            // as written at the end
  int64_t resumed_rollouts = 0; // lines already present when this run started
  int64_t new_rollouts = 0;
  SampleTimings timings;
};

// Runs (or resumes) sampling into config.output_dir. Throws Error on bad config, mismatched
// tokenizers, an incompatible existing dataset, or bad input under the "stop" policy.
SampleReport run_sample(const config::RunConfig& config);

}  // namespace lightreasoner::contrast
