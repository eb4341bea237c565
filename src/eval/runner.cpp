// run_eval: resume bookkeeping, length-sorted batches through a CompletionSource, grading and the
// two output files. Accuracy follows evaluate(): the mean over problems, rounded to 0.1.
#include "lightreasoner/eval/runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/progress.h"
#include "lightreasoner/eval/extract_answer.h"
#include "lightreasoner/eval/prompt.h"
#include "lightreasoner/eval/pytext.h"

namespace lightreasoner::eval {

namespace fs = std::filesystem;

namespace {

double round1(double value) {
  // Python's round(x, 1) on the exact binary value (ties to even), as printf does.
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.1f", value);
  return std::strtod(buffer, nullptr);
}

std::string dump_line(const io::Json& record) {
  return record.dump(-1, ' ', false, io::Json::error_handler_t::replace);
}

void add_to_summary(DatasetSummary& s, const io::Json& prediction) {
  s.n += 1;
  s.correct += prediction.value("correct", false) ? 1 : 0;
  s.empty += prediction.value("extracted", std::string()).empty() ? 1 : 0;
  s.unfinished += prediction.value("finish_reason", std::string()) == "length" ? 1 : 0;
  s.timeouts += prediction.value("timed_out", false) ? 1 : 0;
  s.undecided += prediction.value("undecided", false) ? 1 : 0;
  s.tokens += prediction.value("tokens", int64_t{0});
  s.seconds += prediction.value("seconds", 0.0);
}

std::string key_of(const std::string& label, int64_t id) { return label + "\x1f" + std::to_string(id); }

}  // namespace

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

EvalSummary run_eval(const std::vector<LoadedDataset>& datasets, const std::vector<std::vector<std::string>>& prompts,
                     const CompletionSource& source, const EvalOptions& options) {
  LR_CHECK(prompts.size() == datasets.size(), "run_eval: one prompt list per data set expected (got "
                                                  << prompts.size() << " for " << datasets.size() << ")");
  LR_CHECK(source.batch_size >= 1 && source.complete, "run_eval: completion source '" << source.name << "' is unusable");
  fs::create_directories(options.out_dir);
  const fs::path predictions_path = options.out_dir / "predictions.jsonl";
  const fs::path run_path = options.out_dir / "run.json";

  std::set<std::string> labels;
  for (const auto& d : datasets) {
    LR_CHECK(labels.insert(d.spec.label).second, "data set '" << d.spec.label << "' given twice");
  }

  // A resume must continue the same run: compare the stored description.
  io::Json run_info{{"description", options.run_description},
                    {"prompt_type", options.prompt_type},
                    {"shots", options.shots},
                    {"source", source.name}};
  if (options.resume && fs::exists(run_path) && fs::exists(predictions_path)) {
    io::Json stored = io::Json::parse(read_file(run_path), nullptr, false);
    LR_CHECK(!stored.is_discarded() && stored == run_info,
             run_path.string() << ": the predictions there come from a different run (" << stored.dump() << ", now "
                               << run_info.dump() << "); use another --out or --no-resume");
  } else if (!options.resume || !fs::exists(predictions_path)) {
    if (fs::exists(predictions_path)) fs::remove(predictions_path);
  }
  write_file_atomic(run_path, run_info.dump(2) + "\n");

  // Predictions already written (a torn last line is dropped by the writer).
  std::vector<DatasetSummary> summaries(datasets.size());
  std::map<std::string, size_t> dataset_of_label;
  for (size_t i = 0; i < datasets.size(); ++i) {
    summaries[i].label = datasets[i].spec.label;
    summaries[i].data_name = datasets[i].spec.data_name;
    dataset_of_label[datasets[i].spec.label] = i;
  }
  io::JsonlWriter writer(predictions_path, /*append=*/true);
  if (writer.torn_bytes_dropped() > 0) {
    spdlog::warn("{}: dropped a torn last line ({} bytes) left by an interrupted run", predictions_path.string(),
                 writer.torn_bytes_dropped());
  }
  std::set<std::string> done;
  EvalSummary summary;
  {
    io::JsonlReader reader(predictions_path, io::BadRecordPolicy::kStop);
    io::JsonlRecord record;
    while (reader.next(record)) {
      std::string label = record.string_field("dataset");
      auto it = dataset_of_label.find(label);
      if (it == dataset_of_label.end()) continue;  // another data set of the same run
      const auto& id = record.field("id");
      LR_CHECK(id.is_number_integer(), record.where() << ": field 'id' must be an integer");
      if (!done.insert(key_of(label, id.get<int64_t>())).second) continue;
      add_to_summary(summaries[it->second], record.value);
      ++summary.resumed;
    }
  }

  // Work left, longest prompts first (batches of similar length; the longest start early).
  std::vector<EvalItem> items;
  for (size_t d = 0; d < datasets.size(); ++d) {
    LR_CHECK(prompts[d].size() == datasets[d].examples.size(),
             "run_eval: data set '" << datasets[d].spec.label << "' has " << datasets[d].examples.size()
                                    << " examples but " << prompts[d].size() << " prompts");
    for (size_t i = 0; i < datasets[d].examples.size(); ++i) {
      const auto& example = datasets[d].examples[i];
      if (done.count(key_of(datasets[d].spec.label, example.id))) continue;
      done.insert(key_of(datasets[d].spec.label, example.id));  // duplicate ids: graded once, as the toolkit
      items.push_back({d, i, &example, prompts[d][i]});
    }
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const EvalItem& a, const EvalItem& b) { return a.prompt.size() > b.prompt.size(); });
  if (summary.resumed > 0) spdlog::info("resuming: {} predictions already in {}", summary.resumed, predictions_path.string());

