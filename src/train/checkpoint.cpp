// Checkpoint directories: atomic write (temp dir + rename), pruning to the newest K, restore.
#include "lightreasoner/train/checkpoint.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::train {

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
    if (!fs::exists(entry.path() / "trainer_state.json")) continue;
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

io::Json state_to_json(const TrainerState& s) {
  return io::Json{{"step", s.step},
                  {"total_steps", s.total_steps},
                  {"units", s.units},
                  {"units_per_step", s.units_per_step},
                  {"packing", s.packing},
                  {"loss", s.loss},
                  {"seed", s.seed},
                  {"data_fingerprint", s.data_fingerprint},
                  {"last_loss", s.last_loss},
                  {"rng", "dropout and data order are re-derived from seed and step"}};
}

TrainerState state_from_json(const io::Json& j, const std::string& where) {
  TrainerState s;
  try {
    s.step = j.at("step").get<int64_t>();
    s.total_steps = j.at("total_steps").get<int64_t>();
    s.units = j.at("units").get<int64_t>();
    s.units_per_step = j.at("units_per_step").get<int64_t>();
    s.packing = j.at("packing").get<std::string>();
    s.loss = j.at("loss").get<std::string>();
    s.seed = j.at("seed").get<uint64_t>();
    s.data_fingerprint = j.at("data_fingerprint").get<std::string>();
    s.last_loss = j.at("last_loss").get<double>();
  } catch (const io::Json::exception& e) {
    LR_FAIL(where << ": " << e.what());
  }
  return s;
}

fs::path checkpoint_dir(const fs::path& run_dir, int64_t step) {
  return run_dir / "checkpoints" / (kPrefix + std::to_string(step));
}

fs::path save_checkpoint(const fs::path& run_dir, const TrainerState& state, const io::NamedTensors& trainable,
                         torch::optim::Optimizer& optimizer, int keep) {
  const fs::path root = run_dir / "checkpoints";
  fs::create_directories(root);
  const fs::path final_dir = checkpoint_dir(run_dir, state.step);
  const fs::path temp_dir = root / (".tmp-" + std::string(kPrefix) + std::to_string(state.step));
  fs::remove_all(temp_dir);
  fs::create_directories(temp_dir);
  try {
    io::NamedTensors cpu;
    for (const auto& [name, t] : trainable) cpu.emplace_back(name, t.detach().to(torch::kCPU).contiguous());
    io::write_safetensors(temp_dir / "trainable.safetensors", cpu);
    std::ostringstream archive;
    torch::save(optimizer, archive);
    write_file_atomic(temp_dir / "optimizer.pt", archive.str());
    write_file_atomic(temp_dir / "trainer_state.json", state_to_json(state).dump(2) + "\n");
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

TrainerState load_checkpoint(const fs::path& dir, const io::NamedTensors& trainable, torch::optim::Optimizer& optimizer) {
  const fs::path state_path = dir / "trainer_state.json";
  auto j = io::Json::parse(read_file(state_path), nullptr, false);
  LR_CHECK(j.is_object(), state_path.string() << ": not a JSON object");
  TrainerState state = state_from_json(j, state_path.string());
  auto file = io::SafetensorsFile::open(dir / "trainable.safetensors");
  LR_CHECK(file->tensors().size() == trainable.size(),
           (dir / "trainable.safetensors").string() << ": " << file->tensors().size() << " tensors, the run trains "
                                                    << trainable.size());
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : trainable) {
    LR_CHECK(file->find(name), (dir / "trainable.safetensors").string() << ": missing tensor " << name);
    auto saved = file->tensor(name);
    LR_CHECK(saved.sizes() == t.sizes(), (dir / "trainable.safetensors").string()
                                             << ": " << name << " has shape " << saved.sizes() << ", expected "
                                             << t.sizes());
    t.copy_(saved);
  }
  std::istringstream archive(read_file(dir / "optimizer.pt"));
  torch::load(optimizer, archive);
  return state;
}

}  // namespace lightreasoner::train
