// Linear, RMSNorm and the SwiGLU MLP (docs/design.md (Model)). Parameters are created uninitialised in
// the requested dtype/device; the loader or `init` fills them.
#include "lightreasoner/model/layers.h"

namespace lightreasoner::model {

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias, const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({out_features, in_features}, options));
  if (with_bias) bias = register_parameter("bias", torch::empty({out_features}, options));
}

torch::Tensor Linear::forward(const torch::Tensor& x) {
  auto y = torch::nn::functional::linear(x, weight, bias);
  if (adapter) y = y + adapter->forward(x);
  return y;
}

Embedding::Embedding(int64_t vocab, int64_t dim, const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({vocab, dim}, options));
}

torch::Tensor Embedding::forward(const torch::Tensor& ids) { return torch::embedding(weight, ids); }

RMSNorm::RMSNorm(int64_t dim, double eps_, const torch::TensorOptions& options) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({dim}, options));
}

torch::Tensor RMSNorm::forward(const torch::Tensor& x) {
  auto x32 = x.to(torch::kFloat32);
  auto variance = x32.pow(2).mean(-1, /*keepdim=*/true);
  auto normed = x32 * torch::rsqrt(variance + eps);
  return weight * normed.to(x.scalar_type());  // cast back BEFORE the weight multiply (HF order)
}

MLP::MLP(int64_t hidden, int64_t intermediate, bool bias, const torch::TensorOptions& options) {
  gate_proj = register_module("gate_proj", std::make_shared<Linear>(hidden, intermediate, bias, options));
  up_proj = register_module("up_proj", std::make_shared<Linear>(hidden, intermediate, bias, options));
  down_proj = register_module("down_proj", std::make_shared<Linear>(intermediate, hidden, bias, options));
}

torch::Tensor MLP::forward(const torch::Tensor& x) {
  return down_proj->forward(torch::silu(gate_proj->forward(x)) * up_proj->forward(x));
}

}  // namespace lightreasoner::model
