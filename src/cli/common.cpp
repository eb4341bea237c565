// Shared CLI pieces: --config/--set options, config resolution with global overrides, finding
// the tokenizer of a contrast dataset, and joining a torchrun launch for the data-parallel commands.
#include "command.h"

#include <nlohmann/json.hpp>

#include "lightreasoner/contrast/meta.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/dist/launch.h"
#include "lightreasoner/dist/process_group.h"

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

std::optional<std::filesystem::path> dataset_tokenizer_dir(const std::filesystem::path& dataset,
                                                           const std::string& given) {
  if (!given.empty()) return std::filesystem::path(given);
  const auto meta_path = contrast::meta_path_for(dataset);
  if (!std::filesystem::exists(meta_path)) return std::nullopt;
  try {
    const auto meta = contrast::read_meta(meta_path);
    if (meta.expert.path.empty() || !std::filesystem::is_directory(meta.expert.path)) return std::nullopt;
    return std::filesystem::path(meta.expert.path);
  } catch (const std::exception&) {
    return std::nullopt;  // an unreadable meta names no tokenizer; its reader reports the problem
  }
}

torch::Device join_launch(torch::Device requested, const GlobalOptions& global) {
  const auto launch = dist::launch_env_from_process();
  if (!launch.launched) return requested;
  const auto device = dist::rank_device(requested, launch);
  dist::GroupOptions group_options;
  group_options.timeout = std::chrono::seconds(global.dist_timeout_s);
  dist::join(launch, device, group_options);
  return device;
}

config::RunConfig resolve_parallel_config(const ConfigOptions& options, const GlobalOptions& global) {
  auto config = resolve_config(options, global);
  if (dist::launch_env_from_process().launched) config.device = join_launch(parse_device(config.device), global).str();
  return config;
}

}  // namespace lightreasoner::cli
