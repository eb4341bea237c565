// Attaching LoRA adapters to a CausalLM by module name, detaching them, their live trainable
// tensors, and merging ΔW into the base weights. The adapter's math is lora_adapter.cpp's, the
// PEFT directory format lora_peft.cpp's. No optimiser or loss here (train/).
#include "lightreasoner/model/lora.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "lightreasoner/core/error.h"

namespace lightreasoner::model {

namespace {

constexpr const char* kAdapterModuleName = "lora";
constexpr const char* kPeftPrefix = "base_model.model.";

// PEFT's list matching: the full module name equals an entry or ends with "." + entry.
bool matches_target(const std::string& path, const std::vector<std::string>& targets) {
  for (const auto& t : targets) {
    if (path == t) return true;
    if (path.size() > t.size() && path.compare(path.size() - t.size(), t.size(), t) == 0 &&
        path[path.size() - t.size() - 1] == '.')
      return true;
  }
  return false;
}

// Every Linear of the decoder whose path matches, in named_modules() order (lm_head excluded,
// as PEFT's "all-linear" excludes the output head).
std::vector<std::pair<std::string, std::shared_ptr<Linear>>> target_linears(CausalLM& model,
                                                                            const std::vector<std::string>& targets) {
  std::vector<std::pair<std::string, std::shared_ptr<Linear>>> found;
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    auto linear = std::dynamic_pointer_cast<Linear>(item.value());
    if (!linear || item.key() == "lm_head") continue;
    if (matches_target(item.key(), targets)) found.emplace_back(item.key(), linear);
  }
  return found;
}

void remove_adapter(Linear& linear) {
  if (!linear.adapter) return;
  linear.unregister_module(kAdapterModuleName);
  linear.adapter.reset();
}

}  // namespace

std::string lora_key_a(const std::string& path) { return kPeftPrefix + path + ".lora_A.weight"; }
std::string lora_key_b(const std::string& path) { return kPeftPrefix + path + ".lora_B.weight"; }

std::vector<LoraModule> attach_lora(CausalLM& model, const LoraSpec& spec, uint64_t seed) {
  LR_CHECK(spec.r > 0, "lora.r must be > 0, got " << spec.r);
  LR_CHECK(!spec.targets.empty(), "lora.targets is empty: name at least one of q_proj ... down_proj");
  auto linears = target_linears(model, spec.targets);
  LR_CHECK(!linears.empty(), "lora.targets matched no projection of the model");
  for (auto& p : model.parameters()) p.set_requires_grad(false);
  auto generator = at::detail::createCPUGenerator(seed);
  std::vector<LoraModule> modules;
  for (auto& [path, linear] : linears) {
    LR_CHECK(!linear->adapter, "module '" << path << "' already carries an adapter");
    auto adapter = std::make_shared<LoraAdapter>(linear->in_features(), linear->out_features(), spec,
                                                 model.device());
    // kaiming_uniform_(a=√5) on [r, in] = U(−1/√in, 1/√in), drawn on CPU from the seeded generator.
    const double bound = 1.0 / std::sqrt(static_cast<double>(linear->in_features()));
    auto a = torch::empty({spec.r, linear->in_features()}, torch::kFloat32).uniform_(-bound, bound, generator);
    {
      torch::NoGradGuard no_grad;
      adapter->A.copy_(a);
    }
    linear->adapter = adapter;
    // Registered, so the model's train()/eval() reach its dropout; A and B are plain tensors, not
    // registered parameters, so named_parameters() keeps the checkpoint's names.
    linear->register_module(kAdapterModuleName, adapter);
    adapter->train(model.is_training());
    modules.push_back({path, linear, adapter});
  }
  return modules;
}

void detach_lora(CausalLM& model) {
  for (const auto& item : model.named_modules("", false)) {
    if (auto linear = std::dynamic_pointer_cast<Linear>(item.value())) remove_adapter(*linear);
  }
}

io::NamedTensors lora_parameters(const std::vector<LoraModule>& modules) {
  io::NamedTensors params;
  for (const auto& m : modules) {
    params.emplace_back(lora_key_a(m.path), m.adapter->A);
    params.emplace_back(lora_key_b(m.path), m.adapter->B);
  }
  return params;
}

void merge_lora(const std::vector<LoraModule>& modules) {
  torch::NoGradGuard no_grad;
  for (const auto& m : modules) {
    auto& w = m.linear->weight;  // [out, in], model dtype
    auto merged = w.to(torch::kFloat32) + m.adapter->delta_weight().to(w.device());
    w.copy_(merged.to(w.scalar_type()));
    remove_adapter(*m.linear);
  }
}

}  // namespace lightreasoner::model
