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
#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/transformer.h"
#include "lightreasoner/train/batch.h"
#include "lightreasoner/train/loss.h"

namespace lightreasoner::train {

// The trainer's plain options: the config's `train` and `optim` sections themselves (their fields,
// defaults and checks are written once, in config/run_config.h; train.max_seq_len is the rows'
// business, not the loop's) plus what the run decides; pipeline/options.h fills them from a RunConfig.
struct TrainerOptions {
  config::TrainConfig train;  // packing, order, batch_size, grad_accum, max_steps/epochs, checkpoints, log_every
  config::OptimConfig optim;  // AdamW, the LR schedule, clipping
  LossKind loss = LossKind::kSoftTargetKL;
  int64_t vocab = 0;  // shared vocabulary for the log-softmax
  bool rows_are_examples = false;  // an example is a whole row (SFT), not a step
  uint64_t seed = static_cast<uint64_t>(config::RunConfig{}.seed);
  std::filesystem::path run_dir;  // checkpoints/ and metrics.jsonl go here
  bool resume = false;
  std::string label = "train";
  Packing packing() const { return parse_packing(train.packing); }
  Order order() const { return parse_order(train.order); }
};

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
// `group`: the data-parallel ranks (dist::world() in a recipe; a default Group is one process):
// each runs its share of every update and the gradients are all-reduced.
TrainSummary run_trainer(model::CausalLM& model, const io::NamedTensors& trainable, const std::vector<TrainRow>& rows,
                         const TrainerOptions& options, const dist::Group& group);

}  // namespace lightreasoner::train
