// The `eval` recipes (pipeline/eval.h): the model-backed run — the training-prompt check, data sets
// and prompts before the model loads, the expert (+ adapter) loaded once, the model as a completion
// source — and --grade over completions produced elsewhere. The eval loop (eval_loop.h) does
// ordering, grading and the resumable files for both.
#include "lightreasoner/pipeline/eval.h"

#include <spdlog/spdlog.h>

#include "lightreasoner/config/compare.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/device_memory.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/dist/output_dir.h"
#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/eval/dataset.h"
#include "lightreasoner/eval/model_eval.h"
#include "lightreasoner/eval/prompt.h"
#include "lightreasoner/core/stage_timer.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/pipeline/eval_loop.h"
#include "lightreasoner/pipeline/options.h"
#include "lightreasoner/pipeline/train.h"

namespace lightreasoner::pipeline {

namespace fs = std::filesystem;

namespace {

// A model or adapter that train/sft wrote carries its training prompt: eval must render the same.
void check_training_prompt(const config::RunConfig& config) {
  const fs::path dir = config.expert.adapter ? *config.expert.adapter : config.expert.path;
  const auto file = dir / kTrainedSettingsFile;
  const auto settings = config::read_settings_record(file, kTrainedSettingsKind);
  if (!settings || !settings->contains("prompt")) return;
  const config::RunConfig trained = config::config_from_json(*settings, file.string());
  eval::check_prompt_matches_training(config.eval.template_name, trained.prompt.template_name, trained.prompt.system,
                                      file.string());
}

// The completion fields of a --grade record (validated by the load check).
eval::Completion given_completion(const io::Json& record) {
  eval::Completion completion;
  completion.text = record.at("completion").get<std::string>();
  completion.finish_reason = "given";
  auto reason = record.find("finish_reason");
  if (reason != record.end() && reason->is_string()) completion.finish_reason = reason->get<std::string>();
  auto tokens = record.find("tokens");
  if (tokens != record.end() && tokens->is_number_integer()) completion.tokens = tokens->get<int64_t>();
  return completion;
}

}  // namespace

eval::EvalSummary run_model_eval(const config::RunConfig& config, const ModelEvalOptions& options) {
  LR_CHECK(!config.expert.path.empty(), "eval needs a model: expert.path in the config or --model DIR");
  check_model_dir(config.expert.path, "expert.path (or --model)");
  LR_CHECK(!config.eval.datasets.empty(), "eval needs at least one data set (eval.datasets or --data)");
  const config::EvalConfig& settings = config.eval;
  const std::vector<std::string> stops = eval::stop_words(settings.template_name);  // validates the template first
  if (!options.any_template) check_training_prompt(config);
  const OutputDirLock lock = dist::lock_output_dir(options.out_dir, "eval");

  // Data sets and their prompts first: a bad record or an unknown name fails before the model loads.
  std::vector<eval::LoadedDataset> datasets;
  std::vector<std::vector<std::string>> prompts;
  for (const auto& name : settings.datasets) {
    eval::DatasetSpec spec = eval::resolve_dataset(name, settings.data_dir, settings.data_name);
    datasets.push_back(eval::load_dataset(spec, options.bad_records, settings.max_problems));
    const auto& loaded = datasets.back();
    LR_CHECK(!loaded.examples.empty(), spec.path.string() << ": no usable problems");
    if (loaded.skipped > 0) {
      spdlog::warn("eval: {}: {} bad record(s) skipped ({})", spec.label, loaded.skipped, loaded.skipped_summary);
    }
    std::vector<std::string> texts;
    for (const auto& example : loaded.examples) {
      texts.push_back(eval::construct_prompt(example.question, spec.data_name, settings.template_name, settings.shots));
    }
    prompts.push_back(std::move(texts));
  }

  auto tok = tokenizer::load_tokenizer(config.expert.path);
  const auto model_config = model::load_model_config(config.expert.path);
  model::LoadOptions load;
  load.dtype = parse_dtype(config.expert.dtype);
  load.device = parse_device(config.device);
  watch_device_memory(load.device);
  const std::optional<fs::path> adapter =
      config.expert.adapter ? std::optional<fs::path>(*config.expert.adapter) : std::nullopt;
  StageTimer stages("eval");
  stages.start("load model");
  auto model = model::load_model_with_adapter(config.expert.path, adapter, load);
  model->eval();

  eval::ModelSourceOptions source_options;
  source_options.batch_size = static_cast<size_t>(settings.batch_size);
  source_options.max_new_tokens = settings.max_new_tokens;
  source_options.stop_strings = stops;
  eval::set_model_special_ids(source_options, config.expert.path, model_config, *tok);
  auto stats = std::make_shared<eval::ModelSourceStats>();
  eval::CompletionSource source = eval::model_completion_source(*model, *tok, source_options, stats);

  EvalLoopOptions eval_options;
  eval_options.out_dir = options.out_dir;
  eval_options.prompt_type = settings.template_name;
  eval_options.shots = settings.shots;
  eval_options.resume = options.resume;
  eval_options.grading = options.grading;
  // A resume must continue with the same model, weights and generation settings.
  eval_options.run_settings = {
      {"expert",
       {{"path", fs::absolute(config.expert.path).string()},
        {"adapter", adapter ? io::Json(fs::absolute(*adapter).string()) : io::Json(nullptr)},
        {"dtype", config.expert.dtype}}},
      {"eval", {{"max_new_tokens", settings.max_new_tokens}}},
      {"decoding", "greedy"}};
  fs::create_directories(options.out_dir);
  if (dist::world().is_main()) config::write_resolved_config(config, options.out_dir);
  stages.start("generate and grade");
  eval::EvalSummary summary = run_eval_loop(datasets, prompts, source, eval_options, dist::world());
  stages.log();
  if (stats->prompts > 0) {
    spdlog::info("eval: generated {} tokens for {} prompts (prefill {:.1f} s, decode {:.1f} s, {:.1f} tok/s decode)",
                 stats->new_tokens, stats->prompts, stats->prefill_seconds, stats->decode_seconds,
                 stats->decode_seconds > 0 ? stats->new_tokens / stats->decode_seconds : 0.0);
  }
  if (stats->too_long > 0) {
    spdlog::warn("eval: {} prompt(s) filled the context and were recorded as unfinished", stats->too_long);
  }
  return summary;
}

GradeReport run_grade(const GradeOptions& options) {
  LR_CHECK(!options.dataset.empty(), "--grade needs --dataset NAME or --data NAME (which data set's fields the records have)");
  eval::DatasetSpec spec;
  spec.label = options.dataset;
  spec.data_name = options.data_name.empty() ? eval::data_name_of_folder(options.dataset) : options.data_name;
  spec.path = options.records;
  LR_CHECK(eval::is_known_data_name(spec.data_name),
           "--dataset " << options.dataset << ": unknown data_name '" << spec.data_name
                        << "' (pass --data-name with one of the toolkit's names)");
  eval::stop_words(options.prompt_type);  // validates the template before any work

  // The completion rides in the record: a missing or non-string one makes a bad record.
  eval::LoadedDataset dataset =
      eval::load_dataset(spec, options.bad_records, options.limit, [](const io::JsonlRecord& record) {
        LR_CHECK(record.has("completion"),
                 record.where() << ": missing field 'completion' (--grade needs a string field 'completion')");
        record.string_field("completion");
      });
  LR_CHECK(!dataset.examples.empty(), options.records.string() << ": no gradable records");

  std::vector<std::string> prompts;
  std::vector<eval::Completion> completions;
  for (const auto& example : dataset.examples) {
    auto it = example.record.find("prompt");
    prompts.push_back(it != example.record.end() && it->is_string() ? it->get<std::string>() : std::string());
    completions.push_back(given_completion(example.record));
  }

  eval::CompletionSource source;
  source.name = "given";
  source.batch_size = 64;  // predictions reach the disk (and survive a kill) every 64
  source.complete = [&](const std::vector<const eval::EvalItem*>& batch) {
    std::vector<eval::Completion> out;
    for (const auto* item : batch) out.push_back(completions.at(item->index));
    return out;
  };

  EvalLoopOptions eval_options;
  eval_options.out_dir = options.out_dir;
  eval_options.prompt_type = options.prompt_type;
  eval_options.resume = options.resume;
  eval_options.grading = options.grading;
  eval_options.run_settings = {{"grade", {{"records", fs::absolute(options.records).string()}, {"data_name", spec.data_name}}}};
  GradeReport report;
  report.summary = run_eval_loop({dataset}, {prompts}, source, eval_options, dist::world());
  report.skipped = dataset.skipped;
  return report;
}

}  // namespace lightreasoner::pipeline
