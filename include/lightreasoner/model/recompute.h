// Activation checkpointing for one decoder layer: its forward keeps only its input, and the
// backward pass runs the layer again (with autograd on) to get its gradients — the reentrant
// scheme of torch.utils.checkpoint, written for LibTorch, which has none. The global RNG is put
// back to where the forward found it for the recompute (LoRA dropout draws the same masks) and
// restored after, so the values and gradients are those of the plain forward, bit for bit.
// Not for forwards with a KV cache (inference needs no backward).
#pragma once

#include <torch/torch.h>

#include "lightreasoner/model/attention.h"
#include "lightreasoner/model/rope.h"

namespace lightreasoner::model {

class DecoderLayer;

// layer.forward(h, rope, mask, no cache, index, backend), holding no activations for the backward.
torch::Tensor forward_recomputed(DecoderLayer& layer, const torch::Tensor& h, const RopeTables& rope,
                                 const AttentionMask& mask, int64_t index, AttentionBackend backend);

}  // namespace lightreasoner::model
