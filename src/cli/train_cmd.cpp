// `lightreasoner train --config C [--resume]`: sample if needed, then LoRA on the selected steps
// (pipeline/train.h). --resume continues from the newest checkpoint in <output_dir>/checkpoints.
#include <spdlog/spdlog.h>

#include <memory>

#include "command.h"
#include "lightreasoner/pipeline/train.h"

namespace lightreasoner::cli {

Command make_train_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<ConfigOptions>();
  auto resume = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand("train", "LoRA-tune the expert on the contrast dataset (sampled first if absent)");
  add_config_options(app, *options);
  auto resample = std::make_shared<bool>(false);
  app->add_flag("--resume", *resume, "continue from the newest checkpoint in <output_dir>/checkpoints");
  app->add_flag("--resample", *resample,
                "discard an existing <output_dir>/contrast.jsonl made with other settings and sample again");
  return {app, [options, resume, resample, &global] {
            auto report = pipeline::run_train(resolve_parallel_config(*options, global), *resume, *resample);
            spdlog::info("train: done: {} steps, final loss {:.4f}, {:.0f} supervised steps/s; adapter in {}",
                         report.summary.steps, report.summary.final_loss,
                         report.summary.seconds > 0 ? report.summary.supervised_steps / report.summary.seconds : 0.0,
                         report.output.string());
          }};
}

}  // namespace lightreasoner::cli
