// The `merge` recipe (pipeline/merge.h).
#include "lightreasoner/pipeline/merge.h"

#include "lightreasoner/dist/output_dir.h"

namespace lightreasoner::pipeline {

namespace fs = std::filesystem;

model::MergeReport run_merge(const fs::path& model_dir, const fs::path& adapter_dir, const fs::path& out_dir,
                             uint64_t max_shard_bytes) {
  model::check_merge_output(model_dir, out_dir);  // before the lock, which would write into a model folder
  OutputDirLock lock = dist::lock_output_dir(out_dir, "merge");
  auto report = model::merge_adapter_dir(model_dir, adapter_dir, out_dir, max_shard_bytes);
  lock.release_and_remove();
  return report;
}

}  // namespace lightreasoner::pipeline
