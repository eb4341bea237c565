// The `sample` recipe (docs/method.md#rollouts to #targets) over the domain steps: problems (contrast/problems.h),
// expert rollouts (generate/), teacher-forced scoring of both models with KL, selection, masks and
// soft targets (contrast/sample.h score_rollouts), appended batch by batch to
// <output_dir>/contrast.jsonl with contrast.meta.json beside it. This layer owns the run config,
// the output directory, data parallelism (dist::world(): rank r runs batches k ≡ r mod W, into its
// part file) and resume (a rerun with the same settings continues where a killed run stopped; other
// settings are refused unless --resample).
#pragma once

#include <filesystem>
#include <memory>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/contrast/meta.h"

namespace lightreasoner::model {
class CausalLM;  // model/transformer.h (not included: the CLI's sample command needs no LibTorch header)
}  // namespace lightreasoner::model

namespace lightreasoner::pipeline {

struct SampleTimings {
  double generation_seconds = 0;
  double scoring_seconds = 0;  // both models' forwards + KL, selection, masks, targets
  double writing_seconds = 0;  // decoding text and appending lines
};

struct SampleReport {
  std::filesystem::path dataset;
  contrast::ContrastMeta meta;   // as written at the end
  int64_t resumed_rollouts = 0;  // lines already present when this run started
  int64_t new_rollouts = 0;
  SampleTimings timings;
};

// Removes a dataset, its meta and the part files of an interrupted data-parallel run (what
// --resample discards before sampling again).
void discard_dataset(const std::filesystem::path& dataset);

// Runs (or resumes) sampling into config.output_dir. Throws Error on bad config, mismatched
// tokenizers, an incompatible existing dataset (unless `resample`: it is discarded first), or bad
// input under the "stop" policy. `expert`: the expert model already loaded (by `train`, which
// trains it next, so that it is loaded once per command); null: loaded here.
SampleReport run_sample(const config::RunConfig& config, bool resample = false,
                        std::shared_ptr<model::CausalLM> expert = nullptr);

}  // namespace lightreasoner::pipeline
