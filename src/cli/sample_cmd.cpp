// `lightreasoner sample --config C`: expert rollouts, amateur scoring, KL step selection and
// contrastive soft targets into <output_dir>/contrast.jsonl (+ contrast.meta.json). Rerunning the
// same command after a kill resumes. The pipeline lives in contrast/sample.h.
#include <spdlog/spdlog.h>

#include <memory>

#include "command.h"
#include "lightreasoner/contrast/sample.h"

namespace lightreasoner::cli {

Command make_sample_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<ConfigOptions>();
  CLI::App* app = root.add_subcommand("sample", "expert rollouts + amateur scoring + KL selection -> contrast dataset");
  add_config_options(app, *options);
  return {app, [options, &global] {
            auto config = resolve_parallel_config(*options, global);
            auto report = contrast::run_sample(config);
            const auto& m = report.meta;
            spdlog::info("sample: wrote {} ({} rollouts, {} selected steps); generation {:.1f}s ({:.0f} tok/s), "
                         "scoring {:.1f}s ({:.0f} tok/s)",
                         report.dataset.string(), m.counts.rollouts, m.counts.steps_selected,
                         report.timings.generation_seconds, m.rollout_tokens_per_second,
                         report.timings.scoring_seconds, m.scored_tokens_per_second);
          }};
}

}  // namespace lightreasoner::cli
