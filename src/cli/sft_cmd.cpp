// `lightreasoner sft --config C [--resume]`: supervised fine-tuning on reference solutions, LoRA
// or full (pipeline/sft.h), with the same checkpoints and --resume as `train`.
#include <spdlog/spdlog.h>

#include <memory>

#include "command.h"
#include "lightreasoner/pipeline/sft.h"

namespace lightreasoner::cli {

Command make_sft_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<ConfigOptions>();
  auto resume = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand("sft", "supervised fine-tuning (token cross-entropy) on reference solutions or rejection-sampled rollouts");
  add_config_options(app, *options);
  app->add_flag("--resume", *resume, "continue from the newest checkpoint in <output_dir>/checkpoints");
  return {app, [options, resume, &global] {
            auto report = pipeline::run_sft(resolve_parallel_config(*options, global), *resume);
            spdlog::info("sft: done: {} steps, final loss {:.4f}; output in {}", report.summary.steps,
                         report.summary.final_loss, report.output.string());
          }};
}

}  // namespace lightreasoner::cli
