// `lightreasoner inspect contrast.jsonl`: summary statistics of a contrast dataset as a text
// report, or as JSON (--json) for scripts (scripts/plot_contrast.py draws it). No algorithms here.
// Token text needs a tokenizer; until one can be loaded here the report shows token ids.
#include <iostream>
#include <memory>

#include "command.h"
#include "lightreasoner/contrast/inspect.h"

namespace lightreasoner::cli {

Command make_inspect_command(CLI::App& root, const GlobalOptions& global) {
  struct Options {
    std::string path;
    bool json = false;
    contrast::InspectOptions inspect;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = root.add_subcommand("inspect", "statistics of a contrast dataset (contrast.jsonl)");
  app->add_option("path", options->path, "contrast.jsonl (contrast.meta.json beside it is read too)")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_flag("--json", options->json, "print the statistics as one JSON object");
  app->add_option("--examples", options->inspect.examples, "example steps shown")->capture_default_str()->check(
      CLI::NonNegativeNumber);
  app->add_option("--top", options->inspect.top_tokens, "most frequent target tokens listed")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  return {app, [options] {
            const auto summary = contrast::summarize_contrast(options->path, options->inspect);
            if (options->json)
              std::cout << contrast::summary_to_json(summary).dump(2) << "\n";
            else
              std::cout << contrast::render_summary(summary);
          }};
}

}  // namespace lightreasoner::cli
