// sample.decoding resolved to the numbers generate() uses (see decoding.h). Reads one JSON file.
#include "lightreasoner/contrast/decoding.h"

#include <nlohmann/json.hpp>

#include "lightreasoner/core/error.h"
#include "lightreasoner/core/atomic_file.h"

namespace lightreasoner::contrast {

DecodingSettings decoding_from_generation_config(const std::filesystem::path& file, int max_new_tokens, int64_t seed) {
  DecodingSettings d;
  d.max_new_tokens = max_new_tokens;
  d.seed = seed;
  if (!std::filesystem::exists(file)) return d;  // transformers' default: do_sample false, greedy
  const auto j = nlohmann::json::parse(read_file(file), nullptr, /*allow_exceptions=*/false);
  LR_CHECK(j.is_object(), file.string() << ": not a JSON object");
  auto number = [&](const char* key, double fallback) {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    LR_CHECK(j[key].is_number(), file.string() << ": '" << key << "' must be a number, got " << j[key].dump());
    return j[key].get<double>();
  };
  bool do_sample = false;
  if (j.contains("do_sample") && !j["do_sample"].is_null()) {
    LR_CHECK(j["do_sample"].is_boolean(), file.string() << ": 'do_sample' must be true or false");
    do_sample = j["do_sample"].get<bool>();
  }
  if (!do_sample) return d;  // greedy: generate() ignores temperature/top_p/top_k
  d.temperature = number("temperature", 1.0);
  d.top_p = number("top_p", 1.0);
  d.top_k = static_cast<int>(number("top_k", 50.0));  // GenerationConfig's top_k default
  d.min_p = number("min_p", 0.0);
  LR_CHECK(d.temperature > 0, file.string() << ": do_sample is true but temperature is " << d.temperature
                                            << " (generate() refuses it too)");
  return d;
}

}  // namespace lightreasoner::contrast
