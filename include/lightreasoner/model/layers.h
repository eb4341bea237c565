// The small building blocks of the decoder, registered under Hugging Face parameter names:
// Linear (weight [out, in] + optional bias, with an empty adapter seam for LoRA), RMSNorm (fp32
// statistics, cast back before the weight multiply, as HF does) and the SwiGLU MLP. Attention
// and the whole decoder live in attention.h / transformer.h.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace lightreasoner::model {

// What a parameter-efficient adapter (LoRA: model/lora.h) adds to a projection's output:
// y = x Wᵀ + b + adapter(x). The attaching code registers the adapter as a submodule of the Linear
// (so train()/eval() reach its dropout) but keeps its tensors unregistered, so the base model's
// named_parameters() stay exactly the checkpoint's names; the adapter code owns its parameters.
class LinearAdapter {
 public:
  virtual ~LinearAdapter() = default;
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;  // [..., in] → [..., out]
};

class Linear : public torch::nn::Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias, const torch::TensorOptions& options);
  // Registers the given tensors (views into a fused buffer, see FusedLinear) as weight and bias.
  Linear(torch::Tensor weight, torch::Tensor bias);
  torch::Tensor forward(const torch::Tensor& x);  // [..., in] → [..., out]

  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out] or undefined
  std::shared_ptr<LinearAdapter> adapter;  // empty unless an adapter is attached
  int64_t in_features() const { return weight.size(1); }
  int64_t out_features() const { return weight.size(0); }
};

class RMSNorm : public torch::nn::Module {
 public:
  RMSNorm(int64_t dim, double eps, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [..., dim]

  torch::Tensor weight;  // [dim]
  double eps;
  bool fast = true;  // false: the reference op sequence (same values; one more temporary)
};

// Token embedding table (no scaling, docs/design.md (Model)).
class Embedding : public torch::nn::Module {
 public:
  Embedding(int64_t vocab, int64_t dim, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& ids);  // [B, T] int64 → [B, T, dim]

  torch::Tensor weight;  // [V, dim]
};

// Several projections of the same input whose weights share one buffer: each part's weight
// (and bias) is a row-block view of [sum(out), in], so the parts keep their own HF names and
// load/save/merge in place as before, while forward() runs one GEMM for all of them. The fused
// GEMM is used only while every part still aliases the buffer (nothing replaced a weight) and no
// base weight needs a gradient (full fine-tuning runs the parts one by one); a part's adapter
// (LoRA) is added to its own output slice, so adapters on fused projections keep working.
class FusedLinear {
 public:
  FusedLinear(int64_t in_features, const std::vector<int64_t>& out_features, bool bias,
              const torch::TensorOptions& options);
  // x [..., in] → one output per part [..., out_i] (views of one buffer when fused).
  std::vector<torch::Tensor> forward(const torch::Tensor& x) const;
  // The reference: each part's own Linear::forward.
  std::vector<torch::Tensor> forward_unfused(const torch::Tensor& x) const;
  bool fused_usable() const;

  std::vector<std::shared_ptr<Linear>> parts;  // register these under their HF names
  bool enabled = true;

 private:
  torch::Tensor weight_;  // [sum(out), in]
  torch::Tensor bias_;    // [sum(out)] or undefined
};

// down(silu(gate(x)) * up(x)); gate and up share one fused buffer (FusedLinear).
class MLP : public torch::nn::Module {
 public:
  MLP(int64_t hidden, int64_t intermediate, bool bias, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [B, T, d]

  std::shared_ptr<Linear> gate_proj, up_proj, down_proj;
  FusedLinear gate_up;
  bool fast = true;  // false: the reference op sequence
};

}  // namespace lightreasoner::model
