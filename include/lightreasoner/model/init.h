// Random model directories in Hugging Face layout (config.json, generation_config.json,
// model.safetensors or shards, tokenizer files copied from a given directory): the presets that
// `lightreasoner init` offers (tiny/small test shapes for every architecture, and the exact
// shapes of released Qwen/Llama checkpoints for benchmarks) and the seeded initialisation.
// Nothing here trains or loads; loader.h reads these directories back.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lightreasoner/model/model_config.h"
#include "lightreasoner/model/transformer.h"

namespace lightreasoner::model {

// "qwen2", "llama", "mistral", "qwen3".
std::vector<std::string> architecture_names();
// "tiny", "small", "qwen2.5-0.5b", "qwen2.5-math-1.5b", ...
std::vector<std::string> preset_names();
// A preset's config for an architecture. Named release presets fix their architecture: `arch`
// empty takes it, a different one is an error. tiny/small take any architecture (default qwen2).
ModelConfig preset_config(const std::string& arch, const std::string& size);

// Per-dimension changes to a preset (the toy world's models: a tiny shape with the vocabulary of
// its own tokenizer). Unset fields keep the preset's value.
struct ShapeOverrides {
  std::optional<int64_t> vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
      num_key_value_heads, max_position_embeddings;
};
// Applies the overrides and checks the result is buildable (positive sizes, heads dividing the
// hidden size, kv heads dividing heads); errors name the offending option.
void apply_shape_overrides(ModelConfig& config, const ShapeOverrides& overrides);

struct InitOptions {
  uint64_t seed = 0;
  double std = 0.0;            // 0: the config's initializer_range (0.02 in HF)
  bool perturb_norms = false;  // norm weights 1 + N(0, 0.1) instead of 1 (makes tests see them)
};
// Fills every parameter from one seeded generator: projections, biases and embeddings ~ N(0, std),
// norm weights 1 (or perturbed). The same seed gives the same weights in every dtype.
void randomize_weights(CausalLM& model, const InitOptions& options);

struct ModelDirOptions {
  torch::ScalarType dtype = torch::kFloat32;  // stored dtype (config torch_dtype follows)
  uint64_t max_shard_bytes = 5'000'000'000;   // larger totals are sharded with an index (HF layout)
  std::optional<std::filesystem::path> tokenizer_dir;  // tokenizer files are copied from here
};
// Writes config.json, generation_config.json and the weights of `model` into `dir` (created).
void write_model_dir(CausalLM& model, const GenerationDefaults& generation, const std::filesystem::path& dir,
                     const ModelDirOptions& options);

// preset (+ overrides) + randomize + write: what `lightreasoner init` does. Returns the config written.
ModelConfig init_model_dir(const std::string& arch, const std::string& size, const InitOptions& init,
                           const ModelDirOptions& dir_options, const std::filesystem::path& dir,
                           const ShapeOverrides& overrides = {});

}  // namespace lightreasoner::model
