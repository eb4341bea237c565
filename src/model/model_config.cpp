// ModelConfig from/to Hugging Face config.json and generation_config.json (keys: see
// docs/formats.md (Model directory)). Every key is read with its type checked and the file and key named in the
// error; keys we do not need are ignored (HF configs carry many informational ones).
#include "lightreasoner/model/model_config.h"

#include <algorithm>

#include <cmath>
#include <map>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/io/limits.h"

namespace lightreasoner::model {
namespace {

using Json = nlohmann::json;

const Json* find_key(const Json& object, const std::string& key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

int64_t int_value(const Json& value, const std::string& where, const std::string& key) {
  LR_CHECK(value.is_number_integer() || (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>()),
           where << ": key '" << key << "' must be an integer (got " << value.dump() << ")");
  // Out of int64 range (a float like 1e300, an unsigned above 2^63): converting would be undefined
  // or wrap to a negative size.
  const bool in_range = value.is_number_unsigned() ? value.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)
                        : value.is_number_float()  ? std::fabs(value.get<double>()) < 9.2e18
                                                   : true;
  LR_CHECK(in_range, where << ": key '" << key << "' is out of range (got " << value.dump() << ")");
  return value.is_number_integer() ? value.get<int64_t>() : static_cast<int64_t>(value.get<double>());
}

double number_value(const Json& value, const std::string& where, const std::string& key) {
  LR_CHECK(value.is_number(), where << ": key '" << key << "' must be a number (got " << value.dump() << ")");
  return value.get<double>();
}

int64_t required_int(const Json& object, const std::string& key, const std::string& where) {
  const Json* value = find_key(object, key);
  LR_CHECK(value != nullptr, where << ": required key '" << key << "' is missing");
  return int_value(*value, where, key);
}

template <class T>
void optional_int(const Json& object, const std::string& key, const std::string& where, T& out) {
  if (const Json* value = find_key(object, key)) out = int_value(*value, where, key);
}

void optional_number(const Json& object, const std::string& key, const std::string& where, double& out) {
  if (const Json* value = find_key(object, key)) out = number_value(*value, where, key);
}

void optional_bool(const Json& object, const std::string& key, const std::string& where, bool& out) {
  if (const Json* value = find_key(object, key)) {
    LR_CHECK(value->is_boolean(), where << ": key '" << key << "' must be true or false (got " << value->dump() << ")");
    out = value->get<bool>();
  }
}

std::optional<std::string> optional_string(const Json& object, const std::string& key, const std::string& where) {
  const Json* value = find_key(object, key);
  if (value == nullptr) return std::nullopt;
  LR_CHECK(value->is_string(), where << ": key '" << key << "' must be a string (got " << value->dump() << ")");
  return value->get<std::string>();
}

// eos_token_id: an int or a list of ints.
std::vector<int64_t> id_list(const Json& object, const std::string& key, const std::string& where) {
  const Json* value = find_key(object, key);
  std::vector<int64_t> ids;
  if (value == nullptr) return ids;
  if (value->is_array()) {
    for (const auto& item : *value) ids.push_back(int_value(item, where, key));
  } else {
    ids.push_back(int_value(*value, where, key));
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
RopeConfig parse_rope(const Json& config, const std::string& where) {
  RopeConfig rope;
  optional_number(config, "rope_theta", where, rope.theta);
  optional_number(config, "partial_rotary_factor", where, rope.partial_rotary_factor);
  const Json* scaling = find_key(config, "rope_parameters");
  std::string section = "rope_parameters";
  if (scaling == nullptr) {
    scaling = find_key(config, "rope_scaling");
    section = "rope_scaling";
  }
  if (scaling == nullptr) return rope;
  LR_CHECK(scaling->is_object(), where << ": key '" << section << "' must be an object (got " << scaling->dump() << ")");
  const std::string scope = where + " " + section;
  optional_number(*scaling, "rope_theta", scope, rope.theta);
  optional_number(*scaling, "partial_rotary_factor", scope, rope.partial_rotary_factor);
  auto type_name = optional_string(*scaling, "rope_type", scope);
  if (!type_name) type_name = optional_string(*scaling, "type", scope);
  rope.type = parse_rope_type(type_name.value_or("default"), scope);
  optional_number(*scaling, "factor", scope, rope.factor);
  optional_int(*scaling, "original_max_position_embeddings", scope, rope.original_max_position_embeddings);
  optional_number(*scaling, "low_freq_factor", scope, rope.low_freq_factor);
  optional_number(*scaling, "high_freq_factor", scope, rope.high_freq_factor);
  if (const Json* value = find_key(*scaling, "attention_factor")) {
    rope.attention_factor = number_value(*value, scope, "attention_factor");
  }
  optional_number(*scaling, "beta_fast", scope, rope.beta_fast);
  optional_number(*scaling, "beta_slow", scope, rope.beta_slow);
  for (const char* key : {"mscale", "mscale_all_dim", "short_factor", "long_factor"}) {
    LR_CHECK(find_key(*scaling, key) == nullptr,
             scope << ": key '" << key << "' (DeepSeek/LongRoPE-style scaling) is not supported");
  }
  const bool needs_factor = rope.type != RopeType::kDefault;
  LR_CHECK(!needs_factor || find_key(*scaling, "factor") != nullptr,
           scope << ": rope type '" << rope_type_name(rope.type) << "' requires key 'factor'");
  LR_CHECK(!needs_factor || rope.factor >= 1.0 || rope.type == RopeType::kLinear,
           scope << ": 'factor' must be >= 1 (got " << rope.factor << ")");
  if (rope.type == RopeType::kLlama3) {
    for (const char* key : {"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
      LR_CHECK(find_key(*scaling, key) != nullptr, scope << ": rope type 'llama3' requires key '" << key << "'");
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
  LR_CHECK(json.is_object(), where << ": expected a JSON object");
  ModelConfig config;
  config.model_type = optional_string(json, "model_type", where).value_or("");
  if (const Json* archs = find_key(json, "architectures")) {
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
  optional_bool(json, "attention_bias", where, attention_bias);
  optional_bool(json, "mlp_bias", where, config.mlp_bias);
  if (config.architecture == "Qwen2ForCausalLM") {
    config.qkv_bias = true;  // unconditional in modeling_qwen2.py
    bool use_sliding_window = false;
    optional_bool(json, "use_sliding_window", where, use_sliding_window);
    if (use_sliding_window) optional_int(json, "sliding_window", where, config.sliding_window);
  } else if (config.architecture == "LlamaForCausalLM" || config.architecture == "MistralForCausalLM") {
    config.qkv_bias = config.o_bias = attention_bias;
    if (config.architecture == "MistralForCausalLM") optional_int(json, "sliding_window", where, config.sliding_window);
  } else if (config.architecture == "Qwen3ForCausalLM") {
    config.qkv_bias = config.o_bias = attention_bias;
    config.qk_norm = true;
    bool use_sliding_window = false;
    optional_bool(json, "use_sliding_window", where, use_sliding_window);
    if (use_sliding_window) optional_int(json, "sliding_window", where, config.sliding_window);
  } else {
    LR_FAIL(where << ": architecture '" << config.architecture
                  << "' is not supported (supported: Qwen2ForCausalLM, LlamaForCausalLM, MistralForCausalLM, "
                     "Qwen3ForCausalLM)");
  }
  if (config.architecture != "LlamaForCausalLM") config.mlp_bias = false;

  config.vocab_size = required_int(json, "vocab_size", where);
  config.hidden_size = required_int(json, "hidden_size", where);
  config.intermediate_size = required_int(json, "intermediate_size", where);
  config.num_hidden_layers = required_int(json, "num_hidden_layers", where);
  config.num_attention_heads = required_int(json, "num_attention_heads", where);
  config.num_key_value_heads = config.num_attention_heads;
  optional_int(json, "num_key_value_heads", where, config.num_key_value_heads);
  optional_int(json, "head_dim", where, config.explicit_head_dim);
  optional_int(json, "max_position_embeddings", where, config.max_position_embeddings);
  optional_number(json, "rms_norm_eps", where, config.rms_norm_eps);
  optional_number(json, "initializer_range", where, config.initializer_range);
  config.tie_word_embeddings = false;
  optional_bool(json, "tie_word_embeddings", where, config.tie_word_embeddings);
  const std::string act = optional_string(json, "hidden_act", where).value_or("silu");
  LR_CHECK(act == "silu", where << ": hidden_act '" << act << "' is not supported (only silu)");
  if (auto dtype = optional_string(json, "dtype", where)) {
    config.torch_dtype = *dtype;
  } else if (auto legacy = optional_string(json, "torch_dtype", where)) {
    config.torch_dtype = *legacy;
  }
  config.rope = parse_rope(json, where);
  if (config.rope.type == RopeType::kYarn && !config.rope.original_max_position_embeddings) {
    config.rope.original_max_position_embeddings = config.max_position_embeddings;
  }
  optional_int(json, "bos_token_id", where, config.bos_token_id);
  optional_int(json, "pad_token_id", where, config.pad_token_id);
  config.eos_token_ids = id_list(json, "eos_token_id", where);
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
  LR_CHECK(json.is_object(), where << ": expected a JSON object");
  GenerationDefaults defaults;
  defaults.eos_token_ids = id_list(json, "eos_token_id", where);
  if (defaults.eos_token_ids.empty()) defaults.eos_token_ids = model.eos_token_ids;
  defaults.bos_token_id = model.bos_token_id;
  optional_int(json, "bos_token_id", where, defaults.bos_token_id);
  defaults.pad_token_id = model.pad_token_id;
  optional_int(json, "pad_token_id", where, defaults.pad_token_id);
  optional_bool(json, "do_sample", where, defaults.do_sample);
  optional_number(json, "temperature", where, defaults.temperature);
  optional_number(json, "top_p", where, defaults.top_p);
  optional_int(json, "top_k", where, defaults.top_k);
  optional_number(json, "min_p", where, defaults.min_p);
  optional_int(json, "max_new_tokens", where, defaults.max_new_tokens);
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
