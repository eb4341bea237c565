// Training checkpoints: <run_dir>/checkpoints/checkpoint-<step>/ holding the trainable tensors
// (trainable.safetensors, fp32), the optimiser state (optimizer.pt, LibTorch archive) and
// trainer_state.json (step, schedule length, data identity, seed). Each directory is written
// under a temporary name and renamed, so a kill leaves either a whole checkpoint or none; only
// the newest K are kept. Nothing here decides when to checkpoint (trainer.h does).
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <optional>
#include <string>

#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/io/safetensors.h"

namespace lightreasoner::train {

struct TrainerState {
  int64_t step = 0;          // optimizer steps done
  int64_t total_steps = 0;   // the schedule's length
  int64_t units = 0;         // sequences per epoch (rows, or steps with `step` packing)
  int64_t units_per_step = 0;
  std::string packing;
  std::string loss;
  uint64_t seed = 0;
  std::string data_fingerprint;  // of the unit ids and supervised steps, in order
  double last_loss = 0.0;
};

io::Json state_to_json(const TrainerState& state);
TrainerState state_from_json(const io::Json& json, const std::string& where);

// <run_dir>/checkpoints/checkpoint-<step>: where save_checkpoint puts that step.
std::filesystem::path checkpoint_dir(const std::filesystem::path& run_dir, int64_t step);
// Writes checkpoint-<step> atomically and deletes all but the newest `keep`. Returns its path.
std::filesystem::path save_checkpoint(const std::filesystem::path& run_dir, const TrainerState& state,
                                      const io::NamedTensors& trainable, torch::optim::Optimizer& optimizer,
                                      int keep);
// The newest complete checkpoint directory, if any.
std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& run_dir);
// Restores the trainable tensors (by name, shapes exact) and the optimiser; returns the state.
TrainerState load_checkpoint(const std::filesystem::path& dir, const io::NamedTensors& trainable,
                             torch::optim::Optimizer& optimizer);

}  // namespace lightreasoner::train
