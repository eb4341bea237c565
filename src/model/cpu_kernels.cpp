// Fused bf16 RMSNorm, SwiGLU activation, RoPE and softmax on the CPU (cpu_kernels.h). The row loops
// are plain C++ built for AVX-512, AVX2 and a baseline (target_clones: the loader picks by CPU), rows
// spread over LibTorch's threads; exp is a Cody-Waite reduction and a degree-7 polynomial, written so
// the compiler vectorises it. The softmax row also has an AVX-512 intrinsic version, picked at run
// time, because GCC vectorised that loop badly.
#include "lightreasoner/model/cpu_kernels.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define LR_HAVE_AVX512_SOFTMAX 1
#endif

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

// RoPE on one head row, as apply_rope's bf16 ops round: x·cos and rotate_half(x)·sin each rounded to
// bf16, then their sum (rotate_half(x) = [-x2, x1]; negation is exact, and rounding is symmetric).
LR_CLONES void rope_row(const uint16_t* __restrict x, const uint16_t* __restrict cos, const uint16_t* __restrict sin,
                        uint16_t* __restrict out, int64_t d) {
  const int64_t half = d / 2;
  for (int64_t j = 0; j < half; ++j) {
    const float straight = from_bf16(to_bf16(from_bf16(x[j]) * from_bf16(cos[j])));
    const float rotated = from_bf16(to_bf16(-from_bf16(x[j + half]) * from_bf16(sin[j])));
    out[j] = to_bf16(straight + rotated);
  }
  for (int64_t j = half; j < d; ++j) {
    const float straight = from_bf16(to_bf16(from_bf16(x[j]) * from_bf16(cos[j])));
    const float rotated = from_bf16(to_bf16(from_bf16(x[j - half]) * from_bf16(sin[j])));
    out[j] = to_bf16(straight + rotated);
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
  for (int l = 0; j + l < n; ++l) {  // the last partial block in lanes too, as the AVX-512 row sums it
    scratch[j + l] = exp_approx(from_bf16(x[j + l]) - largest);
    partial[l] += scratch[j + l];
  }
  float sum = 0.0f;
  for (int l = 0; l < kLanes; ++l) sum += partial[l];
  const float inv = 1.0f / sum;
  for (int64_t k = 0; k < n; ++k) out[k] = to_bf16(scratch[k] * inv);
}

#if defined(LR_HAVE_AVX512_SOFTMAX)
// The softmax row in AVX-512 intrinsics. GCC vectorises softmax_row's three loops only partly (its
// 16-lane max and sum stay ymm halves spilled to the stack, the horizontal sums scalar), and at the
// attention's rows of 128 that row overhead is most of the work: alone on [64, 512, 128] this takes
// ~1/3 of softmax_row's time at x86-64-v4. Same math as softmax_row (the exp polynomial with FMAs,
// which GCC also contracts softmax_row's to at v4); the lane sums are added in another order, so
// results may differ from softmax_row's by one bf16 unit. Chosen at run time (softmax_bf16).
#define LR_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
// GCC 12 reports the _mm*_undefined_* placeholders inside the intrinsics as maybe-uninitialized
// (clang has no such warning).
#pragma GCC diagnostic push
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

LR_AVX512 inline __m512 load_bf16x16(const uint16_t* p, __mmask16 lanes) {
  const __m256i half = _mm256_maskz_loadu_epi16(lanes, p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
}

// to_bf16 on 16 lanes: round to nearest even, NaN to 0x7FC0.
LR_AVX512 inline __m256i to_bf16x16(__m512 f) {
  const __m512i u = _mm512_castps_si512(f);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb), 16);
  const __mmask16 nan =
      _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
  return _mm512_cvtepi32_epi16(_mm512_mask_mov_epi32(rounded, nan, _mm512_set1_epi32(0x7FC0)));
}

// exp_approx on 16 lanes, step for step.
LR_AVX512 inline __m512 exp_approx16(__m512 x_in) {
  const __m512 x = _mm512_min_ps(_mm512_max_ps(x_in, _mm512_set1_ps(-86.0f)), _mm512_set1_ps(89.0f));
  const __m512 shifter = _mm512_set1_ps(12582912.0f);
  const __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), shifter), shifter);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(126)), 23);
  const __m512 e = _mm512_mul_ps(_mm512_mul_ps(p, _mm512_castsi512_ps(bits)), _mm512_set1_ps(2.0f));
  const __mmask16 underflow = _mm512_cmp_ps_mask(x_in, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
  return _mm512_mask_mov_ps(e, underflow, _mm512_setzero_ps());
}

