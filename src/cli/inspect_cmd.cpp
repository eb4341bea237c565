// `lightreasoner inspect contrast.jsonl`: summary statistics of a contrast dataset as a text
// report, or as JSON (--json) for scripts (scripts/plot_contrast.py draws it). Token text comes from
// --tokenizer or the expert named in contrast.meta.json; without either the report shows ids.
// No algorithms here.
#include <iostream>
#include <memory>

#include "command.h"
#include "lightreasoner/contrast/inspect.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/tokenizer/tokenizer.h"

namespace lightreasoner::cli {

Command make_inspect_command(CLI::App& root, const GlobalOptions& global) {
  struct Options {
    std::string path;
    bool json = false;
    std::string tokenizer;
    contrast::InspectOptions inspect;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = root.add_subcommand("inspect", "statistics of a contrast dataset (contrast.jsonl)");
  app->add_option("path", options->path, "contrast.jsonl (contrast.meta.json beside it is read too)")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_flag("--json", options->json, "print the statistics as one JSON object");
  app->add_option("--tokenizer", options->tokenizer, "tokenizer directory for token text (default: the meta's expert)")
      ->check(CLI::ExistingDirectory);
  app->add_option("--examples", options->inspect.examples, "example steps shown")->capture_default_str()->check(
      CLI::NonNegativeNumber);
  app->add_option("--top", options->inspect.top_tokens, "most frequent target tokens listed")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  return {app, [options] {
            std::shared_ptr<tokenizer::Tokenizer> tok;
            if (auto dir = dataset_tokenizer_dir(options->path, options->tokenizer)) {
              tok = tokenizer::load_tokenizer(*dir);
              options->inspect.decode = [tok](const std::vector<int64_t>& ids) {
                return tokenizer::decode_model_ids(*tok, ids);
              };
            }
            const auto summary = contrast::summarize_contrast(options->path, options->inspect);
            if (options->json) {
              std::cout << contrast::summary_to_json(summary).dump(2) << "\n";
            } else {
              std::cout << contrast::render_summary(summary);
              if (!tok) std::cout << "(no tokenizer found: tokens are shown as ids; pass --tokenizer DIR)\n";
            }
          }};
}

}  // namespace lightreasoner::cli
