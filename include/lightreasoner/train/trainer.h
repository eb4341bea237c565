// The one training loop behind `train` and `sft`: updates of train.batch_size examples from the
// seeded schedule (batch.h: UpdateSchedule), micro-batches with gradient accumulation, AdamW over the given trainable tensors only, the
// LR schedule (linear/cosine/constant with warmup), gradient clipping, metrics.jsonl, progress,
// atomic checkpoints every N steps (checkpoint.h) and `--resume` to the bitwise-same result.
// Which tensors are trainable (LoRA or all) and what is saved at the end is the caller's.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/transformer.h"
#include "lightreasoner/train/batch.h"
#include "lightreasoner/train/loss.h"

namespace lightreasoner::train {

// The trainer's plain options. Defaults are the config sections' (config/run_config.h), written there
// once; trainer_options_from_config maps a RunConfig onto them.
struct TrainerOptions {
  Packing packing = parse_packing(config::TrainConfig{}.packing);
  LossKind loss = LossKind::kSoftTargetKL;
  int64_t vocab = 0;  // shared vocabulary for the log-softmax
  Order order = parse_order(config::TrainConfig{}.order);
  bool rows_are_examples = false;  // an example is a whole row (SFT), not a step
  int64_t batch_size = config::TrainConfig{}.batch_size;  // examples per optimizer update, all micro-batches and ranks
  int64_t grad_accum = config::TrainConfig{}.grad_accum;  // micro-batches per update (memory, not optimisation)
  int64_t max_steps = config::TrainConfig{}.max_steps;    // 0: epochs decide
  double epochs = config::TrainConfig{}.epochs;
  int64_t checkpoint_every = config::TrainConfig{}.checkpoint_every;  // 0: never
  int keep_checkpoints = config::TrainConfig{}.keep_checkpoints;
  int64_t log_every = config::TrainConfig{}.log_every;
  double lr = config::OptimConfig{}.lr;
  double beta1 = config::OptimConfig{}.betas[0], beta2 = config::OptimConfig{}.betas[1];
  double eps = config::OptimConfig{}.eps, weight_decay = config::OptimConfig{}.weight_decay;
  std::string schedule = config::OptimConfig{}.schedule;
  int64_t warmup_steps = config::OptimConfig{}.warmup_steps;
  double max_grad_norm = config::OptimConfig{}.max_grad_norm;  // 0: no clipping (the norm is still logged)
  uint64_t seed = static_cast<uint64_t>(config::RunConfig{}.seed);
  std::filesystem::path run_dir;  // checkpoints/ and metrics.jsonl go here
  bool resume = false;
  std::string label = "train";
};

TrainerOptions trainer_options_from_config(const config::RunConfig& config, LossKind loss, int64_t vocab);

// Optimizer updates of the run: train.max_steps, or ceil(epochs * examples / batch_size) when it is 0.
int64_t total_updates(const TrainerOptions& options, int64_t examples);

// lr multiplier at optimizer step `step` (0-based), HF's get_*_schedule_with_warmup.
double lr_factor(const std::string& schedule, int64_t step, int64_t warmup, int64_t total);

struct TrainSummary {
  int64_t steps = 0;          // optimizer steps done in total
  int64_t resumed_from = 0;   // 0 when started fresh
  double first_loss = 0.0;    // loss of the first step this process ran
  double final_loss = 0.0;    // loss of the last step
  double seconds = 0.0;
  int64_t supervised_steps = 0;  // by this process
  int64_t tokens = 0;            // input tokens, by this process
  double allreduce_seconds = 0.0;  // in the data-parallel gradient all-reduce (0 for one process)
};

// `trainable`: name → live tensor (requires grad) that AdamW updates and checkpoints save.
// The model is in train() mode during the loop (dropout on, LoRA's included) and eval() after.
// Throws Error on a non-finite loss or gradient, naming the step and the last good checkpoint.
TrainSummary run_trainer(model::CausalLM& model, const io::NamedTensors& trainable, const std::vector<TrainRow>& rows,
                         const TrainerOptions& options);

}  // namespace lightreasoner::train
