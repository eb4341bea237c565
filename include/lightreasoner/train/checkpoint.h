// One training checkpoint's files: the trainable tensors (trainable.safetensors, fp32), the
// optimiser state (optimizer.pt, LibTorch archive) and trainer_state.json (step, schedule length,
// data identity, seed), written into and read from one directory. Where checkpoints live in an
// output directory, how they are made atomic, how many are kept and when one is written or resumed
// from are the recipe's (pipeline/checkpoints.h, pipeline/training.h).
#pragma once

#include <torch/torch.h>

#include <filesystem>
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

// The file whose presence marks a complete checkpoint directory (it is written last).
constexpr const char* kTrainerStateFile = "trainer_state.json";

// Writes the three files into `dir` (which must exist), trainer_state.json last.
void write_checkpoint(const std::filesystem::path& dir, const TrainerState& state, const io::NamedTensors& trainable,
                      torch::optim::Optimizer& optimizer);
// Restores the trainable tensors (by name, shapes exact) and the optimiser; returns the state.
TrainerState load_checkpoint(const std::filesystem::path& dir, const io::NamedTensors& trainable,
                             torch::optim::Optimizer& optimizer);

}  // namespace lightreasoner::train
