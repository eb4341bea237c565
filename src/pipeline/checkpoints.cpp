// The checkpoints/ folder of a training run: atomic write (temp dir + rename), pruning to the
// newest K, finding the newest complete one (checkpoints.h).
#include "lightreasoner/pipeline/checkpoints.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace lightreasoner::pipeline {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "checkpoint-";

// (step, path) of every complete checkpoint, ascending.
std::vector<std::pair<int64_t, fs::path>> list_checkpoints(const fs::path& run_dir) {
  std::vector<std::pair<int64_t, fs::path>> found;
  const fs::path root = run_dir / "checkpoints";
  if (!fs::is_directory(root)) return found;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind(kPrefix, 0) != 0) continue;
    if (!fs::exists(entry.path() / train::kTrainerStateFile)) continue;
    try {
      found.emplace_back(std::stoll(name.substr(std::string(kPrefix).size())), entry.path());
    } catch (const std::exception&) {
      // not ours: checkpoint-foo
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

fs::path checkpoint_dir(const fs::path& run_dir, int64_t step) {
  return run_dir / "checkpoints" / (kPrefix + std::to_string(step));
}

fs::path save_checkpoint(const fs::path& run_dir, const train::TrainerState& state, const io::NamedTensors& trainable,
                         torch::optim::Optimizer& optimizer, int keep) {
  const fs::path root = run_dir / "checkpoints";
  fs::create_directories(root);
  const fs::path final_dir = checkpoint_dir(run_dir, state.step);
  const fs::path temp_dir = root / (".tmp-" + std::string(kPrefix) + std::to_string(state.step));
  fs::remove_all(temp_dir);
  fs::create_directories(temp_dir);
  try {
    train::write_checkpoint(temp_dir, state, trainable, optimizer);
  } catch (...) {  // a full disk: leave no partial checkpoint behind (earlier ones stay as they were)
    std::error_code ec;
    fs::remove_all(temp_dir, ec);
    throw;
  }
  fs::remove_all(final_dir);  // a checkpoint of the same step from a run that died after it
  fs::rename(temp_dir, final_dir);
  auto all = list_checkpoints(run_dir);
  for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) fs::remove_all(all[i].second);
  return final_dir;
}

std::optional<fs::path> latest_checkpoint(const fs::path& run_dir) {
  auto all = list_checkpoints(run_dir);
  if (all.empty()) return std::nullopt;
  return all.back().second;
}

}  // namespace lightreasoner::pipeline
