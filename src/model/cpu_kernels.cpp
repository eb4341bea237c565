// Fused bf16 RMSNorm, SwiGLU activation and softmax on the CPU (cpu_kernels.h). The row loops are plain C++
// built for AVX-512, AVX2 and a baseline (target_clones: the loader picks by CPU), rows spread over
// LibTorch's threads; exp is a Cody-Waite reduction and a degree-7 polynomial, written so the
// compiler vectorises it.
#include "lightreasoner/model/cpu_kernels.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "lightreasoner/core/error.h"

// By instruction-set level, not CPU model: a named-CPU clone ("arch=skylake-avx512") is picked by
// __builtin_cpu_is, which a newer CPU (this VM's AMX Xeon) fails for every older model named, falling
// back to the scalar default. The level x86-64-v4 (AVX-512 F/BW/DQ/VL) is picked by feature, and it is
// what gets 512-bit loops: a plain "avx512f" clone lacks AVX-512BW, so GCC vectorised the 16-bit
// loads and stores at 256 bits (measured alone: SwiGLU 1.85x and RMSNorm 1.45x faster at v4).
// This file is compiled with -fno-trapping-math (CMakeLists.txt): with trapping math GCC keeps every
// float compare (the clamps) as a branch, and a loop with branches does not vectorise. Nothing here
// reads the floating-point exception flags.
#define LR_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
// Inlined into each clone, so that its loop vectorises for that clone's instruction set.
#define LR_INLINE inline __attribute__((always_inline))

namespace lightreasoner::model {
namespace {

LR_INLINE float from_bf16(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Round to nearest even, NaN to the canonical quiet NaN: c10::BFloat16's conversion. Integer
// compares and selects only, so that the loops around it vectorise.
LR_INLINE uint16_t to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  return static_cast<uint16_t>((u & 0x7FFFFFFFu) > 0x7F800000u ? 0x7FC0u : rounded);
}

// e^x in fp32 without branches. Below -87.3 it is 0 (expf's results there are subnormal: a softmax's
// masked positions are 0, as in the reference); above 88.7 it overflows to inf as expf does.
// n = round(x / ln2) by the 1.5·2^23 trick, r = x - n·ln2 in two parts, e^r by its Taylor polynomial
// to r^7 (|r| ≤ ln2/2: truncation < 5e-9), then times 2^(n-1) (built in the exponent bits, a normal
// number for every n here) and times 2, which overflows to inf exactly where e^x does.
LR_INLINE float exp_approx(float x_in) {
  const float x = std::min(std::max(x_in, -86.0f), 89.0f);
  const float shifter = 12582912.0f;  // 1.5 * 2^23
  const float n = (x * 1.44269504088896341f + shifter) - shifter;
  const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187045e-06f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 126) << 23;  // 2^(n-1)
  float half_scale;
  std::memcpy(&half_scale, &bits, sizeof half_scale);
  return x_in < -87.3f ? 0.0f : p * half_scale * 2.0f;
}

LR_CLONES void rms_norm_row(const uint16_t* __restrict x, const uint16_t* __restrict w, uint16_t* __restrict out,
                            int64_t d, float eps) {
  constexpr int kLanes = 16;
  float partial[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= d; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float v = from_bf16(x[i + l]);
      partial[l] += v * v;
    }
  float sum = 0.0f;
  for (; i < d; ++i) sum += from_bf16(x[i]) * from_bf16(x[i]);
  for (int l = 0; l < kLanes; ++l) sum += partial[l];
  const float inv = 1.0f / std::sqrt(sum / static_cast<float>(d) + eps);
  for (int64_t j = 0; j < d; ++j) {
    const float normed = from_bf16(to_bf16(from_bf16(x[j]) * inv));  // cast back before the weight
    out[j] = to_bf16(normed * from_bf16(w[j]));
  }
}

LR_CLONES void silu_mul_row(const uint16_t* __restrict gate, const uint16_t* __restrict up, uint16_t* __restrict out,
                            int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    const float g = from_bf16(gate[j]);
    const float silu = from_bf16(to_bf16(g / (1.0f + exp_approx(-g))));  // silu's own bf16 result
    out[j] = to_bf16(silu * from_bf16(up[j]));
  }
}

