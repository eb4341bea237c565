// run_eval_loop (see eval_loop.h): resume bookkeeping, length-sorted batches through a
// CompletionSource, grading, and the output files.
#include "lightreasoner/pipeline/eval_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "lightreasoner/config/compare.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/progress.h"
#include "lightreasoner/core/run_control.h"
#include "lightreasoner/dist/output_dir.h"
#include "lightreasoner/dist/parts.h"
#include "lightreasoner/eval/prompt.h"

namespace lightreasoner::pipeline {

namespace fs = std::filesystem;
using eval::CompletionSource;
using eval::Completion;
using eval::DatasetSummary;
using eval::EvalItem;
using eval::EvalSummary;
using eval::LoadedDataset;

namespace {

std::string dump_line(const io::Json& record) {
  return record.dump(-1, ' ', false, io::Json::error_handler_t::replace);
}

std::string key_of(const std::string& label, int64_t id) { return label + "\x1f" + std::to_string(id); }

// A predictions.jsonl line's identity for merging the ranks' part files.
std::optional<std::string> prediction_key(const io::Json& record) {
  if (!record.is_object() || !record.contains("dataset") || !record["dataset"].is_string() || !record.contains("id") ||
      !record["id"].is_number_integer())
    return std::nullopt;
  return key_of(record["dataset"].get<std::string>(), record["id"].get<int64_t>());
}

// Reads predictions.jsonl: each (data set, id) of these data sets counts once, in file order, into
// `summaries` and/or `done`. Lines of other data sets (of the same run) are skipped. Returns the count.
int64_t read_predictions(const fs::path& path, const std::vector<LoadedDataset>& datasets,
                         const std::map<std::string, size_t>& dataset_of_label, std::vector<DatasetSummary>* summaries,
                         std::set<std::string>* done) {
  if (summaries) {
    for (size_t i = 0; i < datasets.size(); ++i) {
      (*summaries)[i].label = datasets[i].spec.label;
      (*summaries)[i].data_name = datasets[i].spec.data_name;
    }
  }
  std::set<std::string> seen;
  int64_t count = 0;
  io::JsonlReader reader(path, io::BadRecordPolicy::kStop);
  io::JsonlRecord record;
  while (reader.next(record)) {
    std::string label = record.string_field("dataset");
    auto it = dataset_of_label.find(label);
    if (it == dataset_of_label.end()) continue;  // another data set of the same run
    const auto& id = record.field("id");
    LR_CHECK(id.is_number_integer(), record.where() << ": field 'id' must be an integer");
    if (!seen.insert(key_of(label, id.get<int64_t>())).second) continue;
    if (summaries) eval::count_prediction((*summaries)[it->second], record.value);
    ++count;
  }
  if (done) done->insert(seen.begin(), seen.end());
  return count;
}

}  // namespace

EvalSummary run_eval_loop(const std::vector<LoadedDataset>& datasets, const std::vector<std::vector<std::string>>& prompts,
                          const CompletionSource& source, const EvalLoopOptions& options, const dist::Group& group) {
  LR_CHECK(prompts.size() == datasets.size(), "eval: one prompt list per data set expected (got "
                                                  << prompts.size() << " for " << datasets.size() << ")");
  LR_CHECK(source.batch_size >= 1 && source.complete, "eval: completion source '" << source.name << "' is unusable");
  fs::create_directories(options.out_dir);
  const OutputDirLock lock = dist::lock_output_dir(options.out_dir, "eval");  // nested under a model eval's
  const fs::path predictions_path = options.out_dir / "predictions.jsonl";
  const fs::path run_path = options.out_dir / "run.json";

  std::set<std::string> labels;
  for (const auto& d : datasets) {
    LR_CHECK(labels.insert(d.spec.label).second, "data set '" << d.spec.label << "' given twice");
  }

  // A resume must continue the same run: compare the stored description. Rank 0 alone prepares
  // the directory (parts of an interrupted data-parallel run join predictions.jsonl first).
  io::Json run_info{{"settings", options.run_settings},
                    {"prompt_type", options.prompt_type},
                    {"shots", options.shots},
                    {"source", source.name}};
  if (group.is_main()) {
    auto leftovers = dist::existing_parts(predictions_path);
    if (options.resume && !leftovers.empty()) {
      dist::merge_parts(predictions_path, leftovers, {}, prediction_key);
    } else {
      for (const auto& part : leftovers) fs::remove(part);
    }
    if (options.resume && fs::exists(run_path) && fs::exists(predictions_path)) {
      io::Json stored = io::Json::parse(read_file(run_path), nullptr, false);
      LR_CHECK(stored.is_object(), run_path.string() << ": not a JSON object; use another --out or --no-resume");
      const std::string list = config::describe_differences(config::setting_differences(stored, run_info),
                                                            "the predictions there were made with");
      LR_CHECK(list.empty(), run_path.string() << ": the predictions there come from a different run:" << list
                                               << "\nUse another --out, or --no-resume to start over.");
    } else if (!options.resume || !fs::exists(predictions_path)) {
      if (fs::exists(predictions_path)) fs::remove(predictions_path);
    }
    write_file_atomic(run_path, run_info.dump(2) + "\n");
    io::JsonlWriter prepare(predictions_path, /*append=*/true);  // creates it; drops a torn last line
    if (prepare.torn_bytes_dropped() > 0) {
      spdlog::warn("{}: dropped a torn last line ({} bytes) left by an interrupted run", predictions_path.string(),
                   prepare.torn_bytes_dropped());
    }
  }
  group.barrier("eval: start (rank 0 prepares the output directory)");

  std::map<std::string, size_t> dataset_of_label;
  for (size_t i = 0; i < datasets.size(); ++i) dataset_of_label[datasets[i].spec.label] = i;
  std::set<std::string> done;
  EvalSummary summary;
  std::vector<DatasetSummary> resumed_summaries(datasets.size());
  summary.resumed = read_predictions(predictions_path, datasets, dataset_of_label, &resumed_summaries, &done);

  // All the work, longest prompts first (batches of similar length; the longest start early), cut
  // into batches as one uninterrupted process would; rank r runs the batches k with k mod N = r.
  std::vector<EvalItem> all_items;
  std::set<std::string> listed;
  for (size_t d = 0; d < datasets.size(); ++d) {
    LR_CHECK(prompts[d].size() == datasets[d].examples.size(),
             "eval: data set '" << datasets[d].spec.label << "' has " << datasets[d].examples.size()
                                    << " examples but " << prompts[d].size() << " prompts");
    for (size_t i = 0; i < datasets[d].examples.size(); ++i) {
      const auto& example = datasets[d].examples[i];
      // Duplicate ids: graded once, as the toolkit.
      if (listed.insert(key_of(datasets[d].spec.label, example.id)).second)
        all_items.push_back({d, i, &example, prompts[d][i]});
    }
  }
  std::stable_sort(all_items.begin(), all_items.end(),
                   [](const EvalItem& a, const EvalItem& b) { return a.prompt.size() > b.prompt.size(); });
  std::vector<std::vector<const EvalItem*>> batches;  // this rank's, in order
  int64_t left = 0;
  for (size_t k = 0; k * source.batch_size < all_items.size(); ++k) {
    std::vector<const EvalItem*> batch;
    for (size_t i = k * source.batch_size; i < std::min(all_items.size(), (k + 1) * source.batch_size); ++i) {
      const auto& item = all_items[i];
      if (done.count(key_of(datasets[item.dataset].spec.label, item.example->id))) continue;
      ++left;
      if (dist::owns_batch(static_cast<int64_t>(k), group.rank(), group.world_size())) batch.push_back(&item);
    }
    if (!batch.empty()) batches.push_back(std::move(batch));
  }
  if (summary.resumed > 0) spdlog::info("resuming: {} predictions already in {}", summary.resumed, predictions_path.string());
  if (group.is_distributed()) spdlog::info("eval: {} problems to do over {} ranks", left, group.world_size());

  const std::vector<std::string> stops = eval::stop_words(options.prompt_type);
  int64_t mine = 0;
  for (const auto& batch : batches) mine += static_cast<int64_t>(batch.size());
  Progress progress("eval", summary.resumed + mine, "problems", summary.resumed);
  int64_t done_count = summary.resumed, correct_count = 0, new_tokens = 0;
  for (const auto& s : resumed_summaries) correct_count += s.correct;
  auto started = std::chrono::steady_clock::now();
  {
    // One process appends to predictions.jsonl itself; a rank of a launch to its own part file.
    io::JsonlWriter writer(
        group.is_distributed() ? dist::part_path(predictions_path, group.rank(), group.world_size()) : predictions_path,
        /*append=*/true);
    for (const auto& batch : batches) {
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
        io::Json record = eval::grade_completion(dataset.spec.label, *item.example, dataset.spec.data_name, item.prompt,
                                           completions[i], stops, options.grading, 0.0);
        double grade_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - grade_start).count();
        record["seconds"] = generation_s / static_cast<double>(batch.size()) + grade_s;
        writer.write_line(dump_line(record));
        correct_count += record["correct"].get<bool>() ? 1 : 0;
        new_tokens += completions[i].tokens;
        ++done_count;
      }
      writer.flush();
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      progress.update(done_count, {{"acc", fmt::format("{:.1f}%", 100.0 * correct_count / std::max<int64_t>(done_count, 1))},
                                   {"tok/s", format_rate(elapsed > 0 ? new_tokens / elapsed : 0.0)}});
      if (stop_requested() && &batch != &batches.back()) {  // the flushed lines are kept: a rerun resumes
        throw StopRequested{"eval: " + std::to_string(done_count) + " predictions in " + predictions_path.string() +
                            "; rerun the command to continue"};
      }
    }
  }
  progress.finish({{"acc", fmt::format("{:.1f}%", 100.0 * correct_count / std::max<int64_t>(done_count, 1))}});

  // Rank 0 merges the ranks' parts in work order: the file one process writes.
  group.barrier("eval: ranks finished their batches");
  if (group.is_distributed() && group.is_main()) {
    std::vector<std::string> order;
    order.reserve(all_items.size());
    for (const auto& item : all_items) order.push_back(key_of(datasets[item.dataset].spec.label, item.example->id));
    dist::merge_parts(predictions_path, dist::existing_parts(predictions_path), order, prediction_key);
  }
  group.barrier("eval: rank 0 merging the part files");

  // The summary counts every prediction in the file (earlier runs' included).
  std::vector<DatasetSummary> summaries(datasets.size());
  read_predictions(predictions_path, datasets, dataset_of_label, &summaries, nullptr);
  eval::set_dataset_summaries(summary, std::move(summaries));
  if (group.is_main()) write_file_atomic(options.out_dir / "summary.json", summary.to_json().dump(2) + "\n");
  return summary;
}

}  // namespace lightreasoner::pipeline
