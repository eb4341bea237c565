// The training loop of the `train` and `sft` recipes: drives a train::Trainer update by update and
// owns what lives in the run's output directory — resume from the newest checkpoint (or refusal of
// a fresh start over an earlier run's), metrics.jsonl (lines past the checkpoint dropped on
// resume), progress, a checkpoint every train.checkpoint_every updates and at the end, a stop
// request (SIGINT/SIGTERM) ending in a checkpoint to resume from, and the last good checkpoint
// named when an update turns non-finite. The updates' losses and gradient norms are read from the
// device once per metrics line or checkpoint (before the checkpoint is written), not per update.
// Which tensors are trainable (LoRA or all) and what is saved at the end is the caller's.
#pragma once

#include <filesystem>
#include <vector>

#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/transformer.h"
#include "lightreasoner/train/batch.h"
#include "lightreasoner/train/trainer.h"

namespace lightreasoner::pipeline {

struct TrainingOptions {
  train::TrainerOptions trainer;
  std::filesystem::path run_dir;  // checkpoints/ and metrics.jsonl go here
  bool resume = false;
};

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

// The model is in train() mode during the loop (dropout on, LoRA's included), with activation
// checkpointing as train.activation_checkpointing says, and in eval() without it after.
// Throws Error on a non-finite loss or gradient, naming the step and the last good checkpoint,
// and StopRequested (core/run_control.h) after the checkpoint a stop request asked for.
// `group`: dist::world() in a recipe; a default Group is one process.
TrainSummary run_training(model::CausalLM& model, const io::NamedTensors& trainable,
                          const std::vector<train::TrainRow>& rows, const TrainingOptions& options,
                          const dist::Group& group);

}  // namespace lightreasoner::pipeline
