// The `merge` recipe: folds a PEFT LoRA adapter into its base model and writes a plain HF model
// directory (model/merge.h does the folding and writing). Owns the output directory: locked while it
// is written, and left without the lock file, since a model directory is uploaded as it is.
#pragma once

#include <cstdint>
#include <filesystem>

#include "lightreasoner/model/merge.h"

namespace lightreasoner::pipeline {

model::MergeReport run_merge(const std::filesystem::path& model_dir, const std::filesystem::path& adapter_dir,
                             const std::filesystem::path& out_dir, uint64_t max_shard_bytes);

}  // namespace lightreasoner::pipeline
