// tokenizer_config.json reader (see tokenizer_config.h).
#include "tokenizer_config.h"

#include <nlohmann/json.hpp>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/io/limits.h"

namespace lightreasoner::tokenizer {

TokenizerConfig read_tokenizer_config(const std::filesystem::path& path) {
  TokenizerConfig config;
  if (!std::filesystem::exists(path)) return config;
  config.source = path.string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(io::limits::read_bounded_file(path, io::limits::kMaxConfigJsonBytes, "a tokenizer_config.json"));
  } catch (const nlohmann::json::exception& e) {
    LR_FAIL(path.string() << ": not valid JSON: " << e.what());
  }
  LR_CHECK(j.is_object(), path.string() << ": expected a JSON object, got " << j.type_name());
  auto flag = [&](const char* key, std::optional<bool>& out) {
    if (!j.contains(key) || j[key].is_null()) return;
    LR_CHECK(j[key].is_boolean(), path.string() << ": key \"" << key << "\" must be true/false, got " << j[key].dump());
    out = j[key].get<bool>();
  };
  auto token = [&](const char* key, std::optional<std::string>& out) {
    if (!j.contains(key) || j[key].is_null()) return;
    const auto& v = j[key];
    if (v.is_string()) {
      out = v.get<std::string>();
    } else if (v.is_object() && v.contains("content") && v["content"].is_string()) {
      out = v["content"].get<std::string>();
    } else {
      LR_FAIL(path.string() << ": key \"" << key << "\" must be a string or {\"content\": string}, got " << v.dump());
    }
  };
  flag("add_bos_token", config.add_bos_token);
  flag("add_eos_token", config.add_eos_token);
  token("bos_token", config.bos_token);
  token("eos_token", config.eos_token);
  token("pad_token", config.pad_token);
  token("unk_token", config.unk_token);
  return config;
}

}  // namespace lightreasoner::tokenizer
