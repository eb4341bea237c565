// Shared CLI pieces: --config/--set options and config resolution with global overrides.
#include "command.h"

#include <nlohmann/json.hpp>

namespace lightreasoner::cli {

void add_config_options(CLI::App* app, ConfigOptions& options) {
  app->add_option("--config,-c", options.path, "run config (JSON)")->check(CLI::ExistingFile);
  app->add_option("--set", options.overrides, "override a config key: --set train.lr=1e-4 (repeatable)")
      ->take_all();
  app->add_option("--adapter", options.adapter, "PEFT LoRA adapter directory applied to the expert (expert.adapter)")
      ->check(CLI::ExistingDirectory);
}

config::RunConfig resolve_config(const ConfigOptions& options, const GlobalOptions& global) {
  std::vector<std::string> overrides = options.overrides;
  if (options.adapter) overrides.push_back("expert.adapter=" + nlohmann::json(*options.adapter).dump());
  if (global.device) overrides.push_back("device=\"" + *global.device + "\"");
  if (global.seed) overrides.push_back("seed=" + std::to_string(*global.seed));
  return config::load_run_config(options.path, overrides);
}

}  // namespace lightreasoner::cli
