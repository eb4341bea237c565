// `lightreasoner eval`: with --config and/or --model, generates and grades (model_eval.h) over the
// config's eval data sets, flags overriding the config's eval keys; with --grade FILE --dataset NAME
// grades completions produced elsewhere (each line a record of that data set plus a string
// "completion"). Both write predictions.jsonl and summary.json, resumably (pipeline/eval.h). Parsing only.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "command.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/pipeline/eval.h"

namespace lightreasoner::cli {

namespace {

struct EvalArgs {
  ConfigOptions config;
  std::string grade_file;
  std::string dataset;
  std::string data_name;
  std::string out = "eval_out";
  std::string prompt_type = "qwen25-math-cot";
  std::string bad_records = "stop";
  double timeout_s = 3.0;
  bool no_resume = false;
  bool any_template = false;  // evaluate with a prompt the model was not trained with (base-model rows)
  int64_t limit = 0;
  // Model-backed evaluation; each given flag overrides the config key named beside it.
  std::string model;              // expert.path (--adapter, --config, --set: shared config options)
  std::vector<std::string> data;  // eval.datasets
  std::string data_dir;           // eval.data_dir
  std::string dtype;              // expert.dtype
  int64_t max_new_tokens = 0;     // eval.max_new_tokens
  int shots = 0;                  // eval.shots
  int batch_size = 0;             // eval.batch_size
};

void print_summary(const eval::EvalSummary& summary, const std::filesystem::path& out) {
  for (const auto& d : summary.datasets) {
    std::cout << d.label << ": accuracy " << d.accuracy() << " (" << d.correct << "/" << d.n << "), empty " << d.empty
              << ", unfinished " << d.unfinished << ", timeouts " << d.timeouts << ", undecided " << d.undecided
              << "\n";
  }
  if (summary.datasets.size() > 1) std::cout << "average accuracy: " << summary.average_accuracy << "\n";
  std::cout << "wrote " << (out / "predictions.jsonl").string() << " and " << (out / "summary.json").string() << "\n";
}

void run_grade(const EvalArgs& args) {
  pipeline::GradeOptions options;
  options.records = args.grade_file;
  options.dataset = args.dataset;
  options.data_name = args.data_name;
  options.prompt_type = args.prompt_type;
  options.out_dir = args.out;
  options.resume = !args.no_resume;
  options.limit = args.limit;
  options.grading.timeout_s = args.timeout_s;
  options.bad_records = io::parse_bad_record_policy(args.bad_records);
  const pipeline::GradeReport report = pipeline::run_grade(options);
  if (!dist::world().is_main()) return;  // rank 0 reports for all
  if (report.skipped > 0) std::cout << "skipped bad records: " << report.skipped << "\n";
  print_summary(report.summary, args.out);
}

// Flags given on the command line become --set overrides of the config's keys.
config::RunConfig model_eval_config(const EvalArgs& args, const CLI::App& app, const GlobalOptions& global) {
  ConfigOptions options = args.config;
  auto set = [&](const std::string& key, const io::Json& value) {
    options.overrides.push_back(key + "=" + value.dump());
  };
  if (!args.model.empty()) set("expert.path", args.model);
  if (app.count("--data") > 0) set("eval.datasets", args.data);
  if (app.count("--data-dir") > 0) set("eval.data_dir", args.data_dir);
  if (app.count("--data-name") > 0) set("eval.data_name", args.data_name);
  if (app.count("--dtype") > 0) set("expert.dtype", args.dtype);
  if (app.count("--template") > 0) set("eval.template", args.prompt_type);
  if (app.count("--max-new-tokens") > 0) set("eval.max_new_tokens", args.max_new_tokens);
  if (app.count("--shots") > 0) set("eval.shots", args.shots);
  if (app.count("--batch-size") > 0) set("eval.batch_size", args.batch_size);
  if (app.count("--limit") > 0) set("eval.max_problems", args.limit);
  return resolve_parallel_config(options, global);
}

void run_model(const EvalArgs& args, const CLI::App& app, const GlobalOptions& global) {
  config::RunConfig config = model_eval_config(args, app, global);
  pipeline::ModelEvalOptions options;
  options.any_template = args.any_template;
  // Without --out: <output_dir>/eval for a config run, eval_out for a flags-only run.
  options.out_dir = app.count("--out") > 0 || args.config.path.empty() ? std::filesystem::path(args.out)
                                                                        : std::filesystem::path(config.output_dir) / "eval";
  options.resume = !args.no_resume;
  options.grading.timeout_s = args.timeout_s;
  options.bad_records = io::parse_bad_record_policy(args.bad_records);
  eval::EvalSummary summary = pipeline::run_model_eval(config, options);
  if (!dist::world().is_main()) return;  // rank 0 reports for all
  print_summary(summary, options.out_dir);
}

}  // namespace

Command make_eval_command(CLI::App& root, const GlobalOptions& global) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* app = root.add_subcommand("eval", "GSM8K/MATH-style evaluation with the Qwen2.5-Math toolkit's grading");
  app->add_option("--grade", args->grade_file,
                  "grade completions produced elsewhere: a .jsonl of data set records each with a string 'completion'");
  app->add_option("--dataset", args->dataset,
                  "data set name of the --grade records (gsm8k, math, math_prm800k, svamp, mmlu_stem, ...)");
  app->add_option("--data-name", args->data_name, "the toolkit data_name when --dataset is not one (e.g. math)");
  app->add_option("--out", args->out, "output directory (predictions.jsonl, summary.json, run.json); with --config: <output_dir>/eval")
      ->capture_default_str();
  app->add_option("--template", args->prompt_type, "prompt template; selects the stop strings")->capture_default_str();
  app->add_option("--bad-records", args->bad_records, "stop or skip on a bad record")->capture_default_str();
  app->add_option("--timeout", args->timeout_s, "grading budget per comparison in seconds (the toolkit's 3 s)")
      ->capture_default_str();
  app->add_flag("--no-resume", args->no_resume, "start over instead of continuing from predictions.jsonl");
  app->add_flag("--any-template", args->any_template,
                "evaluate with --template even if the model or adapter was trained with another prompt "
                "(as the paper scores base models with the CoT prompt)");
  app->add_option("--limit", args->limit, "only the first N problems of each data set, 0 = all (eval.max_problems)")->capture_default_str();
  // Model-backed evaluation.
  add_config_options(app, args->config);
  app->add_option("--model", args->model, "model directory (expert.path)")->check(CLI::ExistingDirectory);
  app->add_option("--data", args->data, "data sets by name (a folder under --data-dir) or .jsonl path (eval.datasets)");
  app->add_option("--data-dir", args->data_dir, "folder with <name>/test.jsonl (eval.data_dir)");
  app->add_option("--dtype", args->dtype, "weights dtype: f32, bf16, f16 (expert.dtype)");
  app->add_option("--max-new-tokens", args->max_new_tokens, "generation limit per problem (eval.max_new_tokens)");
  app->add_option("--shots", args->shots, "few-shot demos per prompt (eval.shots)");
  app->add_option("--batch-size", args->batch_size, "prompts generated together (eval.batch_size)");
  return {app, [args, app, &global] {
            if (!args->grade_file.empty()) {
              LR_CHECK(args->model.empty() && args->config.path.empty(),
                       "--grade grades given completions; do not combine it with --model/--config");
              // `eval --grade F --data gsm8k` names the data set as the model-backed form does.
              if (args->dataset.empty() && args->data.size() == 1) args->dataset = args->data.front();
              LR_CHECK(args->data.empty() || (args->data.size() == 1 && args->data.front() == args->dataset),
                       "--grade grades one data set: give it once, as --dataset NAME or --data NAME");
              join_launch(torch::kCPU, global);  // under torchrun the ranks share the grading
              run_grade(*args);
              return;
            }
            LR_CHECK(!args->model.empty() || !args->config.path.empty(),
                     "eval needs --model DIR (or --config FILE with expert.path) and data sets, or --grade FILE "
                     "--dataset NAME to grade completions produced elsewhere; see `lightreasoner eval --help`");
            run_model(*args, *app, global);
          }};
}

}  // namespace lightreasoner::cli
