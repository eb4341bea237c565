// Fused CPU kernels for bf16 inference: RMSNorm, SwiGLU's silu(gate) * up, RoPE and attention's
// softmax, one pass each where the reference op sequences (RMSNorm::forward, MLP::forward,
// apply_rope, the fp32 softmax of attention.cpp) make six, three, five and three. On a host whose
// bf16 GEMMs run on AMX those element-wise passes took most of a prefill (bench/RESULTS.md). Same
// cast points as the reference, which follows Hugging Face: fp32 math, results rounded to bf16
// (nearest even, as c10::BFloat16) exactly where the reference rounds. RoPE is bitwise equal to
// apply_rope; the others are not: the sums are added up in another order and exp is our own
// polynomial, so a value next to a bf16 rounding boundary can land one bf16 unit away (tests:
// test_model). Not for training (no autograd), fp32, other devices, or a weight that needs grad:
// bf16_kernels_apply says when the callers use them.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace lightreasoner::model {

// CPU, bf16, gradients off (inference), the last dimension contiguous.
bool bf16_kernels_apply(const torch::Tensor& x);

// x [..., d] bf16, weight [d] bf16 → bf16 [..., d]: to_bf16(x · rsqrt(mean(x²) + eps)) · weight.
torch::Tensor rms_norm_bf16(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// gate, up [..., n] bf16 (views of one [..., 2n] output allowed) → bf16 [..., n]: to_bf16(silu(gate)) · up.
torch::Tensor silu_mul_bf16(const torch::Tensor& gate, const torch::Tensor& up);

// x [B, T, heads, D] bf16 (a strided view of the q/k/v GEMM output allowed), cos/sin [B|1, T, D] bf16
// → [B, heads, T, D] contiguous: apply_rope(x.transpose(1, 2)) bitwise (rope.h), in one pass that also
// writes the layout attention reads (so its reshapes are views).
torch::Tensor rope_bf16(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// scores [..., n] bf16 → bf16 [..., n]: softmax over the last dimension in fp32, rounded once.
// AVX-512 intrinsics where the CPU has them, else the portable loop. live (if not empty): row r has
// live[r % live.size()] live entries (each length in [1, n]) and the rest masked out, as a causal mask's
// rows: the masked entries are not read (they may hold anything) and come out 0. That is the softmax of
// the row with the most negative value in its masked entries, bit for bit, wherever a live score
// exceeds that value by more than 87 (e^(x - max) underflows to 0), as any real score does.
torch::Tensor softmax_bf16(const torch::Tensor& scores, const std::vector<int64_t>& live = {});

// Whether the kernels may take their AVX-512 intrinsic paths (default true); returns the previous
// setting. For tests, which check both paths against the reference on an AVX-512 host.
bool bf16_kernels_allow_avx512(bool allowed);

}  // namespace lightreasoner::model
