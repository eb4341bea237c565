// Merging an adapter into its base and writing the result as an HF model directory.
#include "lightreasoner/model/merge.h"

#include <spdlog/spdlog.h>

#include "lightreasoner/core/error.h"
#include "lightreasoner/core/run_control.h"
#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/model/lora.h"

namespace lightreasoner::model {

namespace fs = std::filesystem;

namespace {

bool is_weight_file(const fs::path& p) {
  const std::string name = p.filename().string();
  const std::string ext = p.extension().string();
  return ext == ".safetensors" || ext == ".bin" || ext == ".pt" || ext == ".pth" ||
         name == "model.safetensors.index.json" || name == "pytorch_model.bin.index.json";
}

}  // namespace

void check_merge_output(const fs::path& model_dir, const fs::path& out_dir) {
  LR_CHECK(fs::absolute(model_dir).lexically_normal() != fs::absolute(out_dir).lexically_normal(),
           "merge: --out must differ from --model ('" << model_dir.string() << "')");
}

MergeReport merge_adapter_dir(const fs::path& model_dir, const fs::path& adapter_dir, const fs::path& out_dir,
                              uint64_t max_shard_bytes) {
  check_merge_output(model_dir, out_dir);
  const auto config = load_model_config(model_dir);
  const torch::ScalarType dtype = config_dtype(config);
  LoadOptions load;
  load.dtype = dtype;  // the base dtype; merge_lora computes ΔW and W + ΔW in fp32
  auto model = load_model(model_dir, load);
  auto modules = load_peft_adapter(*model, adapter_dir);
  merge_lora(modules);

  fs::create_directories(out_dir);
  for (const auto& entry : fs::directory_iterator(model_dir)) {
    if (!entry.is_regular_file() || is_weight_file(entry.path()) || entry.path().filename() == kLockFileName) continue;
    fs::copy_file(entry.path(), out_dir / entry.path().filename(), fs::copy_options::overwrite_existing);
  }
  // Stale weights of an earlier merge into the same directory would confuse the loader.
  for (const auto& entry : fs::directory_iterator(out_dir))
    if (entry.is_regular_file() && is_weight_file(entry.path())) fs::remove(entry.path());
  auto tensors = model_tensors(*model, dtype);
  MergeReport report;
  report.modules_merged = static_cast<int64_t>(modules.size());
  for (const auto& [name, t] : tensors) report.bytes_written += static_cast<uint64_t>(t.nbytes());
  report.files_written = static_cast<int64_t>(io::write_checkpoint(out_dir, tensors, max_shard_bytes).size());
  spdlog::info("merge: {} LoRA modules folded into {} ({} weight file(s), {:.1f} MB)", report.modules_merged,
               out_dir.string(), report.files_written, static_cast<double>(report.bytes_written) / 1e6);
  return report;
}

}  // namespace lightreasoner::model
