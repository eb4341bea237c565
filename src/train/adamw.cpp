// The multi-tensor AdamW (adamw.h): per parameter group, the parameters with a gradient, their
// state (created as the reference creates it), then each AdamW stage as one foreach call.
#include "lightreasoner/train/adamw.h"

#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>

#include "lightreasoner/core/error.h"

namespace lightreasoner::train {

namespace {

// The optimizer's state is keyed by the parameter's TensorImpl: as a string of its address in
// LibTorch 1.x (what c10::guts::to_string writes), as the pointer itself in later versions.
template <class Key>
Key state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << static_cast<const void*>(p.unsafeGetTensorImpl());
    return text.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

}  // namespace

ForeachAdamW::ForeachAdamW(std::vector<torch::Tensor> params, torch::optim::AdamWOptions options)
    : torch::optim::AdamW(std::move(params), std::move(options)) {
  for (const auto& group : param_groups())
    LR_CHECK(!static_cast<const torch::optim::AdamWOptions&>(group.options()).amsgrad(),
             "ForeachAdamW: amsgrad is not supported");
}

torch::Tensor ForeachAdamW::step(LossClosure closure) {
  using Key = typename std::decay_t<decltype(state())>::key_type;
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    // Parameters that missed updates (no gradient) have fewer steps: one foreach pass per step count.
    struct Bucket {
      std::vector<torch::Tensor> p, g, m, v;
      std::vector<torch::optim::AdamWParamState*> states;
    };
    std::map<int64_t, Bucket> by_step;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      LR_CHECK(!p.grad().is_sparse(), "ForeachAdamW: sparse gradients are not supported");
      auto& slot = state()[state_key<Key>(p)];
      if (!slot) {  // as the reference initialises it
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto* s = static_cast<torch::optim::AdamWParamState*>(slot.get());
      Bucket& bucket = by_step[s->step()];
      bucket.p.push_back(p);
      bucket.g.push_back(p.grad());
      bucket.m.push_back(s->exp_avg());
      bucket.v.push_back(s->exp_avg_sq());
      bucket.states.push_back(s);
    }
    for (auto& [done, bucket] : by_step) {
      auto& [p, g, m, v, states] = bucket;
      for (auto* s : states) s->step(done + 1);
      const auto [beta1, beta2] = o.betas();
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(done + 1));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(done + 1));
      if (o.weight_decay() != 0) at::_foreach_mul_(p, 1 - o.lr() * o.weight_decay());
      at::_foreach_mul_(m, beta1);
      at::_foreach_add_(m, g, 1 - beta1);
      at::_foreach_mul_(v, beta2);
      at::_foreach_addcmul_(v, g, g, 1 - beta2);
      auto denoms = at::_foreach_sqrt(v);
      at::_foreach_div_(denoms, std::sqrt(bias_correction2));
      at::_foreach_add_(denoms, o.eps());
      at::_foreach_addcdiv_(p, m, denoms, -o.lr() / bias_correction1);
    }
  }
  return loss;
}

}  // namespace lightreasoner::train
