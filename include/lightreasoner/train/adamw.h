// AdamW as one multi-tensor update. The arithmetic is torch::optim::AdamW's (decoupled weight
// decay, bias-corrected moments, eps added after the square root), but each stage runs over every
// parameter at once (at::_foreach_*): on a GPU an update of the ~112 LoRA tensors of a 28-layer
// model is about ten kernel launches instead of about ten per tensor. The moments live in
// torch::optim::AdamW's own per-parameter state, so torch::save/torch::load of the optimizer (a
// checkpoint's optimizer.pt) are the same files either way. torch::optim::AdamW is the reference
// it is tested against (bitwise on the CPU). Not supported: amsgrad.
#pragma once

#include <torch/torch.h>

namespace lightreasoner::train {

class ForeachAdamW : public torch::optim::AdamW {
 public:
  ForeachAdamW(std::vector<torch::Tensor> params, torch::optim::AdamWOptions options);
  // Parameters with different step counts (some missed updates without a gradient) are updated
  // in one pass per step count, each with its own bias correction, as the reference does.
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace lightreasoner::train
