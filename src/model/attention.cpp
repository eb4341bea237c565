// Attention kernels. The reference is modeling_llama.eager_attention_forward transcribed:
// repeat_kv, (q kᵀ) · D^-0.5 + mask, softmax in float32, cast back, @ v. The grouped path folds
// the n_rep query heads of each kv head into the query-length axis instead of copying K/V, which
// matters in decode where the cache is long. SDPA is compiled only against LibTorch >= 2.0.
#include "lightreasoner/model/attention.h"

#include <torch/version.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "lightreasoner/core/error.h"
#include "lightreasoner/model/cpu_kernels.h"

namespace lightreasoner::model {

const char* attention_backend_name(AttentionBackend backend) {
  switch (backend) {
    case AttentionBackend::kReference: return "reference";
    case AttentionBackend::kGrouped: return "grouped";
    case AttentionBackend::kSdpa: return "sdpa";
  }
  return "?";
}

AttentionBackend parse_attention_backend(const std::string& name) {
  if (name == "reference") return AttentionBackend::kReference;
  if (name == "grouped") return AttentionBackend::kGrouped;
  if (name == "sdpa") {
    LR_CHECK(sdpa_available(), "attention backend 'sdpa' needs LibTorch >= 2.0 (this build has " << TORCH_VERSION << ")");
    return AttentionBackend::kSdpa;
  }
  LR_FAIL("attention backend must be reference, grouped or sdpa (got '" << name << "')");
}

bool sdpa_available() {
#if TORCH_VERSION_MAJOR >= 2
  return true;
#else
  return false;
#endif
}

AttentionBackend default_attention_backend() {
  return sdpa_available() ? AttentionBackend::kSdpa : AttentionBackend::kGrouped;
}

namespace {
// torch.finfo(dtype).min: HF masks with the most negative finite value, not -inf, so fully
// masked (padding) query rows give a uniform softmax instead of NaN.
double dtype_lowest(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat32: return std::numeric_limits<float>::lowest();
    case torch::kFloat64: return std::numeric_limits<double>::lowest();
    case torch::kBFloat16: return static_cast<float>(std::numeric_limits<c10::BFloat16>::lowest());
    case torch::kFloat16: return static_cast<float>(std::numeric_limits<c10::Half>::lowest());
    default: LR_FAIL("attention mask dtype must be floating point (got " << c10::toString(dtype) << ")");
  }
}
}  // namespace

torch::Tensor attention_mask(const torch::Tensor& key_valid, int64_t past, int64_t T, torch::ScalarType dtype) {
  const int64_t S = key_valid.size(1);
  auto device = key_valid.device();
  auto query_slot = torch::arange(past, past + T, torch::TensorOptions().dtype(torch::kInt64).device(device));
  auto key_slot = torch::arange(S, torch::TensorOptions().dtype(torch::kInt64).device(device));
  auto causal = key_slot.view({1, S}) <= query_slot.view({T, 1});                 // [T, S]
  auto allowed = causal.unsqueeze(0).logical_and(key_valid.view({-1, 1, S}));      // [B, T, S]
  auto options = torch::TensorOptions().dtype(dtype).device(device);
  auto mask = torch::zeros({key_valid.size(0), 1, T, S}, options);
  return mask.masked_fill(allowed.logical_not().unsqueeze(1), dtype_lowest(dtype));
}

torch::Tensor causal_mask(int64_t T, torch::ScalarType dtype, torch::Device device) {
  auto options = torch::TensorOptions().dtype(dtype).device(device);
  return torch::full({T, T}, dtype_lowest(dtype), options).triu(1).view({1, 1, T, T});
}

