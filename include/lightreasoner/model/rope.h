// Rotary position embedding as Hugging Face computes it (docs/formats.md (Rope scaling)): inv_freq for the
// default, linear, dynamic (NTK), yarn and llama3 rope types (fp32, same op order as
// modeling_rope_utils.py), cos/sin tables for per-row position ids, and the rotate_half
// application. It does not know about attention or caches.
#pragma once

#include <torch/torch.h>

#include "lightreasoner/model/model_config.h"

namespace lightreasoner::model {

// [rotary_dim / 2] float32 on CPU. `seq_len` (largest position + 1) only matters for the
// dynamic type, which rescales the base once the sequence outgrows max_position_embeddings.
torch::Tensor rope_inv_freq(const ModelConfig& config, int64_t seq_len = 0);

// Factor applied to cos and sin (1 except yarn).
double rope_attention_scaling(const ModelConfig& config);

struct RopeTables {
  torch::Tensor cos;  // [B, T, rotary_dim] in the activation dtype
  torch::Tensor sin;  // [B, T, rotary_dim]
};

// position_ids [B, T] int64 on the model's device; inv_freq from rope_inv_freq.
RopeTables rope_tables(const torch::Tensor& inv_freq, const torch::Tensor& position_ids, double attention_scaling,
                       torch::ScalarType dtype);

// x [B, heads, T, D] → x * cos + rotate_half(x) * sin, with rotate_half(x) = cat(-x2, x1).
torch::Tensor apply_rope(const torch::Tensor& x, const RopeTables& tables);

}  // namespace lightreasoner::model
