// Where a training run keeps its checkpoints in its output directory:
// <run_dir>/checkpoints/checkpoint-<step>/ (the files of one are train/checkpoint.h's). Each is
// written under a temporary name and renamed, so a kill leaves either a whole checkpoint or none,
// and only the newest K are kept. When to write one and whether to resume is training.h's.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <optional>

#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/train/checkpoint.h"

namespace lightreasoner::pipeline {

// <run_dir>/checkpoints/checkpoint-<step>: where save_checkpoint puts that step.
std::filesystem::path checkpoint_dir(const std::filesystem::path& run_dir, int64_t step);
// Writes checkpoint-<step> atomically and deletes all but the newest `keep`. Returns its path.
std::filesystem::path save_checkpoint(const std::filesystem::path& run_dir, const train::TrainerState& state,
                                      const io::NamedTensors& trainable, torch::optim::Optimizer& optimizer,
                                      int keep);
// The newest complete checkpoint directory, if any.
std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& run_dir);

}  // namespace lightreasoner::pipeline
