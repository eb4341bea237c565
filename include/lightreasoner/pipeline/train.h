// The `train` recipe (docs/design.md#data-flow, steps 4–6): runs `sample` first when <output_dir>/contrast.jsonl is
// absent; refuses a dataset made with other settings (models, tokenizer, prompt, decoding, data,
// selection, target: contrast/meta.h), listing each difference — or applies a pure selection
// filter (β raised, selection turned on) and says so — or, with --resample, samples it again;
// then LoRA on the expert, the training loop on the selected steps' soft targets (training.h),
// and <output_dir>/adapter/ (PEFT format) with the settings that shaped it. Also the LoRA half
// shared with `sft` (pipeline/sft.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/core/stage_timer.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/model/transformer.h"
#include "lightreasoner/train/batch.h"
#include "lightreasoner/pipeline/training.h"
#include "lightreasoner/train/trainer.h"

namespace lightreasoner::pipeline {

// Beside every adapter and model directory train and sft write: the settings that shaped it
// (config/compare.h), so the directory carries its training prompt wherever it goes (eval refuses
// another prompt: eval/prompt.h check_prompt_matches_training).
constexpr const char* kTrainedSettingsFile = "lightreasoner_settings.json";
constexpr const char* kTrainedSettingsKind = "lightreasoner-trained";
const std::vector<std::string>& trained_setting_keys(train::LossKind loss);

// The settings a run's checkpoints were made with, in <output_dir>/checkpoints/settings.json: a
// fresh run records them, a --resume compares its own with them field by field and refuses a change
// to anything that shapes the updates (optim.lr, the lora section, the data, ...), naming each one;
// speed and bookkeeping settings (train.packing, grad_accum, checkpoint_every, keep_checkpoints,
// log_every) may change. Call before writing anything of the run.
void check_or_record_run_settings(const config::RunConfig& config, train::LossKind loss, bool resume);

// min(V_expert, V_amateur) when the amateur's config is readable, else the expert's vocabulary.
int64_t shared_vocab(const config::RunConfig& config, const model::ModelConfig& expert);

struct TrainRunReport {
  std::filesystem::path output;  // the adapter (or, for full fine-tuning, model) directory
  train::PreparedRows data;      // counts; rows are not kept
  TrainSummary summary;
};

// LoRA training of an already loaded model on prepared rows, then the PEFT adapter (+ settings
// record) in <output_dir>/adapter. Shared by `train` and LoRA `sft`.
// `stages`: the command's stage times (it enters "train" and "save adapter").
TrainRunReport train_lora(model::CausalLM& model, train::PreparedRows data, const config::RunConfig& config,
                          train::LossKind loss, int64_t vocab, bool resume, StageTimer& stages);

// resample: discard an existing <output_dir>/contrast.jsonl (and its meta and part files) and
// sample again with this config, instead of refusing a dataset made with other settings.
TrainRunReport run_train(const config::RunConfig& config, bool resume, bool resample = false);

}  // namespace lightreasoner::pipeline
