// LoRA (docs/formats.md#peft-adapter): a model::LinearAdapter adding B·A·dropout(x)·scale to a frozen projection
// (lora_adapter.cpp), attached by module name (q_proj … down_proj) to a CausalLM and merged into
// its weights (lora.cpp); the PEFT adapter directory (adapter_config.json +
// adapter_model.safetensors) written and read, and the `--adapter` loading helper every command
// uses (lora_peft.cpp). Training loops live in train/.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/model/transformer.h"

namespace lightreasoner::model {

// The module names LoRA may target (the HF projection names).
const std::vector<std::string>& lora_target_names();

// The LoRA settings are the config's lora section (its defaults, written once in run_config.h)
// plus the scale they imply.
struct LoraSpec : config::LoraConfig {
  LoraSpec() = default;
  explicit LoraSpec(const config::LoraConfig& settings) : config::LoraConfig(settings) {}
  double scale() const;  // alpha / r, or alpha / sqrt(r) with rslora
};

// A registered submodule of its Linear (named "lora"): the model's train()/eval() switch its
// dropout. A and B are plain tensors, not registered parameters, so the model's named_parameters()
// stay the checkpoint's names; lora_parameters() hands them to the optimiser.
class LoraAdapter : public torch::nn::Module, public LinearAdapter {
 public:
  // A [r, in] and B [out, r] in fp32 on `device`, zero-initialised (see init_lora_weights).
  LoraAdapter(int64_t in_features, int64_t out_features, const LoraSpec& spec, torch::Device device);
  // x [..., in] (model dtype) → [..., out] in x's dtype; the product runs in fp32.
  torch::Tensor forward(const torch::Tensor& x) override;
  // ΔW = (B @ A) · scale, [out, in] fp32.
  torch::Tensor delta_weight() const;

  torch::Tensor A;  // [r, in]  fp32, requires grad
  torch::Tensor B;  // [out, r] fp32, requires grad
  double scale;
  double dropout;  // applied while is_training()
};

struct LoraModule {
  std::string path;  // HF module path, e.g. "model.layers.0.self_attn.q_proj"
  std::shared_ptr<Linear> linear;
  std::shared_ptr<LoraAdapter> adapter;
};

// Adapters on every targeted projection, in named_modules() order, in the model's train/eval
// mode; base parameters are frozen (requires_grad false). A ← kaiming-uniform(a=√5) from a generator seeded with `seed`, B ← 0,
// so the adapted model equals the base at step 0. Errors if the model already carries adapters.
std::vector<LoraModule> attach_lora(CausalLM& model, const LoraSpec& spec, uint64_t seed);
// Removes every adapter (the model is the base again).
void detach_lora(CausalLM& model);
// The live trainable tensors (A then B per module, in module order) under their PEFT names.
io::NamedTensors lora_parameters(const std::vector<LoraModule>& modules);
// The PEFT names of a module's A and B: "base_model.model.<path>.lora_A.weight" / lora_B.
std::string lora_key_a(const std::string& path);
std::string lora_key_b(const std::string& path);

// Copies of lora_parameters() on CPU (F32): "base_model.model.<path>.lora_A.weight" → A, lora_B → B.
io::NamedTensors lora_tensors(const std::vector<LoraModule>& modules);
// Copies named tensors (lora_tensors layout) into the adapters; every key present, shapes exact.
void load_lora_tensors(const std::vector<LoraModule>& modules, const io::NamedTensors& tensors,
                       const std::string& where);

// adapter_config.json with exactly the classic PEFT key set (docs/formats.md (PEFT adapter)) + F32 weights.
void save_peft_adapter(const std::filesystem::path& dir, const std::vector<LoraModule>& modules,
                       const LoraSpec& spec, const std::string& base_model_name_or_path);
// Reads adapter_config.json (ours or PEFT's, new keys ignored; unsupported features refused).
LoraSpec read_peft_config(const std::filesystem::path& dir);
// Attaches the adapter in `dir` to `model` (inference: dropout off). Every targeted module must
// have both A and B; unexpected keys are an error.
std::vector<LoraModule> load_peft_adapter(CausalLM& model, const std::filesystem::path& dir);

// W += ΔW in fp32, cast back to the weight dtype, then detaches the adapters.
void merge_lora(const std::vector<LoraModule>& modules);

// load_model + (when given) load_peft_adapter: what `--adapter DIR` / expert.adapter mean.
std::shared_ptr<CausalLM> load_model_with_adapter(const std::filesystem::path& model_dir,
                                                  const std::optional<std::filesystem::path>& adapter_dir,
                                                  const LoadOptions& options = {});

}  // namespace lightreasoner::model
