// `lightreasoner train`: the method's second half (docs/design.md#data-flow, steps 4–6). Runs `sample` first when
// <output_dir>/contrast.jsonl is absent, refuses a dataset made for another expert/tokenizer/
// prompt, attaches LoRA to the expert, trains on the selected steps' soft targets (trainer.h) and
// writes <output_dir>/adapter/ (PEFT format) and config.resolved.json. SFT is in sft.h.
#pragma once

#include <filesystem>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/model/transformer.h"
#include "lightreasoner/train/batch.h"
#include "lightreasoner/train/trainer.h"

namespace lightreasoner::train {

model::LoraSpec lora_spec_from_config(const config::RunConfig& config);

// min(V_expert, V_amateur) when the amateur's config is readable, else the expert's vocabulary.
int64_t shared_vocab(const config::RunConfig& config, const model::ModelConfig& expert);

struct TrainRunReport {
  std::filesystem::path output;  // the adapter (or, for full fine-tuning, model) directory
  PreparedRows data;             // counts; rows are not kept
  TrainSummary summary;
};

// LoRA training of an already loaded model on prepared rows, then the PEFT adapter in
// <output_dir>/adapter. Shared by `train` and LoRA `sft`.
TrainRunReport train_lora(model::CausalLM& model, PreparedRows data, const config::RunConfig& config, LossKind loss,
                          int64_t vocab, bool resume);

TrainRunReport run_train(const config::RunConfig& config, bool resume);

}  // namespace lightreasoner::train
