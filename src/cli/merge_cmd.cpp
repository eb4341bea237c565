// `lightreasoner merge --model DIR --adapter DIR --out DIR`: fold a PEFT LoRA adapter into its
// base and write a plain HF model directory (pipeline/merge.h).
#include <memory>

#include "command.h"
#include "lightreasoner/pipeline/merge.h"

namespace lightreasoner::cli {

namespace {
struct MergeOptions {
  std::string model, adapter, out;
  double max_shard_mb = 5000;
};
}  // namespace

Command make_merge_command(CLI::App& root, const GlobalOptions&) {
  auto options = std::make_shared<MergeOptions>();
  CLI::App* app = root.add_subcommand("merge", "merge a LoRA adapter into its base model (W += B·A·scale)");
  app->add_option("--model", options->model, "base model directory")->required()->check(CLI::ExistingDirectory);
  app->add_option("--adapter", options->adapter, "PEFT adapter directory")->required()->check(CLI::ExistingDirectory);
  app->add_option("--out", options->out, "output model directory")->required();
  app->add_option("--max-shard-mb", options->max_shard_mb, "shard the weights above this size (MB)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  return {app, [options] {
            pipeline::run_merge(options->model, options->adapter, options->out,
                                static_cast<uint64_t>(options->max_shard_mb * 1e6));
          }};
}

}  // namespace lightreasoner::cli
