// Rejection sampling as an eval run over the training problems: the same prompts the SFT rows
// will use, greedy rollouts, toolkit grading, then the finished correct ones become examples.
#include "lightreasoner/pipeline/rejection.h"

#include <spdlog/spdlog.h>

#include <map>

#include "lightreasoner/contrast/problems.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/eval/dataset.h"
#include "lightreasoner/eval/model_eval.h"
#include "lightreasoner/eval/prompt.h"
#include "lightreasoner/pipeline/eval_loop.h"
#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/prompt/formats.h"

namespace lightreasoner::pipeline {

namespace fs = std::filesystem;

namespace {
// The rollouts are prompted with prompt.template; they stop at that format's stop strings when it
// is one of the toolkit's prompt types (prompt/formats.h), and only for a format the toolkit lacks
// (qwen-chat, ...) at eval.template's, as before the registry was one.
std::string rollout_prompt_type(const config::RunConfig& config, bool say_so = false) {
  if (auto linked = eval::prompt_type_for_template(config.prompt.template_name)) return *linked;
  if (say_so)
    spdlog::warn("sft: prompt.template '{}' has no toolkit prompt type; rejection rollouts stop at eval.template '{}''s "
                 "stop strings",
                 config.prompt.template_name, config.eval.template_name);
  return config.eval.template_name;
}
}  // namespace

RejectionReport rejection_sample(model::CausalLM& model, const tokenizer::Tokenizer& tok,
                                 const config::RunConfig& config) {
  eval::ModelSourceOptions source_options;
  source_options.batch_size = static_cast<size_t>(config.sft.batch_size);
  source_options.max_new_tokens = config.sft.max_new_tokens;
  source_options.stop_strings = eval::stop_words(rollout_prompt_type(config));
  source_options.add_special_tokens = !prompt::template_includes_bos(config.prompt.template_name);
  eval::set_model_special_ids(source_options, config.expert.path, model.config(), tok);
  torch::NoGradGuard no_grad;
  model.eval();
  return rejection_sample_from(eval::model_completion_source(model, tok, source_options), config);
}

RejectionReport rejection_sample_from(const eval::CompletionSource& source, const config::RunConfig& config) {
  LR_CHECK(!config.data.path.empty(), "sft.source=rejection needs data.path (problems with gold answers)");
  LR_CHECK(eval::is_known_data_name(config.sft.data_name),
           "sft.data_name '" << config.sft.data_name << "' is not a data set the grader knows (e.g. gsm8k, math)");
  eval::DatasetSpec spec;
  spec.label = "rejection";
  spec.data_name = config.sft.data_name;
  spec.path = config.data.path;
  // The training problems as every training command reads them (ids, data.shuffle, max_problems);
  // the grader parses question and gold from each record the toolkit's way. Example i is problem i.
  const contrast::ProblemSet problems = contrast::load_problems(config.data, config.seed);
  if (problems.skipped > 0) spdlog::warn("sft: {} problem record(s) skipped: {}", problems.skipped, problems.skip_summary);
  const bool skip_bad = config.data.on_bad_record == "skip";
  eval::LoadedDataset data;
  data.spec = spec;
  std::vector<const contrast::Problem*> problem_of;  // by example id
  for (const auto& problem : problems.problems) {
    try {
      auto example = eval::parse_example(problem.record, spec.data_name, static_cast<int64_t>(problem_of.size()));
      example.id = static_cast<int64_t>(problem_of.size());
      data.examples.push_back(std::move(example));
      problem_of.push_back(&problem);
    } catch (const Error& e) {
      if (!skip_bad) throw;
      if (data.skipped++ == 0) data.skipped_summary = e.what();
    }
  }
  if (data.skipped > 0) spdlog::warn("sft: {} problem(s) without a gradable gold answer skipped ({})", data.skipped,
                                     data.skipped_summary);
  LR_CHECK(!data.examples.empty(), "'" << config.data.path << "' has no problems");

  prompt::TemplateOptions template_options;
  template_options.system = config.prompt.system;
  std::vector<std::string> prompts;
  for (const auto& example : data.examples) {
    prompts.push_back(prompt::render_template(config.prompt.template_name, example.question, template_options));
  }

  EvalLoopOptions options;
  options.out_dir = fs::path(config.output_dir) / "rejection";
  options.prompt_type = rollout_prompt_type(config, /*say_so=*/true);
  options.run_settings = {{"expert", {{"path", fs::absolute(config.expert.path).string()}}},
                          {"prompt", {{"template", config.prompt.template_name}}},
                          {"sft", {{"max_new_tokens", config.sft.max_new_tokens}}},
                          {"decoding", "greedy"}};
  run_eval_loop({data}, {prompts}, source, options, dist::world());

  // The graded rollouts, read back (a resumed run has part of them from before), in problem order.
  std::map<int64_t, io::Json> graded;
  {
    io::JsonlReader reader(options.out_dir / "predictions.jsonl", io::BadRecordPolicy::kStop);
    io::JsonlRecord record;
    while (reader.next(record)) graded.emplace(record.field("id").get<int64_t>(), record.value);
  }
  RejectionReport report;
  report.problems = static_cast<int64_t>(data.examples.size());
  for (const auto& example : data.examples) {
    auto it = graded.find(example.id);
    if (it == graded.end() || !it->second.value("correct", false)) continue;
    ++report.correct;
    const std::string completion = it->second.value("completion", std::string());
    if (it->second.value("finish_reason", std::string()) == "length" || completion.empty()) continue;
    report.examples.push_back({problem_of[static_cast<size_t>(example.id)]->id, example.question, completion, example.where});
  }
  report.accepted = static_cast<int64_t>(report.examples.size());
  spdlog::info("sft: rejection sampling kept {} of {} greedy rollouts ({} graded correct as {}; rollouts in {})",
               report.accepted, report.problems, report.correct, spec.data_name, options.out_dir.string());
  return report;
}

}  // namespace lightreasoner::pipeline
