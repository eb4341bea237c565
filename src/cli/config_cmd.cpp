// `lightreasoner config`: load, override and validate a run config and print it fully resolved
// (every key, defaults filled in) — the quickest way to check a config file before a long run.
#include <iostream>
#include <memory>

#include "command.h"

namespace lightreasoner::cli {

Command make_config_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<ConfigOptions>();
  CLI::App* app = root.add_subcommand("config", "validate a run config and print it fully resolved");
  add_config_options(app, *options);
  return {app, [options, &global] {
            auto config = resolve_config(*options, global);
            std::cout << config::config_to_json(config).dump(2) << "\n";
          }};
}

}  // namespace lightreasoner::cli
