// The `eval` recipes: a model (+ adapter) named by a RunConfig generating and grading over the
// config's eval data sets, and grading completions produced elsewhere (--grade). Each owns its output
// directory (lock, predictions.jsonl, summary.json, resume); the steps are eval/'s building blocks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/eval/grading.h"
#include "lightreasoner/io/jsonl.h"

namespace lightreasoner::pipeline {

struct ModelEvalOptions {
  std::filesystem::path out_dir;
  bool resume = true;
  eval::MathEqualOptions grading;
  io::BadRecordPolicy bad_records = io::BadRecordPolicy::kStop;
  // A model or adapter that train/sft wrote records its training prompt; eval refuses a template that
  // renders another one unless this is set (a base model deliberately scored in a format it was not
  // tuned to, as the paper's base rows).
  bool any_template = false;
};

// Evaluates config.expert (path, adapter, dtype) on config.eval's data sets on config.device.
eval::EvalSummary run_model_eval(const config::RunConfig& config, const ModelEvalOptions& options);

struct GradeOptions {
  std::filesystem::path records;  // a .jsonl of data set records, each with a string 'completion'
  std::string dataset;            // the data set the records come from (its fields and grading)
  std::string data_name;          // the toolkit data_name when `dataset` is not one
  std::string prompt_type = "qwen25-math-cot";  // selects the stop strings
  std::filesystem::path out_dir;
  bool resume = true;
  int64_t limit = 0;  // only the first N records, 0 = all
  eval::MathEqualOptions grading;
  io::BadRecordPolicy bad_records = io::BadRecordPolicy::kStop;
};

struct GradeReport {
  eval::EvalSummary summary;
  int64_t skipped = 0;  // bad records skipped under BadRecordPolicy::kSkip
};

// Grades the completions in options.records as the toolkit would have graded them.
GradeReport run_grade(const GradeOptions& options);

}  // namespace lightreasoner::pipeline
