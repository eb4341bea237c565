// Activation checkpointing (recompute.h) as a custom autograd function: forward under no graph of
// its own (the layer's graph is built and dropped at once), backward = recompute + inner backward,
// which also accumulates the gradients of the layer's trainable tensors (LoRA A/B, or all weights).
#include "lightreasoner/model/recompute.h"

#include <ATen/Context.h>

#include <mutex>

#include "lightreasoner/model/transformer.h"

namespace lightreasoner::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Tensor rng_state(const torch::Device& device) {
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_rng_state(const torch::Device& device, const at::Tensor& state) {
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

// The layer's forward with autograd recording (the same code paths as a plain training forward:
// some layers take faster in-place paths without it), on `h` as given.
torch::Tensor run_layer(DecoderLayer& layer, const torch::Tensor& h, const torch::Tensor& cos, const torch::Tensor& sin,
                        const AttentionMask& mask, int64_t index, int64_t backend) {
  torch::AutoGradMode recording(true);
  return layer.forward(h, RopeTables{cos, sin}, mask, nullptr, index, static_cast<AttentionBackend>(backend));
}


class RecomputedLayer : public torch::autograd::Function<RecomputedLayer> {
 public:
  // The mask is no input of the function (it needs no gradient, and some of its tensors may be
  // undefined, which a function's inputs may not): its parts are kept as saved data.
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor h, torch::Tensor cos, torch::Tensor sin,
                               AttentionMask mask, int64_t layer, int64_t index, int64_t backend) {
    ctx->save_for_backward({h, cos, sin});
    ctx->saved_data["additive"] = mask.additive;
    ctx->saved_data["to_sequences"] = mask.to_sequences;
    ctx->saved_data["to_rows"] = mask.to_rows;
    ctx->saved_data["sequences"] = mask.sequences;
    ctx->saved_data["length"] = mask.length;
    ctx->saved_data["layer"] = layer;
    ctx->saved_data["index"] = index;
    ctx->saved_data["backend"] = backend;
    ctx->saved_data["rng"] = rng_state(h.device());
    // Detached: the graph built inside is dropped with `out`'s, so no activation outlives the call.
    return run_layer(*reinterpret_cast<DecoderLayer*>(layer), h.detach(), cos, sin, mask, index, backend).detach();
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();  // h, cos, sin
    const torch::Device device = saved[0].device();
    const at::Tensor now = rng_state(device);
    set_rng_state(device, ctx->saved_data["rng"].toTensor());  // the forward's dropout masks again
    auto h = saved[0].detach().requires_grad_(true);
    AttentionMask mask;
    mask.additive = ctx->saved_data["additive"].toTensor();
    mask.to_sequences = ctx->saved_data["to_sequences"].toTensor();
    mask.to_rows = ctx->saved_data["to_rows"].toTensor();
    mask.sequences = ctx->saved_data["sequences"].toInt();
    mask.length = ctx->saved_data["length"].toInt();
    auto out = run_layer(*reinterpret_cast<DecoderLayer*>(ctx->saved_data["layer"].toInt()), h, saved[1], saved[2], mask,
                         ctx->saved_data["index"].toInt(), ctx->saved_data["backend"].toInt());
    set_rng_state(device, now);
    torch::autograd::backward({out}, {grad_outputs[0]});
    variable_list grads(7);  // one per argument of forward after ctx: only h's
    grads[0] = h.grad();
    return grads;
  }
};

}  // namespace

torch::Tensor forward_recomputed(DecoderLayer& layer, const torch::Tensor& h, const RopeTables& rope,
                                 const AttentionMask& mask, int64_t index, AttentionBackend backend) {
  return RecomputedLayer::apply(h, rope.cos, rope.sin, mask, reinterpret_cast<int64_t>(&layer), index,
                                static_cast<int64_t>(backend));
}

}  // namespace lightreasoner::model
