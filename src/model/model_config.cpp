// ModelConfig from/to Hugging Face config.json and generation_config.json (keys: see
// docs/formats.md (Model directory)). Every key is read with its type checked and the file and key named in the
// error; keys we do not need are ignored (HF configs carry many informational ones).
#include "lightreasoner/model/model_config.h"

#include <algorithm>

#include <cmath>
#include <map>

#include "lightreasoner/config/fields.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/io/limits.h"

namespace lightreasoner::model {
namespace {

using Json = nlohmann::json;

// eos_token_id: an int or a list of ints.
std::vector<int64_t> id_list(const config::Fields& f, const std::string& key) {
  std::vector<int64_t> ids;
  const Json* value = f.find(key);
  if (value == nullptr) return ids;
  if (!value->is_array()) return {f.get<int64_t>(key)};
  for (size_t i = 0; i < value->size(); ++i) {
    int64_t id = 0;
    config::read_value((*value)[i], f.name(key) + "[" + std::to_string(i) + "]", id);
    ids.push_back(id);
  }
  return ids;
}

// The inverse of id_list: a single id as an int (as HF writes it), several as a list.
Json id_list_json(const std::vector<int64_t>& ids) { return ids.size() == 1 ? Json(ids[0]) : Json(ids); }

RopeType parse_rope_type(const std::string& name, const std::string& where) {
  static const std::map<std::string, RopeType> kTypes = {{"default", RopeType::kDefault},
                                                         {"linear", RopeType::kLinear},
                                                         {"dynamic", RopeType::kDynamic},
                                                         {"yarn", RopeType::kYarn},
                                                         {"llama3", RopeType::kLlama3}};
  auto it = kTypes.find(name);
  LR_CHECK(it != kTypes.end(), where << ": rope type '" << name
                                     << "' is not supported (supported: default, linear, dynamic, yarn, llama3)");
  return it->second;
}

// rope_scaling (transformers 4) or rope_parameters (transformers 5, which also holds rope_theta).
RopeConfig parse_rope(const config::Fields& model) {
  RopeConfig rope;
  model.read_if_present("rope_theta", rope.theta);
  model.read_if_present("partial_rotary_factor", rope.partial_rotary_factor);
  const std::string section = model.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
  if (!model.has(section)) return rope;
  const config::Fields scaling = model.section(section);
  const std::string scope = model.where() + " " + section;
  scaling.read_if_present("rope_theta", rope.theta);
  scaling.read_if_present("partial_rotary_factor", rope.partial_rotary_factor);
  std::optional<std::string> type_name;
  scaling.read_if_present("rope_type", type_name);
  if (!type_name) scaling.read_if_present("type", type_name);
  rope.type = parse_rope_type(type_name.value_or("default"), scope);
  scaling.read_if_present("factor", rope.factor);
  scaling.read_if_present("original_max_position_embeddings", rope.original_max_position_embeddings);
  scaling.read_if_present("low_freq_factor", rope.low_freq_factor);
  scaling.read_if_present("high_freq_factor", rope.high_freq_factor);
  if (scaling.has("attention_factor")) rope.attention_factor = scaling.get<double>("attention_factor");
  scaling.read_if_present("beta_fast", rope.beta_fast);
  scaling.read_if_present("beta_slow", rope.beta_slow);
  for (const char* key : {"mscale", "mscale_all_dim", "short_factor", "long_factor"}) {
    LR_CHECK(!scaling.has(key),
             scope << ": key '" << key << "' (DeepSeek/LongRoPE-style scaling) is not supported");
  }
  const bool needs_factor = rope.type != RopeType::kDefault;
  LR_CHECK(!needs_factor || scaling.has("factor"),
           scope << ": rope type '" << rope_type_name(rope.type) << "' requires key 'factor'");
  LR_CHECK(!needs_factor || rope.factor >= 1.0 || rope.type == RopeType::kLinear,
           scope << ": 'factor' must be >= 1 (got " << rope.factor << ")");
  if (rope.type == RopeType::kLlama3) {
    for (const char* key : {"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
      LR_CHECK(scaling.has(key), scope << ": rope type 'llama3' requires key '" << key << "'");
    }
    LR_CHECK(rope.high_freq_factor > rope.low_freq_factor,
             scope << ": high_freq_factor (" << rope.high_freq_factor << ") must exceed low_freq_factor ("
                   << rope.low_freq_factor << ")");
  }
  return rope;
}

}  // namespace

const char* rope_type_name(RopeType type) {
  switch (type) {
    case RopeType::kDefault: return "default";
    case RopeType::kLinear: return "linear";
    case RopeType::kDynamic: return "dynamic";
    case RopeType::kYarn: return "yarn";
    case RopeType::kLlama3: return "llama3";
  }
  return "?";
}

int64_t ModelConfig::rotary_dim() const {
  return static_cast<int64_t>(static_cast<double>(head_dim()) * rope.partial_rotary_factor);
}

int64_t ModelConfig::num_parameters() const {
  const int64_t d = hidden_size, D = head_dim();
  int64_t per_layer = d * q_dim() + 2 * d * kv_dim() + q_dim() * d + 3 * d * intermediate_size + 2 * d;
  if (qkv_bias) per_layer += q_dim() + 2 * kv_dim();
  if (o_bias) per_layer += d;
  if (mlp_bias) per_layer += 2 * intermediate_size + d;
  if (qk_norm) per_layer += 2 * D;
  int64_t total = num_hidden_layers * per_layer + vocab_size * d + d;
  if (!tie_word_embeddings) total += vocab_size * d;
  return total;
}

int64_t ModelConfig::matmul_flops_per_token() const {
  const int64_t d = hidden_size;
  int64_t per_layer = d * q_dim() + 2 * d * kv_dim() + q_dim() * d + 3 * d * intermediate_size;
  return 2 * (num_hidden_layers * per_layer + vocab_size * d);
}

void ModelConfig::validate(const std::string& where) const {
  // Bounds first: every size below is used to allocate (weights, rope tables, KV caches), and the
  // products in num_parameters() must not overflow.
  auto bounded = [&](const char* key, int64_t value, int64_t max) {
    LR_CHECK(value <= max, where << ": key '" << key << "' is " << value << ", more than the sane bound " << max
                                 << " (corrupt or hostile config?)");
  };
  bounded("vocab_size", vocab_size, io::limits::kMaxVocabSize);
  bounded("hidden_size", hidden_size, io::limits::kMaxHiddenSize);
  bounded("intermediate_size", intermediate_size, io::limits::kMaxIntermediateSize);
  bounded("num_hidden_layers", num_hidden_layers, io::limits::kMaxLayers);
  bounded("num_attention_heads", num_attention_heads, io::limits::kMaxHeads);
  bounded("num_key_value_heads", num_key_value_heads, io::limits::kMaxHeads);
  bounded("head_dim", explicit_head_dim, io::limits::kMaxHeadDim);
  bounded("max_position_embeddings", max_position_embeddings, io::limits::kMaxPositions);
  if (sliding_window) bounded("sliding_window", *sliding_window, io::limits::kMaxPositions);
  if (rope.original_max_position_embeddings) {
    bounded("original_max_position_embeddings", *rope.original_max_position_embeddings, io::limits::kMaxPositions);
  }
  LR_CHECK(vocab_size > 0 && hidden_size > 0 && intermediate_size > 0 && num_hidden_layers > 0,
           where << ": vocab_size, hidden_size, intermediate_size and num_hidden_layers must be positive (got "
                 << vocab_size << ", " << hidden_size << ", " << intermediate_size << ", " << num_hidden_layers << ")");
  LR_CHECK(num_attention_heads > 0 && num_key_value_heads > 0,
           where << ": num_attention_heads and num_key_value_heads must be positive (got " << num_attention_heads
                 << ", " << num_key_value_heads << ")");
  LR_CHECK(num_attention_heads % num_key_value_heads == 0,
           where << ": num_attention_heads (" << num_attention_heads << ") must be a multiple of num_key_value_heads ("
                 << num_key_value_heads << ")");
  LR_CHECK(explicit_head_dim > 0 || hidden_size % num_attention_heads == 0,
           where << ": hidden_size (" << hidden_size << ") is not divisible by num_attention_heads ("
                 << num_attention_heads << ") and no head_dim is given");
  LR_CHECK(head_dim() % 2 == 0, where << ": head_dim must be even for rotary embeddings (got " << head_dim() << ")");
  LR_CHECK(rope.partial_rotary_factor == 1.0,
           where << ": partial_rotary_factor " << rope.partial_rotary_factor << " is not supported (only 1.0)");
  LR_CHECK(rope.theta > 0, where << ": rope_theta must be positive (got " << rope.theta << ")");
  LR_CHECK(rms_norm_eps > 0, where << ": rms_norm_eps must be positive (got " << rms_norm_eps << ")");
  LR_CHECK(max_position_embeddings > 0,
           where << ": max_position_embeddings must be positive (got " << max_position_embeddings << ")");
}

ModelConfig model_config_from_json(const Json& json, const std::string& where) {
  const config::Fields f(json, where);
  ModelConfig config;
  config.model_type = f.get_or<std::optional<std::string>>("model_type", std::nullopt).value_or("");
  if (const Json* archs = f.find("architectures")) {
    LR_CHECK(archs->is_array() && archs->size() == 1 && (*archs)[0].is_string(),
             where << ": key 'architectures' must be a list of one name (got " << archs->dump() << ")");
    config.architecture = (*archs)[0].get<std::string>();
  } else {
    static const std::map<std::string, std::string> kByType = {{"qwen2", "Qwen2ForCausalLM"},
                                                               {"llama", "LlamaForCausalLM"},
                                                               {"mistral", "MistralForCausalLM"},
                                                               {"qwen3", "Qwen3ForCausalLM"}};
    auto it = kByType.find(config.model_type);
    LR_CHECK(it != kByType.end(), where << ": no 'architectures' and unsupported model_type '" << config.model_type
                                        << "' (supported: qwen2, llama, mistral, qwen3)");
    config.architecture = it->second;
  }

  bool attention_bias = false;
  f.read_if_present("attention_bias", attention_bias);
  f.read_if_present("mlp_bias", config.mlp_bias);
  if (config.architecture == "Qwen2ForCausalLM") {
    config.qkv_bias = true;  // unconditional in modeling_qwen2.py
    bool use_sliding_window = false;
    f.read_if_present("use_sliding_window", use_sliding_window);
    if (use_sliding_window) f.read_if_present("sliding_window", config.sliding_window);
  } else if (config.architecture == "LlamaForCausalLM" || config.architecture == "MistralForCausalLM") {
    config.qkv_bias = config.o_bias = attention_bias;
    if (config.architecture == "MistralForCausalLM") f.read_if_present("sliding_window", config.sliding_window);
  } else if (config.architecture == "Qwen3ForCausalLM") {
    config.qkv_bias = config.o_bias = attention_bias;
    config.qk_norm = true;
    bool use_sliding_window = false;
    f.read_if_present("use_sliding_window", use_sliding_window);
    if (use_sliding_window) f.read_if_present("sliding_window", config.sliding_window);
  } else {
    LR_FAIL(where << ": architecture '" << config.architecture
                  << "' is not supported (supported: Qwen2ForCausalLM, LlamaForCausalLM, MistralForCausalLM, "
                     "Qwen3ForCausalLM)");
  }
  if (config.architecture != "LlamaForCausalLM") config.mlp_bias = false;

  config.vocab_size = f.get<int64_t>("vocab_size");
  config.hidden_size = f.get<int64_t>("hidden_size");
  config.intermediate_size = f.get<int64_t>("intermediate_size");
  config.num_hidden_layers = f.get<int64_t>("num_hidden_layers");
  config.num_attention_heads = f.get<int64_t>("num_attention_heads");
  config.num_key_value_heads = config.num_attention_heads;
  f.read_if_present("num_key_value_heads", config.num_key_value_heads);
  f.read_if_present("head_dim", config.explicit_head_dim);
  f.read_if_present("max_position_embeddings", config.max_position_embeddings);
  f.read_if_present("rms_norm_eps", config.rms_norm_eps);
  f.read_if_present("initializer_range", config.initializer_range);
  config.tie_word_embeddings = false;
  f.read_if_present("tie_word_embeddings", config.tie_word_embeddings);
  const std::string act = f.get_or<std::optional<std::string>>("hidden_act", std::nullopt).value_or("silu");
  LR_CHECK(act == "silu", where << ": hidden_act '" << act << "' is not supported (only silu)");
  if (auto dtype = f.get_or<std::optional<std::string>>("dtype", std::nullopt)) {
    config.torch_dtype = *dtype;
  } else if (auto legacy = f.get_or<std::optional<std::string>>("torch_dtype", std::nullopt)) {
    config.torch_dtype = *legacy;
  }
  config.rope = parse_rope(f);
  if (config.rope.type == RopeType::kYarn && !config.rope.original_max_position_embeddings) {
    config.rope.original_max_position_embeddings = config.max_position_embeddings;
  }
  f.read_if_present("bos_token_id", config.bos_token_id);
  f.read_if_present("pad_token_id", config.pad_token_id);
  config.eos_token_ids = id_list(f, "eos_token_id");
  config.validate(where);
  return config;
}

Json model_config_to_json(const ModelConfig& config) {
  Json json;
  json["architectures"] = {config.architecture};
  json["model_type"] = config.model_type;
  json["vocab_size"] = config.vocab_size;
  json["hidden_size"] = config.hidden_size;
  json["intermediate_size"] = config.intermediate_size;
  json["num_hidden_layers"] = config.num_hidden_layers;
  json["num_attention_heads"] = config.num_attention_heads;
  json["num_key_value_heads"] = config.num_key_value_heads;
  if (config.explicit_head_dim > 0) json["head_dim"] = config.explicit_head_dim;
  json["hidden_act"] = "silu";
  json["max_position_embeddings"] = config.max_position_embeddings;
  json["rms_norm_eps"] = config.rms_norm_eps;
  json["rope_theta"] = config.rope.theta;
  if (config.rope.type == RopeType::kDefault) {
    json["rope_scaling"] = nullptr;
  } else {
    Json scaling = {{"rope_type", rope_type_name(config.rope.type)}, {"factor", config.rope.factor}};
    if (config.rope.original_max_position_embeddings) {
      scaling["original_max_position_embeddings"] = *config.rope.original_max_position_embeddings;
    }
    if (config.rope.type == RopeType::kLlama3) {
      scaling["low_freq_factor"] = config.rope.low_freq_factor;
      scaling["high_freq_factor"] = config.rope.high_freq_factor;
    }
    if (config.rope.type == RopeType::kYarn) {
      if (config.rope.attention_factor) scaling["attention_factor"] = *config.rope.attention_factor;
      scaling["beta_fast"] = config.rope.beta_fast;
      scaling["beta_slow"] = config.rope.beta_slow;
    }
    json["rope_scaling"] = scaling;
  }
  json["tie_word_embeddings"] = config.tie_word_embeddings;
  if (config.architecture == "Qwen2ForCausalLM" || config.architecture == "Qwen3ForCausalLM") {
    json["use_sliding_window"] = false;
    json["sliding_window"] = nullptr;
    json["max_window_layers"] = config.num_hidden_layers;
  }
  if (config.architecture != "Qwen2ForCausalLM") json["attention_bias"] = config.qkv_bias;
  if (config.architecture == "LlamaForCausalLM") json["mlp_bias"] = config.mlp_bias;
  json["attention_dropout"] = 0.0;
  json["initializer_range"] = config.initializer_range;
  json["bos_token_id"] = config.bos_token_id ? Json(*config.bos_token_id) : Json(nullptr);
  json["eos_token_id"] = id_list_json(config.eos_token_ids);
  if (config.pad_token_id) json["pad_token_id"] = *config.pad_token_id;
  json["torch_dtype"] = config.torch_dtype;
  json["use_cache"] = true;
  return json;
}

GenerationDefaults generation_defaults_from_json(const Json& json, const ModelConfig& model, const std::string& where) {
  const config::Fields f(json, where);
  GenerationDefaults defaults;
  defaults.eos_token_ids = id_list(f, "eos_token_id");
  if (defaults.eos_token_ids.empty()) defaults.eos_token_ids = model.eos_token_ids;
  defaults.bos_token_id = model.bos_token_id;
  f.read_if_present("bos_token_id", defaults.bos_token_id);
  defaults.pad_token_id = model.pad_token_id;
  f.read_if_present("pad_token_id", defaults.pad_token_id);
  f.read_if_present("do_sample", defaults.do_sample);
  f.read_if_present("temperature", defaults.temperature);
  f.read_if_present("top_p", defaults.top_p);
  f.read_if_present("top_k", defaults.top_k);
  f.read_if_present("min_p", defaults.min_p);
  f.read_if_present("max_new_tokens", defaults.max_new_tokens);
  return defaults;
}

Json generation_defaults_to_json(const GenerationDefaults& defaults) {
  Json json;
  if (defaults.bos_token_id) json["bos_token_id"] = *defaults.bos_token_id;
  json["eos_token_id"] = id_list_json(defaults.eos_token_ids);
  if (defaults.pad_token_id) json["pad_token_id"] = *defaults.pad_token_id;
  json["do_sample"] = defaults.do_sample;
  if (defaults.do_sample) {
    json["temperature"] = defaults.temperature;
    json["top_p"] = defaults.top_p;
    json["top_k"] = defaults.top_k;
  }
  if (defaults.max_new_tokens) json["max_new_tokens"] = *defaults.max_new_tokens;
  return json;
}

namespace {
Json read_json_file(const std::filesystem::path& path) {
  Json json = Json::parse(io::limits::read_bounded_file(path, io::limits::kMaxConfigJsonBytes, "a model config"),
                          nullptr, /*allow_exceptions=*/false);
  LR_CHECK(!json.is_discarded(), path.string() << ": not valid JSON");
  return json;
}
}  // namespace

ModelConfig load_model_config(const std::filesystem::path& dir) {
  const auto path = dir / "config.json";
  LR_CHECK(std::filesystem::exists(path), "model directory '" << dir.string() << "' has no config.json");
  return model_config_from_json(read_json_file(path), path.string());
}

GenerationDefaults load_generation_defaults(const std::filesystem::path& dir, const ModelConfig& model) {
  const auto path = dir / "generation_config.json";
  if (!std::filesystem::exists(path)) return generation_defaults_from_json(Json::object(), model, path.string());
  return generation_defaults_from_json(read_json_file(path), model, path.string());
}

int64_t pad_id_with(const GenerationDefaults& defaults, std::optional<int64_t> tokenizer_pad) {
  return defaults.pad_token_id.value_or(tokenizer_pad.value_or(0));
}

std::vector<int64_t> eos_ids_with(const GenerationDefaults& defaults, std::optional<int64_t> tokenizer_eos) {
  std::vector<int64_t> ids = defaults.eos_token_ids;
  if (tokenizer_eos && std::find(ids.begin(), ids.end(), *tokenizer_eos) == ids.end()) ids.push_back(*tokenizer_eos);
  return ids;
}

}  // namespace lightreasoner::model
