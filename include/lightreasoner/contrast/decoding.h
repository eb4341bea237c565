// How `sample` decodes the expert's rollouts (sample.decoding): "config" takes sample.temperature/
// top_p/top_k/min_p as written; "generation_config" does what the official sampling script gets
// from expert_model.generate() called without sampling arguments: the expert directory's
// generation_config.json read with transformers' defaults (do_sample absent or false → greedy;
// otherwise temperature 1.0, top_p 1.0, top_k 50 unless the file sets them). Not done here: the
// official script's πE is the *processed* score (after temperature/top-k/top-p); ours is the raw
// softmax at temperature 1 in both modes (identical for greedy experts such as the Qwen2.5-Math bases).
#pragma once

#include <filesystem>

#include "lightreasoner/config/run_config.h"

namespace lightreasoner::contrast {

// The numbers generate() samples with (defaults: the config's, written once in run_config.h).
struct DecodingSettings {
  int max_new_tokens = config::SampleConfig{}.max_new_tokens;
  double temperature = config::SampleConfig{}.temperature;  // 0 = greedy
  double top_p = config::SampleConfig{}.top_p;
  int top_k = config::SampleConfig{}.top_k;
  double min_p = config::SampleConfig{}.min_p;
  int64_t seed = config::RunConfig{}.seed;
};

// transformers' GenerationConfig defaults applied to one generation_config.json (the testable core).
DecodingSettings decoding_from_generation_config(const std::filesystem::path& file, int max_new_tokens, int64_t seed);

}  // namespace lightreasoner::contrast
