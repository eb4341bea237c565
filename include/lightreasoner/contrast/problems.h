// The problems `sample` reads (docs/formats.md#problems-file): a jsonl file of GSM8K, MATH or Qwen2.5-Math-eval
// records; the question is the first of `question` | `problem` | `input`, the id is `id` or
// `idx` when present, else "line-N". Takes the first max_problems in file order or after a
// seeded shuffle. Bad or empty records stop with file:line or are counted, per the policy.
// No prompts or tokens here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lightreasoner/io/jsonl.h"

namespace lightreasoner::contrast {

struct Problem {
  std::string id;
  std::string question;
  std::string where;  // file:line
};

struct ProblemSet {
  std::vector<Problem> problems;
  int64_t skipped = 0;       // bad records skipped under the skip policy
  std::string skip_summary;  // first reason, for the log
};

// max_problems 0 = all. With shuffle, the whole file is shuffled with `seed` before taking.
ProblemSet load_problems(const std::filesystem::path& path, int64_t max_problems, bool shuffle, uint64_t seed,
                         io::BadRecordPolicy policy);

}  // namespace lightreasoner::contrast
