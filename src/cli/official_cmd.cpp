// `lightreasoner official export|import`: moves contrast samples between this tool and the official
// LightReasoner scripts' per-step jsonl (official_format.h). Export decodes with the dataset's
// expert tokenizer (from contrast.meta.json, or --tokenizer); import re-encodes the text with the
// --model's tokenizer and template and writes contrast.jsonl + a meta naming that model as the
// expert, so `train` accepts it. Parsing and wiring only.
#include <iostream>
#include <memory>

#include "command.h"
#include "lightreasoner/config/compare.h"
#include "lightreasoner/contrast/meta.h"
#include "lightreasoner/contrast/official_format.h"
#include "lightreasoner/model/identity.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/prompt/formats.h"
#include "lightreasoner/tokenizer/tokenizer.h"
#include "lightreasoner/pipeline/options.h"

namespace lightreasoner::cli {

namespace {

namespace fs = std::filesystem;

contrast::DecodeFn decode_with(const tokenizer::Tokenizer& tok) {
  // The official prefix is tokenizer.decode(expert_tokens[:t]): special tokens not skipped.
  return [&tok](const std::vector<int64_t>& ids) {
    return tokenizer::decode_model_ids(tok, ids, /*skip_special_tokens=*/false);
  };
}

struct ExportArgs {
  std::string contrast, out, tokenizer;
};

struct ImportArgs {
  std::string official, model, out, template_name = "qwen-chat";
  std::optional<std::string> system = std::string("Please reason step by step.");  // the official code's
  bool system_given = false;  // --system on the command line (else the default applies to formats that take one)
};

void run_export(const ExportArgs& args) {
  auto tok_dir = dataset_tokenizer_dir(args.contrast, args.tokenizer);
  LR_CHECK(tok_dir, args.contrast << ": no tokenizer: neither --tokenizer nor an expert in "
                                  << contrast::meta_path_for(args.contrast).string() << " that exists here");
  auto tok = tokenizer::load_tokenizer(*tok_dir);
  const fs::path meta_path = contrast::meta_path_for(args.contrast);
  if (fs::exists(meta_path)) {
    const auto meta = contrast::read_meta(meta_path);
    LR_CHECK(meta.tokenizer_fingerprint.empty() || meta.tokenizer_fingerprint == tok->fingerprint(),
             "the tokenizer given has fingerprint " << tok->fingerprint() << " but " << meta_path.string()
                                                    << " records " << meta.tokenizer_fingerprint
                                                    << ": the text would be decoded with the wrong vocabulary");
  }
  auto stats = contrast::export_official(args.contrast, args.out, decode_with(*tok));
  std::cout << "exported " << stats.steps << " steps of " << stats.records << " rollouts to " << args.out << "\n";
  if (stats.records_without_question > 0) {
    std::cout << stats.records_without_question << " rollout(s) had no question; their prompt_id is the record id\n";
  }
}

void run_import(ImportArgs args) {
  // An unknown name, or a system prompt given for a format without one, fails before the model loads.
  const auto& format = prompt::format_named(args.template_name, "--template");
  if (!args.system_given && !format.takes_system) args.system.reset();  // the default is the chat formats'
  prompt::check_system(format, args.system, "--system");
  auto tok = tokenizer::load_tokenizer(args.model);
  prompt::TemplateOptions template_options;
  template_options.system = args.system;
  tokenizer::EncodeOptions plain;
  plain.add_special_tokens = false;
  auto encode = [&](const std::string& text) {
    auto ids = tok->encode(text, plain);
    return std::vector<int64_t>(ids.begin(), ids.end());
  };
  auto prompt_ids = [&](const std::string& question) {
    auto ids = prompt::encode_prompt(*tok, args.template_name, question, template_options);
    return std::vector<int64_t>(ids.begin(), ids.end());
  };
  auto stats = contrast::import_official_to(args.official, args.out, encode, decode_with(*tok), prompt_ids);

  // The meta: this model is the expert the steps are targets for; the amateur is unknown.
  config::RunConfig config;
  config.expert.path = args.model;
  config.prompt.template_name = args.template_name;
  config.prompt.system = args.system;
  config.data.path = args.official;
  contrast::ContrastMeta meta = pipeline::contrast_meta(config);
  meta.expert = model::identify_model(args.model);
  meta.amateur.path = "(unknown: imported from " + args.official + ")";
  // Only the prompt is known; how the official code sampled and selected is not, so train compares the prompt.
  meta.settings = nlohmann::json::parse(config::config_subset(config, {"expert.adapter", "prompt"}).dump());
  meta.tokenizer_fingerprint = tok->fingerprint();
  meta.counts.problems = stats.records;
  meta.counts.rollouts = stats.records;
  meta.counts.steps_selected = stats.steps;
  meta.counts.steps_scored = stats.steps;
  contrast::write_meta(contrast::meta_path_for(args.out), meta);
  std::cout << "imported " << stats.steps << " steps (" << stats.records << " rollouts) from " << stats.lines
            << " lines into " << args.out << "\n";
  if (stats.steps_dropped > 0) {
    std::cout << stats.steps_dropped << " step(s) dropped: their prefix does not re-encode to the start of the longest "
              << "prefix of their prompt (first at " << stats.first_dropped << ")\n";
  }
}

}  // namespace

Command make_official_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand("official", "convert between contrast.jsonl and the official scripts' per-step jsonl");
  app->require_subcommand(1);
  auto export_args = std::make_shared<ExportArgs>();
  CLI::App* exp = app->add_subcommand("export", "contrast.jsonl → official per-step jsonl");
  exp->add_option("contrast", export_args->contrast, "contrast.jsonl")->required()->check(CLI::ExistingFile);
  exp->add_option("--out", export_args->out, "official per-step .jsonl to write")->required();
  exp->add_option("--tokenizer", export_args->tokenizer, "tokenizer directory (default: the expert in the meta)")
      ->check(CLI::ExistingDirectory);
  auto import_args = std::make_shared<ImportArgs>();
  CLI::App* imp = app->add_subcommand("import", "official per-step jsonl → contrast.jsonl (+ meta) for `train`");
  imp->add_option("official", import_args->official, "official per-step .jsonl")->required()->check(CLI::ExistingFile);
  imp->add_option("--model", import_args->model, "the expert the steps belong to (its tokenizer re-encodes the text)")
      ->required()
      ->check(CLI::ExistingDirectory);
  imp->add_option("--out", import_args->out, "contrast.jsonl to write (contrast.meta.json beside it)")->required();
  imp->add_option("--template", import_args->template_name, "prompt template of the training rows")
      ->capture_default_str();
  CLI::Option* system = imp->add_option("--system", import_args->system,
                                        "system prompt (the official code's by default, for formats that take one)")
                            ->capture_default_str();
  return {app, [exp, export_args, import_args, system] {
            if (exp->parsed()) {
              run_export(*export_args);
            } else {
              import_args->system_given = system->count() > 0;
              run_import(*import_args);
            }
          }};
}

}  // namespace lightreasoner::cli
