// Where the run config meets the building blocks: each function turns RunConfig sections into
// one domain module's plain options, so that contrast/, train/ and eval/ never see a RunConfig
// (their option structs hold config sections or take their defaults from them; each default is
// written once, in config/run_config.h). The recipes in pipeline/ call these.
#pragma once

#include <cstdint>
#include <string>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/contrast/builder.h"
#include "lightreasoner/contrast/decoding.h"
#include "lightreasoner/contrast/meta.h"
#include "lightreasoner/train/trainer.h"

namespace lightreasoner::pipeline {

// selection.*, target.*, sample.skip_first_step, sample.memory_budget_mb.
contrast::ContrastOptions contrast_options(const config::RunConfig& config);

// The decoding `sample` asks for, resolved: reads <expert.path>/generation_config.json when
// sample.decoding is "generation_config" (a missing file means transformers' defaults: greedy).
contrast::DecodingSettings sample_decoding(const config::RunConfig& config);

// The settings part of a contrast dataset's meta (identities, fingerprint and counts are left for
// the caller: they need the loaded models). The run's amateur path is kept, so that
// meta_mismatches knows whether the run names an amateur.
contrast::ContrastMeta contrast_meta(const config::RunConfig& config);

// The model directory a config key names (expert.path, amateur.path) exists and holds a Hugging Face
// config.json, checked before any work. The error names the key, the path and, for a relative path,
// the directory it was read from: the usual causes are a config run from another directory and a
// checkpoint not downloaded yet.
void check_model_dir(const std::string& path, const char* key);

// The `train` and `optim` sections plus the run's loss, vocabulary and seed.
train::TrainerOptions trainer_options(const config::RunConfig& config, train::LossKind loss, int64_t vocab);

}  // namespace lightreasoner::pipeline
