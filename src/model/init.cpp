// Presets, seeded random initialisation and HF-layout model directories for `init`. Release
// presets copy the shapes of the published config.json files (docs/formats.md (Model directory)) so
// benchmarks on random weights cost what the real checkpoints cost.
#include "lightreasoner/model/init.h"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>

#include <map>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/loader.h"

namespace lightreasoner::model {
namespace {

namespace fs = std::filesystem;

struct Shape {
  int64_t vocab, hidden, intermediate, layers, heads, kv_heads, head_dim, max_pos;
  double theta, eps;
  bool tied;
};

struct ReleasePreset {
  std::string arch;
  Shape shape;
  std::optional<int64_t> bos;
  std::vector<int64_t> eos;
  RopeConfig rope_scaling;  // type/factor fields only; theta comes from the shape
};

const std::map<std::string, ReleasePreset>& release_presets() {
  static const std::map<std::string, ReleasePreset> kPresets = [] {
    std::map<std::string, ReleasePreset> p;
    p["qwen2.5-0.5b"] = {"qwen2", {151936, 896, 4864, 24, 14, 2, 0, 32768, 1e6, 1e-6, true}, 151643, {151643}, {}};
    p["qwen2.5-1.5b"] = {"qwen2", {151936, 1536, 8960, 28, 12, 2, 0, 131072, 1e6, 1e-6, true}, 151643, {151643}, {}};
    p["qwen2.5-math-1.5b"] = {"qwen2", {151936, 1536, 8960, 28, 12, 2, 0, 4096, 1e4, 1e-6, true}, 151643, {151643}, {}};
    p["qwen2.5-7b"] = {"qwen2", {152064, 3584, 18944, 28, 28, 4, 0, 131072, 1e6, 1e-6, false}, 151643, {151643}, {}};
    p["qwen2.5-math-7b"] = {"qwen2", {152064, 3584, 18944, 28, 28, 4, 0, 4096, 1e4, 1e-6, false}, 151643, {151643}, {}};
    p["qwen3-0.6b"] = {"qwen3", {151936, 1024, 3072, 28, 16, 8, 128, 40960, 1e6, 1e-6, true}, 151643, {151645}, {}};
    RopeConfig llama3;
    llama3.type = RopeType::kLlama3;
    llama3.factor = 32.0;
    llama3.low_freq_factor = 1.0;
    llama3.high_freq_factor = 4.0;
    llama3.original_max_position_embeddings = 8192;
    p["llama3.2-1b"] = {"llama", {128256, 2048, 8192, 16, 32, 8, 64, 131072, 5e5, 1e-5, true}, 128000, {128001}, llama3};
    return p;
  }();
  return kPresets;
}

// Test and benchmark shapes that fit every architecture.
const std::map<std::string, Shape>& generic_presets() {
  static const std::map<std::string, Shape> kPresets = {
      // 2 layers, GQA 4/2: the shape the invariant tests use.
      {"tiny", {512, 64, 128, 2, 4, 2, 0, 512, 1e4, 1e-6, true}},
      // ~28M parameters, Qwen2-shaped (GQA 8/2, tied): the CPU benchmark model.
      {"small", {8192, 512, 1536, 8, 8, 2, 0, 4096, 1e6, 1e-6, true}},
  };
  return kPresets;
}

ModelConfig config_for(const std::string& arch, const Shape& shape) {
  ModelConfig config;
  static const std::map<std::string, std::pair<std::string, std::string>> kArchs = {
      {"qwen2", {"Qwen2ForCausalLM", "qwen2"}},
      {"llama", {"LlamaForCausalLM", "llama"}},
      {"mistral", {"MistralForCausalLM", "mistral"}},
      {"qwen3", {"Qwen3ForCausalLM", "qwen3"}}};
  auto it = kArchs.find(arch);
  LR_CHECK(it != kArchs.end(), "unknown architecture '" << arch << "' (qwen2, llama, mistral, qwen3)");
  config.architecture = it->second.first;
  config.model_type = it->second.second;
  config.qkv_bias = arch == "qwen2";
  config.qk_norm = arch == "qwen3";
  config.vocab_size = shape.vocab;
  config.hidden_size = shape.hidden;
  config.intermediate_size = shape.intermediate;
  config.num_hidden_layers = shape.layers;
  config.num_attention_heads = shape.heads;
  config.num_key_value_heads = shape.kv_heads;
  config.explicit_head_dim = shape.head_dim;
  config.max_position_embeddings = shape.max_pos;
  config.rope.theta = shape.theta;
  config.rms_norm_eps = shape.eps;
  config.tie_word_embeddings = shape.tied;
  config.bos_token_id = 1;
  config.eos_token_ids = {2};
  return config;
}

bool is_norm_weight(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with("norm.weight");  // input_layernorm, post_attention_layernorm, q_norm, k_norm, model.norm
}

}  // namespace

std::vector<std::string> architecture_names() { return {"qwen2", "llama", "mistral", "qwen3"}; }

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& [name, _] : generic_presets()) names.push_back(name);
  for (const auto& [name, _] : release_presets()) names.push_back(name);
  return names;
}

