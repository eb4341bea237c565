// SFT examples (docs/method.md#sft-baseline): the problems of data.path (contrast/problems.h) that
// carry a reference solution — GSM8K "answer", MATH "solution" — as (id, question, completion).
// Rejection-sampled examples are rejection.h's; the `sft` recipe that trains on either is
// pipeline/sft.h.
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
