// The run config turned into the building blocks' options (see options.h).
#include "lightreasoner/pipeline/options.h"

#include <filesystem>

#include "lightreasoner/config/compare.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::pipeline {

void check_model_dir(const std::string& path, const char* key) {
  const std::filesystem::path dir(path);
  const std::string from =
      dir.is_relative() ? " (a relative path, read from " + std::filesystem::current_path().string() + ")" : "";
  LR_CHECK(std::filesystem::is_directory(dir), key << " = '" << path << "'" << from << " is not a directory: download the "
                                                   << "Hugging Face checkpoint there, or set " << key << " to where it is");
  LR_CHECK(std::filesystem::exists(dir / "config.json"),
           key << " = '" << path << "'" << from << " has no config.json: not a Hugging Face model directory");
}

contrast::ContrastOptions contrast_options(const config::RunConfig& config) {
  contrast::ContrastOptions options;
  options.selection.enabled = config.selection.enabled;
  options.selection.beta = config.selection.beta;
  options.selection.skip_first_step = config.sample.skip_first_step;
  options.kind = contrast::parse_target_kind(config.target.kind);
  options.alpha = config.target.alpha;
  options.memory_budget_bytes = config.sample.memory_budget_mb << 20;
  return options;
}

contrast::DecodingSettings sample_decoding(const config::RunConfig& config) {
  const auto& s = config.sample;
  if (s.decoding == "generation_config")
    return contrast::decoding_from_generation_config(
        std::filesystem::path(config.expert.path) / "generation_config.json", s.max_new_tokens, config.seed);
  LR_CHECK(s.decoding == "config", "sample.decoding must be \"config\" or \"generation_config\", got \"" << s.decoding << "\"");
  return {s.max_new_tokens, s.temperature, s.top_p, s.top_k, s.min_p, config.seed};
}

contrast::ContrastMeta contrast_meta(const config::RunConfig& config) {
  contrast::ContrastMeta meta;
  meta.program_version = LR_VERSION;
  meta.expert.path = config.expert.path;
  meta.amateur.path = config.amateur.path;
  meta.settings = io::Json::parse(config::config_subset(config, contrast::dataset_setting_keys()).dump());
  // With sample.decoding = generation_config the numbers that decode come from the expert's
  // generation_config.json (contrast/decoding.h): those are recorded, so a changed file is a difference.
  const contrast::DecodingSettings decoding = sample_decoding(config);
  auto& sample = meta.settings["sample"];
  sample["temperature"] = decoding.temperature;
  sample["top_p"] = decoding.top_p;
  sample["top_k"] = decoding.top_k;
  sample["min_p"] = decoding.min_p;
  return meta;
}

train::TrainerOptions trainer_options(const config::RunConfig& config, train::LossKind loss, int64_t vocab) {
  train::TrainerOptions o;
  o.train = config.train;
  o.optim = config.optim;
  o.loss = loss;
  o.vocab = vocab;
  // An SFT example is a whole sequence (the official SFT baseline's item); a contrast one a step.
  o.rows_are_examples = loss == train::LossKind::kTokenCrossEntropy;
  o.seed = static_cast<uint64_t>(config.seed);
  return o;
}

}  // namespace lightreasoner::pipeline
