// One checkpoint directory's files: write and restore (checkpoint.h).
#include "lightreasoner/train/checkpoint.h"

#include <sstream>

#include "lightreasoner/config/fields.h"
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
  const config::Fields f(j, where);
  TrainerState s;
  s.step = f.get<int64_t>("step");
  s.total_steps = f.get<int64_t>("total_steps");
  s.units = f.get<int64_t>("units");
  s.units_per_step = f.get<int64_t>("units_per_step");
  s.packing = f.get<std::string>("packing");
  s.loss = f.get<std::string>("loss");
  s.seed = f.get<uint64_t>("seed");
  s.data_fingerprint = f.get<std::string>("data_fingerprint");
  s.last_loss = f.get<double>("last_loss");
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
  LR_CHECK(!j.is_discarded(), state_path.string() << ": not valid JSON");
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
