// `lightreasoner sft`: the paper's supervised baseline (docs/method.md#sft-baseline) and plain full
// fine-tuning. Examples are (problem, reference solution) pairs from data.path — GSM8K "answer",
// MATH "solution" — or, with sft.source=rejection, the model's own greedy rollouts that the eval
// grader judges correct (rejection.h) — rendered with the run's prompt template; the loss is token cross-entropy
// over the completion (+ eos) through the same trainer as `train`. With sft.full_finetune every
// weight trains and the output is a whole model directory; otherwise a PEFT adapter.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/train/run_train.h"

namespace lightreasoner::train {

struct SftExample {
  std::string id;
  std::string question;
  std::string completion;  // the text the model is trained to write
  std::string where;       // file:line
};

// question | problem | input, and answer | solution; id | idx or "line-N". Takes the first
// max_problems (0 = all); bad records stop or are skipped per data.on_bad_record.
std::vector<SftExample> load_sft_examples(const config::DataConfig& data);

TrainRunReport run_sft(const config::RunConfig& config, bool resume);

}  // namespace lightreasoner::train
