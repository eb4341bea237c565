// The LoRA adapter itself: its spec's scale, the fp32 B·A·dropout(x)·scale product and ΔW. No
// model walking (lora.cpp) and no files (lora_peft.cpp) here.
#include <cmath>

#include "lightreasoner/model/lora.h"

#include "lightreasoner/model/dropout.h"

namespace lightreasoner::model {

const std::vector<std::string>& lora_target_names() {
  static const std::vector<std::string> names = {"q_proj", "k_proj", "v_proj", "o_proj",
                                                 "gate_proj", "up_proj", "down_proj"};
  return names;
}

double LoraSpec::scale() const {
  return use_rslora ? alpha / std::sqrt(static_cast<double>(r)) : alpha / static_cast<double>(r);
}

LoraAdapter::LoraAdapter(int64_t in_features, int64_t out_features, const LoraSpec& spec, torch::Device device)
    : scale(spec.scale()), dropout(spec.dropout) {
  auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  A = torch::zeros({spec.r, in_features}, options).set_requires_grad(true);
  B = torch::zeros({out_features, spec.r}, options).set_requires_grad(true);
}

torch::Tensor LoraAdapter::forward(const torch::Tensor& x) {
  auto h = x.to(torch::kFloat32);  // [..., in] fp32: the adapter's math stays in fp32
  // is_training() follows the model's train()/eval(): the adapter is a registered submodule.
  if (is_training() && dropout > 0.0) h = training_dropout(h, dropout);  // parallel mask on the CPU (dropout.h)
  auto y = torch::nn::functional::linear(torch::nn::functional::linear(h, A), B) * scale;  // [..., out]
  return y.to(x.scalar_type());
}

torch::Tensor LoraAdapter::delta_weight() const {
  torch::NoGradGuard no_grad;
  return torch::matmul(B.detach(), A.detach()) * scale;  // [out, in] fp32
}

}  // namespace lightreasoner::model
