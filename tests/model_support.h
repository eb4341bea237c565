// Test helpers for model and generation suites: tiny random models written by our own `init`
// code into a fresh temp directory (no downloads), and tensor comparison with readable output.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "lightreasoner/model/init.h"
#include "lightreasoner/model/loader.h"
#include "support.h"

namespace lrtest {

// A tiny random model directory of the given architecture (see model::preset_config "tiny").
// std 0.1 (not HF's 0.02) and perturbed norms make the distributions peaked enough that greedy
// ids and every weight matter.
inline std::filesystem::path make_tiny_model(const std::string& arch, const std::string& tag = "",
                                             uint64_t seed = 7) {
  auto dir = temp_dir("tiny-" + arch + tag);
  lightreasoner::model::InitOptions init;
  init.seed = seed;
  init.std = 0.1;
  init.perturb_norms = true;
  lightreasoner::model::init_model_dir(arch, "tiny", init, {}, dir);
  return dir;
}

// The same kind of model at `dir` with stories260K's tokenizer copied in, so that the CLI
// commands (which load the tokenizer from the model directory) run on it.
inline std::filesystem::path make_stories_model(const std::filesystem::path& dir, const std::string& arch,
                                                uint64_t seed) {
  lightreasoner::model::InitOptions init;
  init.seed = seed;
  init.std = 0.1;
  init.perturb_norms = true;
  lightreasoner::model::ModelDirOptions options;
  options.tokenizer_dir = fixture_dir() / "stories260K/hf";
  lightreasoner::model::init_model_dir(arch, "tiny", init, options, dir);
  return dir;
}

inline std::shared_ptr<lightreasoner::model::CausalLM> load_tiny(const std::filesystem::path& dir,
                                                                 torch::ScalarType dtype = torch::kFloat32) {
  lightreasoner::model::LoadOptions options;
  options.dtype = dtype;
  return lightreasoner::model::load_model(dir, options);
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace lrtest
