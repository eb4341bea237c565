// sample.decoding resolved to the numbers generate() uses (see decoding.h). Reads one JSON file.
#include "lightreasoner/contrast/decoding.h"

#include <nlohmann/json.hpp>

#include "lightreasoner/config/fields.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

DecodingSettings decoding_from_generation_config(const std::filesystem::path& file, int max_new_tokens, int64_t seed) {
  DecodingSettings d;
  d.max_new_tokens = max_new_tokens;
  d.seed = seed;
  if (!std::filesystem::exists(file)) return d;  // transformers' default: do_sample false, greedy
  const auto j = nlohmann::json::parse(read_file(file), nullptr, /*allow_exceptions=*/false);
  LR_CHECK(!j.is_discarded(), file.string() << ": not valid JSON");
  const config::Fields f(j, file.string());
  if (!f.get_or<bool>("do_sample", false)) return d;  // greedy: generate() ignores temperature/top_p/top_k
  // GenerationConfig's defaults for what the file leaves out.
  d.temperature = f.get_or<double>("temperature", 1.0);
  d.top_p = f.get_or<double>("top_p", 1.0);
  d.top_k = f.get_or<int>("top_k", 50);
  d.min_p = f.get_or<double>("min_p", 0.0);
  LR_CHECK(d.temperature > 0, file.string() << ": do_sample is true but temperature is " << d.temperature
                                            << " (generate() refuses it too)");
  return d;
}

}  // namespace lightreasoner::contrast
