// ModelConfig: everything that describes a decoder, parsed from a Hugging Face config.json (both
// the transformers 4 spelling `rope_theta`/`rope_scaling`/`torch_dtype` and the transformers 5
// spelling `rope_parameters`/`dtype`) plus generation_config.json. Architecture differences are
// flags (qkv bias, q/k norm, rope type), never subclasses. Derived sizes are methods. Also the
// inverse (to_json) so `init` writes configs transformers reads. No tensors here.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lightreasoner::model {

enum class RopeType { kDefault, kLinear, kDynamic, kYarn, kLlama3 };
const char* rope_type_name(RopeType type);

// docs/formats.md (Rope scaling). Only the fields of the chosen type matter.
struct RopeConfig {
  RopeType type = RopeType::kDefault;
  double theta = 10000.0;
  double partial_rotary_factor = 1.0;
  double factor = 1.0;                                    // linear, dynamic, yarn, llama3
  std::optional<int64_t> original_max_position_embeddings;  // yarn, llama3
  double low_freq_factor = 1.0;                           // llama3
  double high_freq_factor = 4.0;                          // llama3
  std::optional<double> attention_factor;                 // yarn (default 0.1 ln(factor) + 1)
  double beta_fast = 32.0;                                // yarn
  double beta_slow = 1.0;                                 // yarn
};

// generation_config.json (falling back to config.json for the special ids).
struct GenerationDefaults {
  std::vector<int64_t> eos_token_ids;  // stop on any
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> pad_token_id;
  bool do_sample = false;
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  double min_p = 0.0;
  std::optional<int64_t> max_new_tokens;
};

struct ModelConfig {
  std::string architecture;  // "Qwen2ForCausalLM", "LlamaForCausalLM", "MistralForCausalLM", "Qwen3ForCausalLM"
  std::string model_type;    // "qwen2", "llama", "mistral", "qwen3"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t explicit_head_dim = 0;  // 0: derived as hidden_size / num_attention_heads
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  // Architecture flags.
  bool qkv_bias = false;     // Qwen2: always; Llama/Mistral/Qwen3: attention_bias
  bool o_bias = false;       // Llama/Mistral/Qwen3: attention_bias; Qwen2: never
  bool mlp_bias = false;     // Llama: mlp_bias
  bool qk_norm = false;      // Qwen3: per-head RMSNorm on q and k before RoPE
  std::optional<int64_t> sliding_window;  // only when active; longer sequences are refused
  RopeConfig rope;
  std::string torch_dtype = "float32";  // the checkpoint's dtype as declared
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> pad_token_id;
  double initializer_range = 0.02;

  int64_t head_dim() const { return explicit_head_dim > 0 ? explicit_head_dim : hidden_size / num_attention_heads; }
  int64_t q_dim() const { return num_attention_heads * head_dim(); }
  int64_t kv_dim() const { return num_key_value_heads * head_dim(); }
  int64_t n_rep() const { return num_attention_heads / num_key_value_heads; }
  int64_t rotary_dim() const;
  // Parameter count (tied head counted once).
  int64_t num_parameters() const;
  // Multiply-adds per token of the weight matmuls (excluding attention scores), times 2 = FLOPs.
  int64_t matmul_flops_per_token() const;

  // Checks internal consistency (divisibility, positivity); `where` names the source in errors.
  void validate(const std::string& where) const;
};

// Parses a config.json object; `where` (the file path) prefixes every error. Unsupported
// architectures, activations and rope types are errors.
ModelConfig model_config_from_json(const nlohmann::json& json, const std::string& where);
// transformers-4 style config.json (torch_dtype, rope_theta, rope_scaling) that HF loads.
nlohmann::json model_config_to_json(const ModelConfig& config);

GenerationDefaults generation_defaults_from_json(const nlohmann::json& json, const ModelConfig& model,
                                                 const std::string& where);
nlohmann::json generation_defaults_to_json(const GenerationDefaults& defaults);

// <dir>/config.json (+ <dir>/generation_config.json when present).
ModelConfig load_model_config(const std::filesystem::path& dir);
GenerationDefaults load_generation_defaults(const std::filesystem::path& dir, const ModelConfig& model);
// The ids that end a row: the generation config's eos ids plus the tokenizer's eos when it is not
// among them (HF stops on either).
std::vector<int64_t> eos_ids_with(const GenerationDefaults& defaults, std::optional<int64_t> tokenizer_eos);
// The id that fills left padding: the generation config's pad id, else the tokenizer's, else 0
// (padding is never attended to, so any valid id does).
int64_t pad_id_with(const GenerationDefaults& defaults, std::optional<int64_t> tokenizer_pad);

}  // namespace lightreasoner::model
