// The small building blocks of the decoder, registered under Hugging Face parameter names:
// Linear (weight [out, in] + optional bias, with an empty adapter seam for LoRA), RMSNorm (fp32
// statistics, cast back before the weight multiply, as HF does) and the SwiGLU MLP. Attention
// and the whole decoder live in attention.h / transformer.h.
#pragma once

#include <torch/torch.h>

#include <memory>

namespace lightreasoner::model {

// What a parameter-efficient adapter (LoRA, a later issue) adds to a projection's output:
// y = x Wᵀ + b + adapter(x). Deliberately not registered as a submodule, so the base model's
// named_parameters() stay exactly the checkpoint's names; the adapter code owns its parameters.
class LinearAdapter {
 public:
  virtual ~LinearAdapter() = default;
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;  // [..., in] → [..., out]
};

class Linear : public torch::nn::Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias, const torch::TensorOptions& options);
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
};

// Token embedding table (no scaling, docs/design.md (Model)).
class Embedding : public torch::nn::Module {
 public:
  Embedding(int64_t vocab, int64_t dim, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& ids);  // [B, T] int64 → [B, T, dim]

  torch::Tensor weight;  // [V, dim]
};

// down(silu(gate(x)) * up(x))
class MLP : public torch::nn::Module {
 public:
  MLP(int64_t hidden, int64_t intermediate, bool bias, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [B, T, d]

  std::shared_ptr<Linear> gate_proj, up_proj, down_proj;
};

}  // namespace lightreasoner::model