// HF's softmax(scores, dtype=float32).to(bf16), as ATen computes it: e^(x - max) / sum as e^(x - max)
// times the reciprocal of the sum, in fp32, then rounded.
LR_CLONES void softmax_row(const uint16_t* __restrict x, uint16_t* __restrict out, float* __restrict scratch, int64_t n) {
  constexpr int kLanes = 16;
  // The row's largest value in 16 lanes: one running max would be a chain of dependent compares,
  // which took most of this kernel's time at rows of 128.
  float lane_max[kLanes];
  for (int l = 0; l < kLanes; ++l) lane_max[l] = -HUGE_VALF;
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lane_max[l] = std::max(lane_max[l], from_bf16(x[j + l]));
  float largest = -HUGE_VALF;
  for (; j < n; ++j) largest = std::max(largest, from_bf16(x[j]));
  for (int l = 0; l < kLanes; ++l) largest = std::max(largest, lane_max[l]);
  float partial[kLanes] = {};
  j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float e = exp_approx(from_bf16(x[j + l]) - largest);
      scratch[j + l] = e;
      partial[l] += e;
    }
  float sum = 0.0f;
  for (; j < n; ++j) {
    scratch[j] = exp_approx(from_bf16(x[j]) - largest);
    sum += scratch[j];
  }
  for (int l = 0; l < kLanes; ++l) sum += partial[l];
  const float inv = 1.0f / sum;
  for (int64_t k = 0; k < n; ++k) out[k] = to_bf16(scratch[k] * inv);
}

const uint16_t* bits(const torch::Tensor& t) { return reinterpret_cast<const uint16_t*>(t.data_ptr<at::BFloat16>()); }
uint16_t* bits_out(torch::Tensor& t) { return reinterpret_cast<uint16_t*>(t.data_ptr<at::BFloat16>()); }

// Rows of a [..., n] tensor whose last dimension is contiguous and whose leading dimensions fold into
// one row stride (a contiguous tensor, or a slice of the last dimension of one).
int64_t row_stride(const torch::Tensor& t) {
  if (t.dim() == 1) return t.size(0);
  const int64_t stride = t.stride(-2);
  for (int64_t dim = t.dim() - 2; dim > 0; --dim)
    LR_CHECK(t.stride(dim - 1) == t.stride(dim) * t.size(dim), "bf16 kernel: rows of " << t.sizes() << " with strides "
                                                                                        << t.strides() << " do not fold");
  return stride;
}

}  // namespace

bool bf16_kernels_apply(const torch::Tensor& x) {
  return x.device().is_cpu() && x.scalar_type() == torch::kBFloat16 && !torch::GradMode::is_enabled() &&
         x.dim() >= 1 && x.stride(-1) == 1;
}

torch::Tensor rms_norm_bf16(const torch::Tensor& x_in, const torch::Tensor& weight_in, double eps) {
  RECORD_FUNCTION("lr::rms_norm_bf16", std::vector<c10::IValue>());  // named in --trace profiles
  const auto x = x_in.contiguous();
  const auto weight = weight_in.contiguous();
  const int64_t d = x.size(-1), rows = x.numel() / d;
  LR_CHECK(weight.numel() == d && weight.scalar_type() == torch::kBFloat16,
           "rms_norm_bf16: weight " << weight.sizes() << " for rows of " << d);
  auto out = torch::empty_like(x);
  const uint16_t *src = bits(x), *w = bits(weight);
  uint16_t* dst = bits_out(out);
  const float eps_f = static_cast<float>(eps);
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) rms_norm_row(src + r * d, w, dst + r * d, d, eps_f);
  });
  return out;
}

torch::Tensor silu_mul_bf16(const torch::Tensor& gate, const torch::Tensor& up) {
  RECORD_FUNCTION("lr::silu_mul_bf16", std::vector<c10::IValue>());  // named in --trace profiles
  LR_CHECK(gate.sizes() == up.sizes() && gate.stride(-1) == 1 && up.stride(-1) == 1,
           "silu_mul_bf16: gate " << gate.sizes() << " and up " << up.sizes() << " with unit last strides");
  const int64_t n = gate.size(-1), rows = gate.numel() / std::max<int64_t>(n, 1);
  const int64_t gate_stride = row_stride(gate), up_stride = row_stride(up);
  auto out = torch::empty(gate.sizes(), gate.options().memory_format(torch::MemoryFormat::Contiguous));
  const uint16_t *g = bits(gate), *u = bits(up);
  uint16_t* dst = bits_out(out);
  at::parallel_for(0, rows, 4, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) silu_mul_row(g + r * gate_stride, u + r * up_stride, dst + r * n, n);
  });
  return out;
}

torch::Tensor softmax_bf16(const torch::Tensor& scores_in) {
  RECORD_FUNCTION("lr::softmax_bf16", std::vector<c10::IValue>());  // named in --trace profiles
  const auto scores = scores_in.contiguous();
  const int64_t n = scores.size(-1), rows = scores.numel() / std::max<int64_t>(n, 1);
  auto out = torch::empty_like(scores);
  const uint16_t* src = bits(scores);
  uint16_t* dst = bits_out(out);
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(n));
    for (int64_t r = begin; r < end; ++r) softmax_row(src + r * n, dst + r * n, scratch.data(), n);
  });
  return out;
}

}  // namespace lightreasoner::model
