// Strict weight loading: builds a CausalLM from a Hugging Face model directory (config.json +
// model.safetensors or shards) and copies every tensor name-to-name, converting the stored dtype
// (F32/BF16/F16) to the requested one on the way. All missing, unexpected, mis-shaped and
// non-float tensors are reported together in one error. Also the inverse: a model's tensors
// under their HF names, ready for io::write_checkpoint. No LoRA adapters here.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/transformer.h"

namespace lightreasoner::model {

struct LoadOptions {
  std::optional<torch::ScalarType> dtype;  // nullopt: the config's torch_dtype (f32/bf16/f16)
  torch::Device device = torch::kCPU;
};

// Copies the checkpoint into the model's parameters. `where` names the source in errors.
// Accepted and ignored: lm_head.weight when the embeddings are tied, and rotary_emb.inv_freq
// buffers that old Llama checkpoints carry (transformers ignores both too).
void load_weights(CausalLM& model, const io::Checkpoint& checkpoint, const std::string& where);

std::shared_ptr<CausalLM> load_model(const std::filesystem::path& dir, const LoadOptions& options = {});

// The checkpoint dtype a config declares ("bfloat16" → kBFloat16 ...).
torch::ScalarType config_dtype(const ModelConfig& config);

// Every parameter under its HF name, on CPU, converted to `dtype` (tied head not repeated).
io::NamedTensors model_tensors(CausalLM& model, torch::ScalarType dtype);

}  // namespace lightreasoner::model
