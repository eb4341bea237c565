// Inverted dropout for training (LoRA's input dropout): each element kept with probability 1 − p
// and scaled by 1 / (1 − p). On the CPU the keep mask is drawn in parallel from a counter-based
// hash of one 64-bit key, where LibTorch's own dropout draws it serially from its Mersenne twister
// (profiled: 6.7% of a LoRA step update on 2 cores, the second core idle). In parallel where this
// file is compiled with OpenMP (CMakeLists.txt: against a LibTorch on the system's libgomp; before
// 2026-12-07 it never was, and the fill ran on one thread); the mask is the same either way. The key
// is drawn from LibTorch's default CPU generator, so everything that seeds or restores that generator
// (the trainer's per-micro-batch seed, activation checkpointing's recompute) reproduces the masks.
// Other devices keep torch::dropout (their RNG is parallel already). No autograd of its own: the
// mask is a constant factor of a plain multiply.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace lightreasoner::model {

// x · mask with mask ∈ {0, 1/(1−p)}; x unchanged when p == 0. CPU fp32: the parallel mask below,
// keyed by one draw from the default CPU generator; otherwise torch::dropout.
torch::Tensor training_dropout(const torch::Tensor& x, double p);

// The mask of `numel` elements for `key`, fp32 on the CPU, [numel]: element i is 1/(1−p) when
// u(key, i) ≥ p, else 0, where u(key, i) ∈ [0, 1) is the top 53 bits of splitmix64(key + i·φ)
// (φ the 64-bit golden-ratio increment). The same values whatever the thread count.
torch::Tensor dropout_mask(int64_t numel, uint64_t key, double p);
// The same mask, one element after another: the reference the parallel fill is tested against.
torch::Tensor dropout_mask_reference(int64_t numel, uint64_t key, double p);

}  // namespace lightreasoner::model