torch::Tensor segment_causal_mask(const torch::Tensor& segment_ids, torch::ScalarType dtype) {
  LR_CHECK(segment_ids.dim() == 2, "segment_ids must be [batch, time] (got " << segment_ids.dim() << " dimensions)");
  const int64_t B = segment_ids.size(0), T = segment_ids.size(1);
  auto device = segment_ids.device();
  auto slot = torch::arange(T, torch::TensorOptions().dtype(torch::kInt64).device(device));
  auto causal = slot.view({1, T}) <= slot.view({T, 1});                                  // [T, S]
  auto same = segment_ids.view({B, T, 1}) == segment_ids.view({B, 1, T});                // [B, T, S]
  auto allowed = same.logical_and(causal.unsqueeze(0));                                  // [B, T, S]
  auto mask = torch::zeros({B, 1, T, T}, torch::TensorOptions().dtype(dtype).device(device));
  return mask.masked_fill(allowed.logical_not().unsqueeze(1), dtype_lowest(dtype));
}

torch::Tensor decode_mask(const torch::Tensor& positions, int64_t S, torch::ScalarType dtype) {
  auto device = positions.device();
  auto key_slot = torch::arange(S, torch::TensorOptions().dtype(torch::kInt64).device(device));
  auto disallowed = key_slot.view({1, S}) > positions.view({-1, 1});  // [B, S]
  auto mask = torch::zeros({positions.size(0), 1, 1, S}, torch::TensorOptions().dtype(dtype).device(device));
  return mask.masked_fill(disallowed.view({-1, 1, 1, S}), dtype_lowest(dtype));
}

std::vector<int64_t> mask_live_lengths(const torch::Tensor& mask) {
  if (mask.scalar_type() != torch::kBFloat16 || !mask.device().is_cpu() || mask.dim() < 2) return {};
  const int64_t T = mask.size(-2), S = mask.size(-1);
  if (T == 0 || S == 0 || mask.numel() != T * S) return {};  // one mask for every row only
  const auto rows = mask.reshape({T, S}).contiguous();
  const auto* bits = reinterpret_cast<const uint16_t*>(rows.data_ptr<at::BFloat16>());
  const uint16_t lowest = std::numeric_limits<c10::BFloat16>::lowest().x;
  std::vector<int64_t> live(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) {
    const uint16_t* row = bits + t * S;
    int64_t length = 0;
    while (length < S && row[length] == 0) ++length;
    if (length == 0) return {};
    for (int64_t j = length; j < S; ++j)
      if (row[j] != lowest) return {};
    live[static_cast<size_t>(t)] = length;
  }
  return live;
}

namespace {
torch::Tensor softmax_fp32(const torch::Tensor& scores, torch::ScalarType dtype) {
  return torch::softmax(scores, -1, torch::kFloat32).to(dtype);
}

// The grouped path's: in one pass on the CPU in bf16 inference (model/cpu_kernels.h), else the
// reference's.
torch::Tensor softmax_fp32_fused(const torch::Tensor& scores, torch::ScalarType dtype) {
  if (dtype == torch::kBFloat16 && bf16_kernels_apply(scores)) return softmax_bf16(scores);
  return softmax_fp32(scores, dtype);
}
}  // namespace

torch::Tensor attention_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& mask) {
  const int64_t n_rep = q.size(1) / k.size(1);
  auto keys = k.repeat_interleave(n_rep, 1);    // [B, H, S, D]
  auto values = v.repeat_interleave(n_rep, 1);  // [B, H, S, D]
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = torch::matmul(q, keys.transpose(2, 3)) * scale + mask;  // [B, H, T, S]
  return torch::matmul(softmax_fp32(scores, q.scalar_type()), values);
}

