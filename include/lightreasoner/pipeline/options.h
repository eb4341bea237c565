// Where the run config meets the building blocks: each function turns RunConfig sections into
// one domain module's plain options, so that contrast/, train/ and eval/ never see a RunConfig
// (their option structs hold config sections or take their defaults from them; each default is
// written once, in config/run_config.h). The recipes in pipeline/ call these.
#pragma once

#include <cstdint>

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

// The `train` and `optim` sections plus the run's loss, vocabulary and seed.
train::TrainerOptions trainer_options(const config::RunConfig& config, train::LossKind loss, int64_t vocab);

}  // namespace lightreasoner::pipeline
