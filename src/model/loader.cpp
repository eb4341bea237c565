// Name-to-name loading of HF checkpoints into CausalLM (docs/design.md (Model)), strict like
// llama.cpp's check_tensor_dims: one error lists everything that is wrong, so a user fixes a bad
// conversion in one go. Copies go through the memory-mapped CPU view straight into the
// preallocated parameter (dtype conversion and device transfer in the same copy_).
#include "lightreasoner/model/loader.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include "lightreasoner/core/device.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::model {
namespace {

std::string shape_text(c10::IntArrayRef shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

bool ignorable_extra(const std::string& name, const ModelConfig& config) {
  if (name == "lm_head.weight" && config.tie_word_embeddings) return true;
  const std::string suffix = "rotary_emb.inv_freq";
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_float_dtype(io::StDtype dtype) {
  return dtype == io::StDtype::F32 || dtype == io::StDtype::BF16 || dtype == io::StDtype::F16;
}

void list_names(std::ostringstream& out, const char* title, const std::vector<std::string>& names) {
  if (names.empty()) return;
  out << "\n  " << title << " (" << names.size() << "):";
  for (const auto& name : names) out << "\n    " << name;
}

// Sizes before allocations: the model is allocated from config.json's numbers, so a config that
// declares far more parameters than its checkpoint holds (10^9 layers over a 1 MB file) is refused
// here, before a byte is allocated. A small shortfall is left to load_weights, whose error lists
// every missing tensor; twice the checkpoint's values cannot be a near miss.
void check_config_against_checkpoint(const ModelConfig& config, const io::Checkpoint& checkpoint,
                                     const std::string& where) {
  uint64_t held = 0;  // values (not bytes): the checkpoint's dtype may differ from the model's
  for (const auto& name : checkpoint.names()) {
    const auto& info = checkpoint.info(name);
    held += info.nbytes() / io::st_dtype_size(info.dtype);
  }
  const auto declared = static_cast<uint64_t>(config.num_parameters());  // bounded by ModelConfig::validate
  LR_CHECK(declared <= 2 * held,
           where << "/config.json declares " << declared << " parameters (" << config.num_hidden_layers
                 << " layers, hidden_size " << config.hidden_size << ", intermediate_size " << config.intermediate_size
                 << ", vocab_size " << config.vocab_size << ") but the checkpoint holds only " << held
                 << " values in " << checkpoint.files().size() << " file(s); refusing to allocate the model");
}

}  // namespace

torch::ScalarType config_dtype(const ModelConfig& config) {
  const std::string& name = config.torch_dtype;
  if (name == "float32" || name == "float") return torch::kFloat32;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "float16" || name == "half") return torch::kFloat16;
  LR_FAIL("config dtype '" << name << "' is not supported (float32, bfloat16, float16); pass an explicit dtype");
}

void load_weights(CausalLM& model, const io::Checkpoint& checkpoint, const std::string& where) {
  auto params = model.named_parameters(/*recurse=*/true);
  std::set<std::string> expected;
  for (const auto& item : params) expected.insert(item.key());

  std::vector<std::string> missing, unexpected, problems;
  for (const auto& name : expected) {
    if (!checkpoint.contains(name)) missing.push_back(name);
  }
  for (const auto& name : checkpoint.names()) {
    if (expected.count(name) == 0 && !ignorable_extra(name, model.config())) unexpected.push_back(name);
  }
  for (const auto& name : expected) {
    if (!checkpoint.contains(name)) continue;
    const auto& info = checkpoint.info(name);
    const auto& param = params[name];
    if (!is_float_dtype(info.dtype)) {
      problems.push_back(name + ": dtype " + io::st_dtype_name(info.dtype) + ", expected F32, BF16 or F16");
    } else if (c10::IntArrayRef(info.shape) != param.sizes()) {
      problems.push_back(name + ": shape " + shape_text(info.shape) + ", expected " + shape_text(param.sizes()));
    }
  }
  if (!missing.empty() || !unexpected.empty() || !problems.empty()) {
    std::ostringstream out;
    out << where << ": checkpoint does not match the model built from its config (" << model.config().architecture
        << ", " << model.config().num_hidden_layers << " layers):";
    list_names(out, "missing tensors", missing);
    list_names(out, "unexpected tensors", unexpected);
    list_names(out, "wrong tensors", problems);
    LR_FAIL(out.str());
  }

  torch::NoGradGuard no_grad;
  for (auto& item : params) item.value().copy_(checkpoint.tensor(item.key()));
}

std::shared_ptr<CausalLM> load_model(const std::filesystem::path& dir, const LoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  ModelConfig config = load_model_config(dir);
  const torch::ScalarType dtype = options.dtype ? *options.dtype : config_dtype(config);
  auto checkpoint = io::Checkpoint::open(dir);
  check_config_against_checkpoint(config, checkpoint, dir.string());
  auto model = std::make_shared<CausalLM>(config, torch::TensorOptions().dtype(dtype).device(options.device));
  load_weights(*model, checkpoint, dir.string());
  model->eval();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("loaded {} ({}, {} layers, {:.1f}M parameters, {} on {}) from {} file(s), {:.1f} MB in {:.2f}s",
               dir.string(), config.architecture, config.num_hidden_layers, config.num_parameters() / 1e6,
               dtype_name(dtype), options.device.str(), checkpoint.files().size(), checkpoint.total_bytes() / 1e6,
               seconds);
  return model;
}

io::NamedTensors model_tensors(CausalLM& model, torch::ScalarType dtype) {
  io::NamedTensors tensors;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    tensors.emplace_back(item.key(), item.value().detach().to(torch::kCPU, dtype).contiguous());
  }
  return tensors;
}

}  // namespace lightreasoner::model