torch::Tensor attention_grouped(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& mask) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const int64_t KV = k.size(1), S = k.size(2), n_rep = H / KV;
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  if (mask.size(0) == 1 && B * KV > 1) {
    // One mask for every row (causal prefill and training): scale and mask go into the GEMM
    // (baddbmm), saving two passes over the [B, H, T, S] scores.
    const auto grouped_q = q.reshape({B * KV, n_rep * T, D});
    const auto keys_t = k.reshape({B * KV, S, D}).transpose(1, 2);
    const auto values = v.reshape({B * KV, S, D});
    const auto live = bf16_kernels_apply(q) ? mask_live_lengths(mask) : std::vector<int64_t>{};  // (bf16 CPU inference)
    if (!live.empty()) {
      // bf16 inference under a causal mask: the softmax kernel takes the mask as each row's live
      // length and never reads the masked scores, so the GEMM writes scale · q kᵀ alone (beta 0: no
      // copy of the mask into every group's scores first). Bit for bit the masked path's result: its
      // live scores are the same sums rounded once (+ 0), its masked ones come out 0 either way.
      auto scores = at::empty({B * KV, n_rep * T, S}, q.options());
      scores.baddbmm_(grouped_q, keys_t, /*beta=*/0.0, /*alpha=*/scale);  // [B*KV, n_rep*T, S]
      return at::bmm(softmax_bf16(scores, live), values).view({B, H, T, D});  // row r is query r % T
    }
    auto grouped_mask = mask.view({1, T, S}).repeat({1, n_rep, 1});  // [1, n_rep*T, S]
    auto scores = at::baddbmm(grouped_mask, grouped_q, keys_t, /*beta=*/1.0, /*alpha=*/scale);  // [B*KV, n_rep*T, S]
    auto probs = softmax_fp32_fused(scores, q.scalar_type());
    return at::bmm(probs, values).view({B, H, T, D});
  }
  auto grouped_q = q.reshape({B, KV, n_rep * T, D});                                // [B, KV, n_rep*T, D]
  auto scores = (torch::matmul(grouped_q, k.transpose(2, 3)) * scale).view({B, H, T, S}) + mask;
  auto probs = softmax_fp32_fused(scores, q.scalar_type()).view({B, KV, n_rep * T, S});
  return torch::matmul(probs, v).view({B, H, T, D});
}

torch::Tensor attention_sdpa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& mask) {
#if TORCH_VERSION_MAJOR >= 2
  // Grouped-query attention without copying K/V: the n_rep query heads of each kv head are folded
  // into the query axis (as attention_grouped does), which SDPA accepts on every 2.x version.
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const int64_t KV = k.size(1), n_rep = H / KV;
  if (!mask.defined()) {  // causal, T == S: folding heads into the query axis would break the diagonal
    LR_CHECK(T == k.size(2),
             "a causal attention without a mask needs as many keys as queries (got " << T << " and " << k.size(2) << ")");
    auto keys = n_rep == 1 ? k : k.repeat_interleave(n_rep, 1);    // [B, H, T, D]
    auto values = n_rep == 1 ? v : v.repeat_interleave(n_rep, 1);  // [B, H, T, D]
    return at::scaled_dot_product_attention(q, keys, values, {}, /*dropout_p=*/0.0, /*is_causal=*/true);
  }
  if (n_rep == 1) return at::scaled_dot_product_attention(q, k, v, mask, /*dropout_p=*/0.0, /*is_causal=*/false);
  auto grouped_q = q.reshape({B, KV, n_rep * T, D});                                       // [B, KV, n_rep*T, D]
  auto grouped_mask = T == 1 ? mask : mask.repeat({1, 1, n_rep, 1});                     // [B|1, 1, n_rep*T, S]
  auto out = at::scaled_dot_product_attention(grouped_q, k, v, grouped_mask, /*dropout_p=*/0.0, /*is_causal=*/false);
  return out.reshape({B, H, T, D});
#else
  LR_FAIL("scaled_dot_product_attention needs LibTorch >= 2.0 (this build has " << TORCH_VERSION << ")");
#endif
}

torch::Tensor attention(AttentionBackend backend, const torch::Tensor& q, const torch::Tensor& k,
                        const torch::Tensor& v, const torch::Tensor& mask) {
  LR_CHECK(mask.defined() || backend == AttentionBackend::kSdpa,
           "the " << attention_backend_name(backend) << " attention path needs a mask");
  switch (backend) {
    case AttentionBackend::kReference: return attention_reference(q, k, v, mask);
    case AttentionBackend::kGrouped: return attention_grouped(q, k, v, mask);
    case AttentionBackend::kSdpa: return attention_sdpa(q, k, v, mask);
  }
  LR_FAIL("unknown attention backend");
}

}  // namespace lightreasoner::model
