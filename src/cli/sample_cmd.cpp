// `lightreasoner sample --config C`: expert rollouts, amateur scoring, KL step selection and
// contrastive soft targets into <output_dir>/contrast.jsonl (+ contrast.meta.json). Rerunning the
// same command after a kill resumes; with other settings it refuses (--resample starts over). The recipe lives in pipeline/sample.h.
#include <spdlog/spdlog.h>

#include <memory>

#include "command.h"
#include "lightreasoner/pipeline/sample.h"

namespace lightreasoner::cli {

Command make_sample_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<ConfigOptions>();
  auto resample = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand("sample", "expert rollouts + amateur scoring + KL selection -> contrast dataset");
  add_config_options(app, *options);
  app->add_flag("--resample", *resample,
                "discard an existing <output_dir>/contrast.jsonl made with other settings and sample again");
  return {app, [options, resample, &global] {
            auto config = resolve_parallel_config(*options, global);
            auto report = pipeline::run_sample(config, *resample);
            const auto& m = report.meta;
            spdlog::info("sample: wrote {} ({} rollouts, {} selected steps); generation {:.1f}s ({:.0f} tok/s), "
                         "scoring {:.1f}s ({:.0f} tok/s)",
                         report.dataset.string(), m.counts.rollouts, m.counts.steps_selected,
                         report.timings.generation_seconds, m.rollout_tokens_per_second,
                         report.timings.scoring_seconds, m.scored_tokens_per_second);
          }};
}

}  // namespace lightreasoner::cli
