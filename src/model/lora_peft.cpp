// The PEFT adapter directory (docs/formats.md#peft-adapter): adapter_config.json with PEFT's key set and the
// F32 adapter_model.safetensors, written and read; copies of the adapter tensors; and the
// model + adapter loading helper every command uses. Attaching is lora.cpp's.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <sstream>

#include "lightreasoner/config/fields.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/lora.h"

namespace lightreasoner::model {

namespace fs = std::filesystem;
using Json = nlohmann::json;

io::NamedTensors lora_tensors(const std::vector<LoraModule>& modules) {
  io::NamedTensors out;
  for (const auto& [name, t] : lora_parameters(modules)) out.emplace_back(name, t.detach().to(torch::kCPU).clone());
  return out;
}

void load_lora_tensors(const std::vector<LoraModule>& modules, const io::NamedTensors& tensors,
                       const std::string& where) {
  std::map<std::string, torch::Tensor> by_name(tensors.begin(), tensors.end());
  std::vector<std::string> problems;
  std::set<std::string> used;
  auto take = [&](const std::string& key, torch::Tensor& dst) {
    auto it = by_name.find(key);
    if (it == by_name.end()) {
      problems.push_back("missing " + key);
      return;
    }
    used.insert(key);
    if (it->second.sizes() != dst.sizes()) {
      std::ostringstream msg;
      msg << key << " has shape " << it->second.sizes() << ", expected " << dst.sizes();
      problems.push_back(msg.str());
      return;
    }
    LR_CHECK(it->second.is_floating_point(), where << ": " << key << " is not a float tensor");
    torch::NoGradGuard no_grad;
    dst.copy_(it->second.to(torch::kFloat32));
  };
  for (const auto& m : modules) {
    take(lora_key_a(m.path), m.adapter->A);
    take(lora_key_b(m.path), m.adapter->B);
  }
  for (const auto& [name, t] : tensors)
    if (!used.count(name)) problems.push_back("unexpected " + name);
  if (!problems.empty()) {
    std::string text;
    for (size_t i = 0; i < problems.size() && i < 12; ++i) text += "\n  " + problems[i];
    if (problems.size() > 12) text += "\n  ... (" + std::to_string(problems.size() - 12) + " more)";
    LR_FAIL(where << ": adapter tensors do not match the model (" << problems.size() << " problem(s)):" << text);
  }
}

void save_peft_adapter(const fs::path& dir, const std::vector<LoraModule>& modules, const LoraSpec& spec,
                       const std::string& base_model_name_or_path) {
  LR_CHECK(!modules.empty(), "save_peft_adapter: no LoRA modules to save");
  fs::create_directories(dir);
  // target_modules: the configured names, projection names first in their canonical order.
  std::vector<std::string> targets;
  for (const auto& name : lora_target_names())
    if (std::find(spec.targets.begin(), spec.targets.end(), name) != spec.targets.end()) targets.push_back(name);
  for (const auto& name : spec.targets)
    if (std::find(targets.begin(), targets.end(), name) == targets.end()) targets.push_back(name);
  Json config;  // nlohmann::json sorts keys, as PEFT's json.dumps(sort_keys=True)
  config["alpha_pattern"] = Json::object();
  config["base_model_name_or_path"] = base_model_name_or_path;
  config["bias"] = "none";
  config["fan_in_fan_out"] = false;
  config["inference_mode"] = true;
  config["init_lora_weights"] = true;
  config["layers_pattern"] = nullptr;
  config["layers_to_transform"] = nullptr;
  if (spec.alpha == std::floor(spec.alpha))
    config["lora_alpha"] = static_cast<int64_t>(spec.alpha);
  else
    config["lora_alpha"] = spec.alpha;
  config["lora_dropout"] = spec.dropout;
  config["modules_to_save"] = nullptr;
  config["peft_type"] = "LORA";
  config["r"] = spec.r;
  config["rank_pattern"] = Json::object();
  config["revision"] = nullptr;
  config["target_modules"] = targets;
  config["task_type"] = "CAUSAL_LM";
  config["use_dora"] = false;
  config["use_rslora"] = spec.use_rslora;
  io::write_safetensors(dir / "adapter_model.safetensors", lora_tensors(modules));
  write_file_atomic(dir / "adapter_config.json", config.dump(2) + "\n");
}

LoraSpec read_peft_config(const fs::path& dir) {
  const fs::path path = dir / "adapter_config.json";
  LR_CHECK(fs::exists(path), "'" << dir.string() << "' is not a PEFT adapter directory: no adapter_config.json");
  Json j = Json::parse(read_file(path), nullptr, /*allow_exceptions=*/false);
  LR_CHECK(!j.is_discarded(), path.string() << ": not valid JSON");
  const config::Fields f(j, path.string());
  auto expect = [&](const char* key, const Json& wanted, const char* why) {
    if (const Json* v = f.find(key)) {
      LR_CHECK(*v == wanted, f.name(key) << " is " << v->dump() << ", only " << wanted.dump() << " is supported ("
                                         << why << ")");
    }
  };
  const std::string type = f.get<std::string>("peft_type");
  LR_CHECK(type == "LORA", f.name("peft_type") << " must be \"LORA\", got \"" << type << "\"");
  expect("bias", "none", "bias tensors are not adapter weights here");
  expect("fan_in_fan_out", false, "Conv1D layouts do not occur in these models");
  expect("use_dora", false, "DoRA is not implemented");
  expect("lora_bias", false, "lora_B bias is not implemented");
  for (const char* key : {"rank_pattern", "alpha_pattern"})
    if (const Json* v = f.find(key)) LR_CHECK(v->is_object() && v->empty(), f.name(key) << " must be empty, got " << v->dump());
  for (const char* key : {"layers_to_transform", "modules_to_save"})
    LR_CHECK(!f.has(key), f.name(key) << " is not supported, got " << f.json(key).dump());
  LoraSpec spec;
  // PEFT's defaults for what the file leaves out.
  const int64_t r = f.get_or<int64_t>("r", 8);
  // Within a sane range before anything is allocated from it.
  LR_CHECK(r > 0 && r <= (int64_t{1} << 16), f.name("r") << " must be an integer in [1, 65536], got " << r);
  spec.r = static_cast<int>(r);
  spec.alpha = f.get_or<double>("lora_alpha", 8.0);
  spec.dropout = f.get_or<double>("lora_dropout", 0.0);
  spec.use_rslora = f.get_or<bool>("use_rslora", false);
  const Json& targets = f.json("target_modules");
  LR_CHECK(targets.is_array(), f.name("target_modules") << " must be a list of module names (regex strings and "
                                                           "\"all-linear\" are not supported), got "
                                                        << targets.dump());
  spec.targets = f.get<std::vector<std::string>>("target_modules");
  return spec;
}

std::vector<LoraModule> load_peft_adapter(CausalLM& model, const fs::path& dir) {
  LoraSpec spec = read_peft_config(dir);
  const fs::path weights = dir / "adapter_model.safetensors";
  LR_CHECK(fs::exists(weights), "'" << dir.string() << "' has no adapter_model.safetensors (adapter_model.bin "
                                                        "pickles are not read: re-save with safe_serialization)");
  auto file = io::SafetensorsFile::open(weights);
  // attach_lora allocates r × in_features per module from adapter_config.json's r: compare r with the
  // lora_A tensors the file holds first (their bytes are in the file), so a hostile r allocates nothing.
  int64_t lora_a = 0;
  for (const auto& info : file->tensors()) {
    if (info.name.find(".lora_A.") == std::string::npos) continue;
    ++lora_a;
    LR_CHECK(info.shape.size() == 2 && info.shape[0] == spec.r,
             weights.string() << ": " << info.name << " has " << info.shape.size() << " dimension(s), first "
                              << (info.shape.empty() ? 0 : info.shape[0]) << ", but adapter_config.json says r = "
                              << spec.r);
  }
  LR_CHECK(lora_a > 0, weights.string() << ": no lora_A tensors (an adapter without weights)");
  io::NamedTensors tensors;
  for (const auto& info : file->tensors()) tensors.emplace_back(info.name, file->tensor(info.name));
  std::vector<LoraModule> modules = attach_lora(model, spec, /*seed=*/0);
  try {
    load_lora_tensors(modules, tensors, weights.string());
  } catch (...) {
    detach_lora(model);
    throw;
  }
  spdlog::info("adapter: {} LoRA modules (r {}, alpha {}) from {}", modules.size(), spec.r, spec.alpha, dir.string());
  return modules;
}

std::shared_ptr<CausalLM> load_model_with_adapter(const fs::path& model_dir, const std::optional<fs::path>& adapter_dir,
                                                  const LoadOptions& options) {
  auto model = load_model(model_dir, options);
  if (adapter_dir && !adapter_dir->empty()) load_peft_adapter(*model, *adapter_dir);
  return model;
}

}  // namespace lightreasoner::model
