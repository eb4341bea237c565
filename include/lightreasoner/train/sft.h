// `lightreasoner sft`: the paper's supervised baseline (method.md §2.3) and plain full
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

namespace lightreasoner::train {

struct SftExample {
  std::string id;
  std::string question;
  std::string completion;  // the text the model is trained to write
  std::string where;       // file:line
};

// The problems of data.path (contrast/problems.h: its id rule, data.shuffle with `seed`, the first
// max_problems) that have a reference solution; a record without one stops or is skipped per
// data.on_bad_record.
std::vector<SftExample> load_sft_examples(const config::DataConfig& data, int64_t seed);

}  // namespace lightreasoner::train