LR_AVX512 void softmax_row_avx512(const uint16_t* __restrict x, uint16_t* __restrict out, float* __restrict scratch,
                                  int64_t n) {
  auto lanes_at = [n](int64_t j) -> __mmask16 {
    const int64_t left = n - j;
    return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
  };
  const __m512 minus_inf = _mm512_set1_ps(-HUGE_VALF);
  __m512 vmax = minus_inf;
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 lanes = lanes_at(j);
    vmax = _mm512_mask_max_ps(vmax, lanes, vmax, load_bf16x16(x + j, lanes));
  }
  const __m512 largest = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
  __m512 vsum = _mm512_setzero_ps();
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 lanes = lanes_at(j);
    const __m512 e = _mm512_maskz_mov_ps(lanes, exp_approx16(_mm512_sub_ps(load_bf16x16(x + j, lanes), largest)));
    _mm512_mask_storeu_ps(scratch + j, lanes, e);
    vsum = _mm512_add_ps(vsum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 lanes = lanes_at(j);
    _mm256_mask_storeu_epi16(out + j, lanes, to_bf16x16(_mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, scratch + j), inv)));
  }
}
#pragma GCC diagnostic pop
#undef LR_AVX512

bool avx512_softmax_supported() {
  static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                                __builtin_cpu_supports("fma");
  return supported;
}
#endif

bool avx512_allowed = true;  // bf16_kernels_allow_avx512 (tests)

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

bool bf16_kernels_allow_avx512(bool allowed) {
  const bool was = avx512_allowed;
  avx512_allowed = allowed;
  return was;
}

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

torch::Tensor rope_bf16(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  RECORD_FUNCTION("lr::rope_bf16", std::vector<c10::IValue>());  // named in --trace profiles
  LR_CHECK(x.dim() == 4 && x.stride(-1) == 1, "rope_bf16: x " << x.sizes() << " must be [B, T, heads, D], D contiguous");
  const int64_t B = x.size(0), T = x.size(1), heads = x.size(2), d = x.size(3);
  LR_CHECK(d % 2 == 0 && cos.dim() == 3 && cos.sizes() == sin.sizes() && (cos.size(0) == B || cos.size(0) == 1) &&
               cos.size(1) == T && cos.size(2) == d && cos.stride(-1) == 1 && sin.stride(-1) == 1 &&
               cos.scalar_type() == torch::kBFloat16 && sin.scalar_type() == torch::kBFloat16,
           "rope_bf16: tables " << cos.sizes() << " / " << sin.sizes() << " for x " << x.sizes());
  auto out = torch::empty({B, heads, T, d}, x.options().memory_format(torch::MemoryFormat::Contiguous));
  const uint16_t *src = bits(x), *cos_bits = bits(cos), *sin_bits = bits(sin);
  uint16_t* dst = bits_out(out);
  const int64_t table_batch_stride = cos.size(0) == 1 ? 0 : cos.stride(0);  // one offset serves both tables:
  LR_CHECK((cos.size(0) == 1 || sin.stride(0) == cos.stride(0)) && sin.stride(1) == cos.stride(1),
           "rope_bf16: cos and sin tables with different strides");
  at::parallel_for(0, B * T, 8, [&](int64_t begin, int64_t end) {
    for (int64_t bt = begin; bt < end; ++bt) {
      const int64_t b = bt / T, t = bt % T;
      const int64_t table = b * table_batch_stride + t * cos.stride(1);
      for (int64_t h = 0; h < heads; ++h)
        rope_row(src + b * x.stride(0) + t * x.stride(1) + h * x.stride(2), cos_bits + table, sin_bits + table,
                 dst + ((b * heads + h) * T + t) * d, d);
    }
  });
  return out;
}

torch::Tensor softmax_bf16(const torch::Tensor& scores_in, const std::vector<int64_t>& live) {
  RECORD_FUNCTION("lr::softmax_bf16", std::vector<c10::IValue>());  // named in --trace profiles
  const auto scores = scores_in.contiguous();
  const int64_t n = scores.size(-1), rows = scores.numel() / std::max<int64_t>(n, 1);
  LR_CHECK(live.empty() || rows % static_cast<int64_t>(live.size()) == 0,
           "softmax_bf16: " << live.size() << " live lengths for " << rows << " rows");
  for (const int64_t length : live)
    LR_CHECK(length >= 1 && length <= n, "softmax_bf16: a live length of " << length << " in rows of " << n);
  auto out = torch::empty_like(scores);
  const uint16_t* src = bits(scores);
  uint16_t* dst = bits_out(out);
  auto row = softmax_row;  // (the clone the loader picked)
#if defined(LR_HAVE_AVX512_SOFTMAX)
  if (avx512_allowed && avx512_softmax_supported()) row = softmax_row_avx512;
#endif
  const int64_t period = static_cast<int64_t>(live.size());
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(n));
    for (int64_t r = begin; r < end; ++r) {
      // A row cut at its live length keeps each entry in its lane and the sums in their order (both
      // rows sum a partial last block in lanes), so it is the whole row's result bit for bit.
      const int64_t length = period == 0 ? n : live[r % period];
      row(src + r * n, dst + r * n, scratch.data(), length);
      std::fill(dst + r * n + length, dst + (r + 1) * n, uint16_t{0});
    }
  });
  return out;
}

}  // namespace lightreasoner::model
