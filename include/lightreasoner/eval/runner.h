// The eval loop, independent of where completions come from: a CompletionSource (a batch of
// prompts in, completions out) is either the completions given in a --grade file or the
// model-backed generator (model_eval.h). The runner orders work by prompt length, calls the source in batches,
// cuts completions at the template's stop strings, extracts, grades, appends predictions.jsonl
// (flushed per batch, resumable after a kill) and writes summary.json atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lightreasoner/eval/dataset.h"
#include "lightreasoner/eval/math_equal.h"
#include "lightreasoner/io/jsonl.h"

namespace lightreasoner::eval {

struct Completion {
  std::string text;
  std::string finish_reason = "stop";  // "stop", "length" (unfinished), or "given" (--grade)
  int64_t tokens = 0;                  // generated tokens (0 when unknown)
  std::vector<int64_t> token_ids;      // the generated ids when a model made them (not written out)
};

struct EvalItem {
  size_t dataset = 0;  // index into the runner's datasets
  size_t index = 0;    // position of the example in its data set
  const EvalExample* example = nullptr;
  std::string prompt;
};

// Supplies completions for a batch of items, in order (same length as the batch).
struct CompletionSource {
  std::string name;
  size_t batch_size = 1;
  std::function<std::vector<Completion>(const std::vector<const EvalItem*>& batch)> complete;
};

struct EvalOptions {
  std::filesystem::path out_dir;
  std::string prompt_type = "qwen25-math-cot";
  int shots = 0;
  bool resume = true;  // continue from predictions.jsonl; false starts over
  MathEqualOptions grading;
  // What made the completions (the model and its generation settings, or the graded file), nested as
  // in a config file; stored in run.json with prompt_type, shots and the source's name. A resume
  // compares them field by field (config/compare.h) and names each difference.
  io::Json run_settings = io::Json::object();
};

struct DatasetSummary {
  std::string label;
  std::string data_name;
  int64_t n = 0, correct = 0, empty = 0, unfinished = 0, timeouts = 0, undecided = 0, tokens = 0;
  double seconds = 0;
  double accuracy() const;  // 100 * correct / n, rounded to 0.1 like Python's round(x, 1)
};

struct EvalSummary {
  std::vector<DatasetSummary> datasets;
  double average_accuracy = 0;  // unweighted mean of the per-data-set accuracies, to 0.1
  int64_t resumed = 0;          // predictions taken from an earlier run
  io::Json to_json() const;
};

// Cuts `text` at the first occurrence of each stop string (in order), stripping after each cut,
// as math_eval.py does with its stop words.
std::string apply_stop_words(const std::string& text, const std::vector<std::string>& stops);

// One graded prediction (the fields of a predictions.jsonl line).
io::Json grade_completion(const std::string& label, const EvalExample& example, const std::string& data_name,
                          const std::string& prompt, const Completion& completion,
                          const std::vector<std::string>& stops, const MathEqualOptions& grading, double seconds);

EvalSummary run_eval(const std::vector<LoadedDataset>& datasets, const std::vector<std::vector<std::string>>& prompts,
                     const CompletionSource& source, const EvalOptions& options);

}  // namespace lightreasoner::eval
