// Completions and their grading, the building blocks of an eval run: a CompletionSource (a batch of
// prompts in, completions out) is either the completions given in a --grade file or the
// model-backed generator (model_eval.h); grade_completion cuts a completion at the prompt type's
// stop strings, extracts, grades and makes the predictions.jsonl line; the summaries count those
// lines. The resumable, distributed loop that drives them and owns the output files is
// pipeline/eval_loop.h.
#pragma once

#include <cstdint>
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
  size_t dataset = 0;  // index into the eval loop's datasets
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

// Counts one predictions.jsonl line (grade_completion's fields) into its data set's summary.
void count_prediction(DatasetSummary& summary, const io::Json& prediction);
// Sets summary.datasets and their average accuracy.
void set_dataset_summaries(EvalSummary& summary, std::vector<DatasetSummary> datasets);

// Cuts `text` at the first occurrence of each stop string (in order), stripping after each cut,
// as math_eval.py does with its stop words.
std::string apply_stop_words(const std::string& text, const std::vector<std::string>& stops);

// One graded prediction (the fields of a predictions.jsonl line).
io::Json grade_completion(const std::string& label, const EvalExample& example, const std::string& data_name,
                          const std::string& prompt, const Completion& completion,
                          const std::vector<std::string>& stops, const MathEqualOptions& grading, double seconds);


}  // namespace lightreasoner::eval
