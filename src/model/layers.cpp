// Linear, RMSNorm and the SwiGLU MLP (docs/design.md (Model)). Parameters are created uninitialised in
// the requested dtype/device; the loader or `init` fills them.
#include "lightreasoner/model/layers.h"

#include "lightreasoner/model/cpu_kernels.h"

namespace lightreasoner::model {

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias, const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({out_features, in_features}, options));
  if (with_bias) bias = register_parameter("bias", torch::empty({out_features}, options));
}

Linear::Linear(torch::Tensor weight_view, torch::Tensor bias_view) {
  weight = register_parameter("weight", std::move(weight_view));
  if (bias_view.defined()) bias = register_parameter("bias", std::move(bias_view));
}

// at::linear, which Python's F.linear calls (so Hugging Face's models): a contiguous [B, T, in] input's
// bias goes into the GEMM (addmm on the flattened input, one rounding). The C++ frontend's
// torch::nn::functional::linear adds it in a pass of its own after the matmul, rounding twice in bf16
// (other bits on LibTorch 1.13 and 2.6 alike; the Qwen2 fixture's bf16 logits were further from HF's).
torch::Tensor Linear::forward(const torch::Tensor& x) {
  auto y = at::linear(x, weight, bias);
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
  if (fast && bf16_kernels_apply(x)) return rms_norm_bf16(x, weight, eps);  // one pass (cpu_kernels.h)
  if (fast) {  // the same values, one [.., dim] temporary fewer: the weight multiply in place
    auto x32 = x.to(torch::kFloat32);
    auto normed = (x32 * torch::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true).add_(eps))).to(x.scalar_type());
    if (!(torch::GradMode::is_enabled() && weight.requires_grad())) return normed.mul_(weight);
    return weight * normed;
  }
  auto x32 = x.to(torch::kFloat32);
  auto variance = x32.pow(2).mean(-1, /*keepdim=*/true);
  auto normed = x32 * torch::rsqrt(variance + eps);
  return weight * normed.to(x.scalar_type());  // cast back BEFORE the weight multiply (HF order)
}

FusedLinear::FusedLinear(int64_t in_features, const std::vector<int64_t>& out_features, bool with_bias,
                         const torch::TensorOptions& options) {
  int64_t total = 0;
  for (int64_t out : out_features) total += out;
  weight_ = torch::empty({total, in_features}, options);
  if (with_bias) bias_ = torch::empty({total}, options);
  int64_t offset = 0;
  for (int64_t out : out_features) {
    parts.push_back(std::make_shared<Linear>(weight_.narrow(0, offset, out),
                                             with_bias ? bias_.narrow(0, offset, out) : torch::Tensor()));
    offset += out;
  }
}

bool FusedLinear::fused_usable() const {
  if (!enabled) return false;
  int64_t offset = 0;
  const bool grad = torch::GradMode::is_enabled();
  for (const auto& part : parts) {
    // Still a view of our buffer at its own offset (Module::to() or set_data() would have moved it).
    const auto* expected = static_cast<const char*>(weight_.data_ptr()) + offset * weight_.stride(0) * weight_.element_size();
    if (part->weight.data_ptr() != expected || part->weight.scalar_type() != weight_.scalar_type()) return false;
    if (bias_.defined() && (!part->bias.defined() ||
                            part->bias.data_ptr() != static_cast<const char*>(bias_.data_ptr()) + offset * bias_.element_size()))
      return false;
    if (grad && (part->weight.requires_grad() || (part->bias.defined() && part->bias.requires_grad()))) return false;
    offset += part->weight.size(0);
  }
  return true;
}

std::vector<torch::Tensor> FusedLinear::forward_unfused(const torch::Tensor& x) const {
  std::vector<torch::Tensor> out;
  for (const auto& part : parts) out.push_back(part->forward(x));
  return out;
}

std::vector<torch::Tensor> FusedLinear::forward(const torch::Tensor& x) const {
  if (!fused_usable()) return forward_unfused(x);
  auto y = at::linear(x, weight_, bias_);  // [..., sum(out)]; at::linear as in Linear::forward
  std::vector<int64_t> sizes;
  for (const auto& part : parts) sizes.push_back(part->weight.size(0));
  // One split, not a narrow per part: a narrow's backward writes its gradient into a zero-filled
  // tensor of the whole output and the parts' gradients are then added (profiled: 13% of a LoRA
  // training step); the split's backward concatenates the parts' gradients once.
  auto slices = y.split_with_sizes(sizes, -1);  // views [..., out_i]
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < parts.size(); ++i)
    out.push_back(parts[i]->adapter ? slices[i] + parts[i]->adapter->forward(x) : slices[i]);
  return out;
}

MLP::MLP(int64_t hidden, int64_t intermediate, bool bias, const torch::TensorOptions& options)
    : gate_up(hidden, {intermediate, intermediate}, bias, options) {
  gate_proj = register_module("gate_proj", gate_up.parts[0]);
  up_proj = register_module("up_proj", gate_up.parts[1]);
  down_proj = register_module("down_proj", std::make_shared<Linear>(intermediate, hidden, bias, options));
}

torch::Tensor MLP::forward(const torch::Tensor& x) {
  auto gate_and_up = gate_up.forward(x);
  auto& gate = gate_and_up[0];
  auto& up = gate_and_up[1];
  if (fast && !torch::GradMode::is_enabled()) {  // inference: one [.., I] temporary fewer
    if (bf16_kernels_apply(gate) && bf16_kernels_apply(up)) return down_proj->forward(silu_mul_bf16(gate, up));
    return down_proj->forward(torch::silu(gate).mul_(up));
  }
  return down_proj->forward(torch::silu(gate) * up);
}

}  // namespace lightreasoner::model
