// The `sft` recipe: the paper's supervised baseline (docs/method.md#sft-baseline) and plain full fine-tuning.
// Examples are (problem, reference solution) pairs from data.path (train/sft.h) or, with
// sft.source=rejection, the model's own greedy rollouts the eval grader judges correct
// (pipeline/rejection.h); rendered with the run's prompt template; token cross-entropy over the
// completion (+ eos) through the same trainer as `train`. With sft.full_finetune every weight
// trains and the output is a whole model directory; otherwise a PEFT adapter.
#pragma once

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/pipeline/train.h"

namespace lightreasoner::pipeline {

TrainRunReport run_sft(const config::RunConfig& config, bool resume);

}  // namespace lightreasoner::pipeline