ModelConfig preset_config(const std::string& arch, const std::string& size) {
  if (auto generic = generic_presets().find(size); generic != generic_presets().end()) {
    const std::string chosen = arch.empty() ? "qwen2" : arch;
    Shape shape = generic->second;
    if (chosen == "qwen3") shape.head_dim = 2 * shape.hidden / shape.heads;  // head_dim != hidden / heads, as in Qwen3
    if (chosen == "llama" && size == "tiny") shape.tied = false;               // exercise the untied head too
    return config_for(chosen, shape);
  }
  auto release = release_presets().find(size);
  if (release == release_presets().end()) {
    std::string names;
    for (const auto& name : preset_names()) names += (names.empty() ? "" : ", ") + name;
    LR_FAIL("unknown model size '" << size << "' (choose one of: " << names << ")");
  }
  const ReleasePreset& preset = release->second;
  LR_CHECK(arch.empty() || arch == preset.arch,
           "size '" << size << "' is a " << preset.arch << " model; it cannot be built as --arch " << arch);
  ModelConfig config = config_for(preset.arch, preset.shape);
  config.bos_token_id = preset.bos;
  config.eos_token_ids = preset.eos;
  const double theta = config.rope.theta;
  config.rope = preset.rope_scaling;
  config.rope.theta = theta;
  return config;
}

void apply_shape_overrides(ModelConfig& config, const ShapeOverrides& overrides) {
  auto set = [](int64_t& field, const std::optional<int64_t>& value, const char* option) {
    if (!value) return;
    LR_CHECK(*value > 0, "init: " << option << " must be > 0, got " << *value);
    field = *value;
  };
  set(config.vocab_size, overrides.vocab_size, "--vocab-size");
  set(config.hidden_size, overrides.hidden_size, "--hidden-size");
  set(config.intermediate_size, overrides.intermediate_size, "--intermediate-size");
  set(config.num_hidden_layers, overrides.num_hidden_layers, "--layers");
  set(config.num_attention_heads, overrides.num_attention_heads, "--heads");
  set(config.num_key_value_heads, overrides.num_key_value_heads, "--kv-heads");
  set(config.max_position_embeddings, overrides.max_position_embeddings, "--max-positions");
  if (overrides.hidden_size || overrides.num_attention_heads) {
    LR_CHECK(config.explicit_head_dim > 0 || config.hidden_size % config.num_attention_heads == 0,
             "init: --hidden-size " << config.hidden_size << " is not divisible by --heads "
                                    << config.num_attention_heads);
  }
  LR_CHECK(config.num_attention_heads % config.num_key_value_heads == 0,
           "init: --heads " << config.num_attention_heads << " is not a multiple of --kv-heads "
                            << config.num_key_value_heads);
}

void randomize_weights(CausalLM& model, const InitOptions& options) {
  const double std = options.std > 0 ? options.std : model.config().initializer_range;
  auto generator = at::detail::createCPUGenerator(options.seed);
  torch::NoGradGuard no_grad;
  for (auto& item : model.named_parameters(/*recurse=*/true)) {
    auto& param = item.value();
    auto values = torch::empty(param.sizes(), torch::kFloat32);
    if (is_norm_weight(item.key())) {
      values.fill_(1.0);
      if (options.perturb_norms) values.add_(torch::empty_like(values).normal_(0.0, 0.1, generator));
    } else {
      values.normal_(0.0, std, generator);
    }
    param.copy_(values);
  }
}

void write_model_dir(CausalLM& model, const GenerationDefaults& generation, const fs::path& dir,
                     const ModelDirOptions& options) {
  fs::create_directories(dir);
  ModelConfig config = model.config();
  config.torch_dtype = options.dtype == torch::kBFloat16 ? "bfloat16"
                       : options.dtype == torch::kFloat16 ? "float16"
                                                          : "float32";
  write_file_atomic(dir / "config.json", model_config_to_json(config).dump(2) + "\n");
  write_file_atomic(dir / "generation_config.json", generation_defaults_to_json(generation).dump(2) + "\n");
  io::write_checkpoint(dir, model_tensors(model, options.dtype), options.max_shard_bytes);
  if (options.tokenizer_dir) {
    int copied = 0;
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "merges.txt",
                             "special_tokens_map.json", "added_tokens.json"}) {
      const fs::path source = *options.tokenizer_dir / name;
      if (!fs::exists(source)) continue;
      fs::copy_file(source, dir / name, fs::copy_options::overwrite_existing);
      ++copied;
    }
    LR_CHECK(copied > 0, "tokenizer directory '" << options.tokenizer_dir->string()
                                                 << "' has no tokenizer.json, tokenizer.model or vocab.json");
  }
}

ModelConfig init_model_dir(const std::string& arch, const std::string& size, const InitOptions& init,
                           const ModelDirOptions& dir_options, const fs::path& dir, const ShapeOverrides& overrides) {
  ModelConfig config = preset_config(arch, size);
  apply_shape_overrides(config, overrides);
  // Built directly in the stored dtype (a 7B preset in fp32 would need 28 GB); randomize_weights
  // draws in fp32 and converts, so the same seed still gives the same weights in every dtype.
  CausalLM model(config, torch::TensorOptions().dtype(dir_options.dtype));
  randomize_weights(model, init);
  GenerationDefaults generation;
  generation.bos_token_id = config.bos_token_id;
  generation.eos_token_ids = config.eos_token_ids;
  write_model_dir(model, generation, dir, dir_options);
  return config;
}

}  // namespace lightreasoner::model
