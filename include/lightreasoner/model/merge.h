// `merge`: base model directory + PEFT adapter → a plain Hugging Face model directory with
// W + (B·A)·scale folded into the weights (fp32 math, stored in the base dtype, sharded above a
// threshold). Every non-weight file of the base (config, generation config, tokenizer) is copied.
#pragma once

#include <cstdint>
#include <filesystem>

namespace lightreasoner::model {

struct MergeReport {
  int64_t modules_merged = 0;
  uint64_t bytes_written = 0;
  int64_t files_written = 0;  // weight files (1, or the shard count)
};

// Refuses an output directory that is the base model's own (the merge would overwrite its weights).
void check_merge_output(const std::filesystem::path& model_dir, const std::filesystem::path& out_dir);

MergeReport merge_adapter_dir(const std::filesystem::path& model_dir, const std::filesystem::path& adapter_dir,
                              const std::filesystem::path& out_dir, uint64_t max_shard_bytes = 5'000'000'000);

}  // namespace lightreasoner::model
