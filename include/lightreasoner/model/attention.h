// Scaled dot-product attention kernels over [B, H, T, D] queries and [B, KV, S, D] keys/values
// (grouped-query: query head h reads kv head h / n_rep), plus the additive mask builder
// (causal AND key-not-padding, dtype-min where disallowed, docs/design.md#model). Three paths:
// the reference (HF eager: repeat_kv copy, fp32 softmax), the grouped one (same math without
// copying K/V, the portable default) and the fused SDPA of LibTorch >= 2.0. No projections here.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lightreasoner::model {

enum class AttentionBackend { kReference, kGrouped, kSdpa };

// What each query of a layer may read. `additive` [B or 1, 1, T, S]: 0 where allowed, dtype-min
// elsewhere; undefined = causal over T == S keys (the SDPA path only). Rows that hold several
// sequences end to end (CausalLM::forward_packed) also carry their layout: the layer then gathers
// q/k/v into one right-padded row per sequence ([n, L]), attends there under `additive` (causal
// over L), and puts the outputs back, so no compute goes to other sequences' keys.
struct AttentionMask {
  torch::Tensor additive;
  torch::Tensor to_sequences;  // [n*L] int64: the flat [B*T] token at each slot of the [n, L] layout
  torch::Tensor to_rows;       // [B*T] int64: the flat [n*L] slot of each token
  int64_t sequences = 0, length = 0;  // n, L
  bool per_sequence() const { return to_sequences.defined(); }
  static AttentionMask from_additive(torch::Tensor mask) {  // whole rows: no per-sequence layout
    AttentionMask out;
    out.additive = std::move(mask);
    return out;
  }
};
const char* attention_backend_name(AttentionBackend backend);
AttentionBackend parse_attention_backend(const std::string& name);  // "reference" | "grouped" | "sdpa"
// True when this build's LibTorch has the fused scaled_dot_product_attention (>= 2.0).
bool sdpa_available();
// The fastest path this build supports (sdpa when available, else grouped).
AttentionBackend default_attention_backend();

// key_valid [B, S] bool (true = a real token); query t of the T new tokens sits at absolute
// slot past + t. Returns [B, 1, T, S] in `dtype`: 0 where allowed, finfo(dtype).min elsewhere.
torch::Tensor attention_mask(const torch::Tensor& key_valid, int64_t past, int64_t T, torch::ScalarType dtype);

// [1, 1, T, T]: query t may read keys 0..t (no padding, or right padding only).
torch::Tensor causal_mask(int64_t T, torch::ScalarType dtype, torch::Device device);
// Sequences packed end to end: segment_ids [B, T] int64 → [B, 1, T, T], query t may read key
// s <= t of the same segment only (block-diagonal causal).
torch::Tensor segment_causal_mask(const torch::Tensor& segment_ids, torch::ScalarType dtype);
// Decode with per-row lengths: positions [B] int64 (the new token's slot) → [B, 1, 1, S], keys
// 0..position allowed.
torch::Tensor decode_mask(const torch::Tensor& positions, int64_t S, torch::ScalarType dtype);

// A shared bf16 CPU mask [1, 1, T, S] whose every row is 0 for its first keys (at least one) and the
// most negative bf16 after them (a causal mask, with or without earlier keys) → each query row's number
// of live keys [T]; empty for any other mask. attention_grouped's causal path in bf16 inference.
std::vector<int64_t> mask_live_lengths(const torch::Tensor& mask);
// q [B, H, T, D], k/v [B, KV, S, D], mask [B or 1, 1, T, S] additive → [B, H, T, D]. Only the SDPA
// path takes an undefined mask (below).
torch::Tensor attention_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& mask);
torch::Tensor attention_grouped(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& mask);
// Throws Error when !sdpa_available(). An undefined mask means causal over T == S keys (a forward
// without cache or padding, training's): SDPA's is_causal, which lets the fused kernels (flash
// attention on a GPU) run without a materialised mask; K/V are repeated per query head for it.
torch::Tensor attention_sdpa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& mask);
torch::Tensor attention(AttentionBackend backend, const torch::Tensor& q, const torch::Tensor& k,
                        const torch::Tensor& v, const torch::Tensor& mask);

}  // namespace lightreasoner::model
