// One optimizer update at a time: the building block under `train` and `sft`. A Trainer holds the
// seeded schedule of the rows (batch.h: UpdateSchedule), AdamW over the given trainable tensors
// only, the LR schedule (linear/cosine/constant with warmup) and gradient clipping; update(k) runs
// update k's micro-batches (gradient accumulation), the data-parallel all-reduce and the optimizer
// step. Update k's data and dropout are functions of (seed, k) alone, so a run resumed from a
// checkpoint replays what an uninterrupted one would. No files, no progress, no resume policy:
// the recipe's loop (pipeline/training.h) decides when to log, checkpoint, resume and stop.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/transformer.h"
#include "lightreasoner/train/batch.h"
#include "lightreasoner/train/checkpoint.h"
#include "lightreasoner/train/loss.h"

namespace lightreasoner::train {

// The trainer's plain options: the config's `train` and `optim` sections themselves (their fields,
// defaults and checks are written once, in config/run_config.h; train.max_seq_len is the rows'
// business, not the loop's; train.checkpoint_every, keep_checkpoints and log_every are the
// recipe's) plus what the run decides; pipeline/options.h fills them from a RunConfig.
struct TrainerOptions {
  config::TrainConfig train;  // packing, order, batch_size, grad_accum, max_steps/epochs
  config::OptimConfig optim;  // AdamW, the LR schedule, clipping
  LossKind loss = LossKind::kSoftTargetKL;
  int64_t vocab = 0;  // shared vocabulary for the log-softmax
  bool rows_are_examples = false;  // an example is a whole row (SFT), not a step
  uint64_t seed = static_cast<uint64_t>(config::RunConfig{}.seed);
  std::string label = "train";  // the command, in messages
  Packing packing() const { return parse_packing(train.packing); }
  Order order() const { return parse_order(train.order); }
};

// Optimizer updates of the run: train.max_steps, or ceil(epochs * examples / batch_size) when it is 0.
int64_t total_updates(const TrainerOptions& options, int64_t examples);

// lr multiplier at optimizer step `step` (0-based), HF's get_*_schedule_with_warmup.
double lr_factor(const std::string& schedule, int64_t step, int64_t warmup, int64_t total);

// What one update did, summed over all ranks unless said otherwise. The loss and the gradient
// norm stay on the model's device: reading them would make the host wait for the update to finish
// (on a GPU, the host prepares the next batches meanwhile). Trainer::read fetches many at once.
struct UpdateResult {
  int64_t step = 0;            // which update (0-based)
  torch::Tensor loss;          // 0-dim fp64: the update's mean loss
  torch::Tensor micro_losses;  // [grad_accum] fp64: this rank's micro-batches' shares of it
  torch::Tensor grad_norm;     // 0-dim fp64: before clipping
  double lr = 0.0;
  int64_t supervised_steps = 0, tokens = 0;
  int64_t local_supervised_steps = 0, local_tokens = 0;  // this process's share
  double allreduce_seconds = 0.0;  // in the gradient all-reduce, incl. waiting for slower ranks
  bool stop = false;  // some rank asked to stop: every rank learns it at the same update
};

// The host's copy of an update's device values.
struct UpdateValues {
  int64_t step = 0;
  double loss = 0.0, grad_norm = 0.0;
};

// A non-finite loss or gradient norm, found when the update's values are read (Trainer::read):
// the updates since the last read may have turned the trainable tensors non-finite, so the run's
// last good state is its last checkpoint written after a read.
class NonFiniteUpdate : public Error {
 public:
  NonFiniteUpdate(const std::string& problem, const std::string& advice)
      : Error(problem + "; stopping." + (advice.empty() ? "" : " " + advice)), problem_(problem), advice_(advice) {}
  const std::string& problem() const { return problem_; }  // "train: the loss is nan at step 3 (micro-batch 0)"
  const std::string& advice() const { return advice_; }    // what to try, or empty

 private:
  std::string problem_, advice_;
};

class Trainer {
 public:
  // `trainable`: name → live tensor (fp32, requires grad) that AdamW updates. `rows` must outlive
  // the Trainer. `group`: the data-parallel ranks (a default Group is one process): each runs its
  // share of every update and the gradients are all-reduced. Throws Error when there is nothing
  // to train or no update to run.
  Trainer(model::CausalLM& model, io::NamedTensors trainable, const std::vector<TrainRow>& rows, TrainerOptions options,
          const dist::Group& group);

  int64_t examples() const { return examples_; }     // per epoch
  int64_t total_updates() const { return total_; }
  const io::NamedTensors& trainable() const { return trainable_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  // This run as a checkpoint records it (step 0): the schedule's length, the data's identity, the seed.
  TrainerState describe() const;

  // Update `step` (0-based): LR, forward/backward over this rank's micro-batches, the all-reduce
  // (which carries `stop_requested` to every rank), clipping, AdamW. The model should be in
  // train() mode (dropout on). Reads nothing back from the device for one process (a data-parallel
  // run reads the reduced counts and stop flag, one small read per update).
  UpdateResult update(int64_t step, bool stop_requested);

  // The device values of `updates` (in update order) in one transfer. Throws NonFiniteUpdate
  // naming the first update (and micro-batch) whose loss or gradient norm is not finite.
  std::vector<UpdateValues> read(const std::vector<UpdateResult>& updates) const;

  // All ranks hold the same trainable tensors and step (a cheap hash check; nothing for one process).
  void check_ranks_agree(int64_t step, const std::string& when) const;

 private:
  model::CausalLM& model_;
  io::NamedTensors trainable_;
  std::vector<torch::Tensor> params_;
  TrainerOptions options_;
  dist::Group group_;  // a copy shares the launch's connection
  UpdateSchedule schedule_;
  int64_t examples_ = 0, total_ = 0;
  std::string data_fingerprint_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;  // ForeachAdamW (adamw.h)
};

}  // namespace lightreasoner::train
