// One checkpoint directory's files: write and restore (checkpoint.h).
#include "lightreasoner/train/checkpoint.h"

#include <sstream>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::train {

namespace fs = std::filesystem;

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

void write_checkpoint(const fs::path& dir, const TrainerState& state, const io::NamedTensors& trainable,
                      torch::optim::Optimizer& optimizer) {
  io::NamedTensors cpu;
  for (const auto& [name, t] : trainable) cpu.emplace_back(name, t.detach().to(torch::kCPU).contiguous());
  io::write_safetensors(dir / "trainable.safetensors", cpu);
  std::ostringstream archive;
  torch::save(optimizer, archive);
  write_file_atomic(dir / "optimizer.pt", archive.str());
  write_file_atomic(dir / kTrainerStateFile, state_to_json(state).dump(2) + "\n");
}

TrainerState load_checkpoint(const fs::path& dir, const io::NamedTensors& trainable, torch::optim::Optimizer& optimizer) {
  const fs::path state_path = dir / kTrainerStateFile;
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