  const std::vector<std::string> stops = stop_words(options.prompt_type);
  int64_t total = summary.resumed + static_cast<int64_t>(items.size());
  Progress progress("eval", total, "problems", summary.resumed);
  int64_t done_count = summary.resumed, correct_count = 0, new_tokens = 0;
  for (const auto& s : summaries) correct_count += s.correct;
  auto started = std::chrono::steady_clock::now();

  for (size_t begin = 0; begin < items.size(); begin += source.batch_size) {
    size_t end = std::min(items.size(), begin + source.batch_size);
    std::vector<const EvalItem*> batch;
    for (size_t i = begin; i < end; ++i) batch.push_back(&items[i]);
    auto batch_start = std::chrono::steady_clock::now();
    std::vector<Completion> completions = source.complete(batch);
    LR_CHECK(completions.size() == batch.size(), "completion source '" << source.name << "' returned "
                                                                       << completions.size() << " completions for "
                                                                       << batch.size() << " prompts");
    double generation_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - batch_start).count();
    for (size_t i = 0; i < batch.size(); ++i) {
      const EvalItem& item = *batch[i];
      const auto& dataset = datasets[item.dataset];
      auto grade_start = std::chrono::steady_clock::now();
      io::Json record = grade_completion(dataset.spec.label, *item.example, dataset.spec.data_name, item.prompt,
                                         completions[i], stops, options.grading, 0.0);
      double grade_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - grade_start).count();
      record["seconds"] = generation_s / static_cast<double>(batch.size()) + grade_s;
      add_to_summary(summaries[item.dataset], record);
      writer.write_line(dump_line(record));
      correct_count += record["correct"].get<bool>() ? 1 : 0;
      new_tokens += completions[i].tokens;
      ++done_count;
    }
    writer.flush();
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress.update(done_count, {{"acc", fmt::format("{:.1f}%", 100.0 * correct_count / std::max<int64_t>(done_count, 1))},
                                 {"tok/s", format_rate(elapsed > 0 ? new_tokens / elapsed : 0.0)}});
  }
  progress.finish({{"acc", fmt::format("{:.1f}%", 100.0 * correct_count / std::max<int64_t>(done_count, 1))}});

  double sum = 0;
  for (const auto& s : summaries) sum += s.accuracy();
  summary.datasets = summaries;
  summary.average_accuracy = summaries.empty() ? 0.0 : round1(sum / static_cast<double>(summaries.size()));
  write_file_atomic(options.out_dir / "summary.json", summary.to_json().dump(2) + "\n");
  return summary;
}

}  // namespace lightreasoner::eval
