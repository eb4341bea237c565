// Grading one completion and counting the predictions (see grading.h). Accuracy follows the
// toolkit's evaluate(): the mean over problems, rounded to 0.1.
#include "lightreasoner/eval/grading.h"

#include <cstdio>
#include <cstdlib>

#include "lightreasoner/core/pytext.h"
#include "lightreasoner/eval/extract_answer.h"

namespace lightreasoner::eval {

namespace {

double round1(double value) {
  // Python's round(x, 1) on the exact binary value (ties to even), as printf does.
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.1f", value);
  return std::strtod(buffer, nullptr);
}

}  // namespace

void count_prediction(DatasetSummary& s, const io::Json& prediction) {
  s.n += 1;
  s.correct += prediction.value("correct", false) ? 1 : 0;
  s.empty += prediction.value("extracted", std::string()).empty() ? 1 : 0;
  s.unfinished += prediction.value("finish_reason", std::string()) == "length" ? 1 : 0;
  s.timeouts += prediction.value("timed_out", false) ? 1 : 0;
  s.undecided += prediction.value("undecided", false) ? 1 : 0;
  s.tokens += prediction.value("tokens", int64_t{0});
  s.seconds += prediction.value("seconds", 0.0);
}

void set_dataset_summaries(EvalSummary& summary, std::vector<DatasetSummary> datasets) {
  double sum = 0;
  for (const auto& s : datasets) sum += s.accuracy();
  summary.average_accuracy = datasets.empty() ? 0.0 : round1(sum / static_cast<double>(datasets.size()));
  summary.datasets = std::move(datasets);
}

double DatasetSummary::accuracy() const { return n == 0 ? 0.0 : round1(100.0 * static_cast<double>(correct) / n); }

io::Json EvalSummary::to_json() const {
  io::Json out;
  io::Json per = io::Json::object();
  for (const auto& d : datasets) {
    per[d.label] = {{"data_name", d.data_name},
                    {"n", d.n},
                    {"correct", d.correct},
                    {"accuracy", d.accuracy()},
                    {"empty", d.empty},
                    {"unfinished", d.unfinished},
                    {"timeout_samples", d.timeouts},
                    {"undecided", d.undecided},
                    {"tokens", d.tokens},
                    {"seconds", d.seconds},
                    {"tokens_per_s", d.seconds > 0 ? static_cast<double>(d.tokens) / d.seconds : 0.0}};
  }
  out["datasets"] = per;
  out["average_accuracy"] = average_accuracy;
  out["resumed_predictions"] = resumed;
  return out;
}

std::string apply_stop_words(const std::string& text, const std::vector<std::string>& stops) {
  std::string code = py::strip(text);
  for (const auto& stop : stops) {
    size_t hit = code.find(stop);
    if (hit != std::string::npos) code = py::strip(code.substr(0, hit));
  }
  return code;
}

io::Json grade_completion(const std::string& label, const EvalExample& example, const std::string& data_name,
                          const std::string& prompt, const Completion& completion,
                          const std::vector<std::string>& stops, const MathEqualOptions& grading, double seconds) {
  std::string code = apply_stop_words(py::sanitize_utf8(completion.text), stops);
  std::string prediction = apply_choice_fixup(extract_prediction(code, data_name), example.gold, code);
  EqualResult result = math_equal(prediction, example.gold, grading);
  return io::Json{{"dataset", label},
                  {"id", example.id},
                  {"prompt", prompt},
                  {"completion", completion.text},
                  {"extracted", prediction},
                  {"gold", example.gold},
                  {"correct", result.equal},
                  {"finish_reason", completion.finish_reason},
                  {"tokens", completion.tokens},
                  {"seconds", seconds},
                  {"decided_by", result.decided_by},
                  {"undecided", result.undecided},
                  {"timed_out", result.timed_out}};
}

}  // namespace lightreasoner::eval
