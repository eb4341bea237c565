// What every subcommand file provides: a factory that declares its options on the root CLI11
// app and returns the function to run once parsing succeeded. Global options (logging,
// device, threads, seed) and the shared --config/--set options live here too. No algorithms.
#pragma once

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"

namespace lightreasoner::cli {

struct GlobalOptions {
  std::string log_level = "info";
  std::string log_file;
  std::optional<std::string> device;  // overrides config "device" when given
  int threads = 0;                    // 0 = LibTorch default
  std::optional<int64_t> seed;        // overrides config "seed" when given
  int dist_timeout_s = 600;           // torchrun launches: rendezvous and collective timeout
};

struct Command {
  CLI::App* app = nullptr;
  std::function<void()> run;
};

using CommandFactory = Command (*)(CLI::App& root, const GlobalOptions& global);

// --config FILE, repeated --set key.path=value and --adapter DIR, shared by every config-driven command.
struct ConfigOptions {
  std::string path;
  std::vector<std::string> overrides;
  std::optional<std::string> adapter;  // --adapter DIR: sets expert.adapter (a PEFT adapter on the expert)
};
void add_config_options(CLI::App* app, ConfigOptions& options);
// Loads the config, applying --set overrides and then the global --device/--seed.
config::RunConfig resolve_config(const ConfigOptions& options, const GlobalOptions& global);
// resolve_config for the data-parallel commands (sample, train, sft, eval): under torchrun it also
// moves a CUDA device to cuda:LOCAL_RANK and joins the launch's process group (dist/).
config::RunConfig resolve_parallel_config(const ConfigOptions& options, const GlobalOptions& global);
// The same for a command without a config: joins a torchrun launch (no-op otherwise) and returns
// the device this rank computes on.
torch::Device join_launch(torch::Device requested, const GlobalOptions& global);

// The tokenizer directory for a contrast dataset: `given` when not empty, else the expert recorded
// in its contrast.meta.json when that directory exists here; nullopt when neither.
std::optional<std::filesystem::path> dataset_tokenizer_dir(const std::filesystem::path& dataset,
                                                           const std::string& given);

// Every subcommand, one factory per file under src/cli/.
Command make_config_command(CLI::App& root, const GlobalOptions& global);
Command make_tensors_command(CLI::App& root, const GlobalOptions& global);
Command make_inspect_command(CLI::App& root, const GlobalOptions& global);
Command make_eval_command(CLI::App& root, const GlobalOptions& global);
Command make_init_command(CLI::App& root, const GlobalOptions& global);
Command make_generate_command(CLI::App& root, const GlobalOptions& global);
Command make_tokenize_command(CLI::App& root, const GlobalOptions& global);
Command make_sample_command(CLI::App& root, const GlobalOptions& global);
Command make_train_command(CLI::App& root, const GlobalOptions& global);
Command make_sft_command(CLI::App& root, const GlobalOptions& global);
Command make_merge_command(CLI::App& root, const GlobalOptions& global);
Command make_official_command(CLI::App& root, const GlobalOptions& global);
Command make_world_command(CLI::App& root, const GlobalOptions& global);

}  // namespace lightreasoner::cli
