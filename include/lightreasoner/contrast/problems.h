// The one reading of `data.path` for every command that trains (sample, sft with reference
// solutions, sft's rejection sampling): a jsonl file of GSM8K, MATH or Qwen2.5-Math-eval records;
// the question is the first of `question` | `problem` | `input`, the reference solution (when
// present) the first of `answer` | `solution`; the id is `id` or `idx` (a string or an integer)
// when present, else "line-N", and ids must be unique. With data.shuffle the whole file is
// shuffled by seeded_shuffle (core/shuffle.h: the same order on every platform) before the first
// max_problems are taken. Bad or empty records stop with file:line or are counted, per the policy.
// No prompts or tokens here; eval reads its data sets the toolkit's way (eval/dataset.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/io/jsonl.h"

namespace lightreasoner::contrast {

struct Problem {
  std::string id;
  std::string question;
  std::optional<std::string> solution;  // answer | solution, when the record has one
  io::JsonlRecord record;               // the whole record (graders parse their gold from it)
  std::string where() const { return record.where(); }
};

struct ProblemSet {
  std::vector<Problem> problems;
  int64_t skipped = 0;       // bad records skipped under the skip policy
  std::string skip_summary;  // first reason, for the log
};

// The id rule: "id" or "idx" (string, or integer written in decimal), else "line-N".
std::string problem_id(const io::JsonlRecord& record);

// max_problems 0 = all. With shuffle, the whole file is shuffled with `seed` before taking.
ProblemSet load_problems(const std::filesystem::path& path, int64_t max_problems, bool shuffle, uint64_t seed,
                         io::BadRecordPolicy policy);
// The same from the run config's data section and seed.
ProblemSet load_problems(const config::DataConfig& data, int64_t seed);

}  // namespace lightreasoner::contrast
