// The decoder-only causal LM (Qwen2 / Llama / Mistral / Qwen3 by config flags), with modules
// registered under the Hugging Face names so named_parameters() are the checkpoint's tensor
// names (model.layers.0.self_attn.q_proj.weight ...). forward() returns final hidden states;
// the lm_head projection is a separate call so callers apply it only where they need logits.
// Weights are created uninitialised: see loader.h (checkpoints) and init.h (random).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "lightreasoner/model/attention.h"
#include "lightreasoner/model/kv_cache.h"
#include "lightreasoner/model/kv_slots.h"
#include "lightreasoner/model/layers.h"
#include "lightreasoner/model/model_config.h"

namespace lightreasoner::model {

struct RopeTables;

// Sequences laid end to end in the rows of a [B, T] batch (right-padded): what
// CausalLM::forward_packed needs to keep them apart. Made by packed_rows.
struct PackedRows {
  torch::Tensor position_ids;  // [B, T] int64: restarting at 0 with each sequence (padding: 0)
  torch::Tensor segment_ids;   // [B, T] int64: the sequence's index in its row (padding: one past the last)
  torch::Tensor to_sequences;  // [n*L] int64: the flat [B*T] token at each slot of one row per sequence
  torch::Tensor to_rows;       // [B*T] int64: each token's flat [n*L] slot (row padding: slot 0)
  int64_t sequences = 0;       // n
  int64_t longest = 0;         // L, the longest sequence
};
// lengths[b]: the lengths of the sequences in row b, in order; `width` >= every row's total. Built
// on the host (pinned for a GPU) and copied to `device` without waiting.
PackedRows packed_rows(const std::vector<std::vector<int64_t>>& lengths, int64_t width, torch::Device device);

class SelfAttention : public torch::nn::Module {
 public:
  SelfAttention(const ModelConfig& config, const torch::TensorOptions& options);
  // x [B, T, d]; cache null for a full-sequence forward.
  torch::Tensor forward(const torch::Tensor& x, const RopeTables& rope, const AttentionMask& mask, KVStore* cache,
                        int64_t layer, AttentionBackend backend);

  FusedLinear qkv;  // q_proj, k_proj, v_proj share one buffer (one GEMM; HF names kept)
  std::shared_ptr<Linear> q_proj, k_proj, v_proj, o_proj;
  std::shared_ptr<RMSNorm> q_norm, k_norm;  // Qwen3 only
  int64_t num_heads, num_kv_heads, head_dim;
  bool fast = true;  // false: RoPE as the reference op sequence (same values)
};

class DecoderLayer : public torch::nn::Module {
 public:
  DecoderLayer(const ModelConfig& config, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& h, const RopeTables& rope, const AttentionMask& mask, KVStore* cache,
                        int64_t layer, AttentionBackend backend);

  std::shared_ptr<RMSNorm> input_layernorm, post_attention_layernorm;
  std::shared_ptr<SelfAttention> self_attn;
  std::shared_ptr<MLP> mlp;
  bool fast = true;  // residual adds in place (same values)
};

// The `model.` submodule: embeddings, layers, final norm.
class DecoderStack : public torch::nn::Module {
 public:
  DecoderStack(const ModelConfig& config, const torch::TensorOptions& options);

  std::shared_ptr<Embedding> embed_tokens;
  std::vector<std::shared_ptr<DecoderLayer>> layers;  // also registered as the ModuleList "layers"
  std::shared_ptr<RMSNorm> norm;
};

class CausalLM : public torch::nn::Module {
 public:
  // options: the weights' dtype and device.
  CausalLM(ModelConfig config, const torch::TensorOptions& options);

  // input_ids [B, T] int64. position_ids [B, T] (undefined: cache length + arange(T), the same
  // for every row). token_valid [B, T] bool (undefined: all real; false marks left padding,
  // which no query may attend to). With a cache, the T tokens continue it. Returns the final
  // (normed) hidden states [B, T, d] in the model dtype.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& position_ids = {},
                        const torch::Tensor& token_valid = {}, KVCache* cache = nullptr);
  // Several sequences laid end to end in each row (training's packed batches, train/batch.h),
  // `rows` their layout: each sequence reads only itself, its positions restarting at 0. The
  // projections and MLPs run on the packed rows; attention runs per sequence (the layout's
  // gather, AttentionMask) or, with the fast paths off, over whole rows under a block-diagonal mask
  // (the reference). No cache. Each sequence's hidden states equal a forward over it alone, up
  // to floating-point summation order.
  torch::Tensor forward_packed(const torch::Tensor& input_ids, const PackedRows& rows);
  // Continuous batching over a SlotCache (kv_slots.h). prefill_slots: ids [n, T] right-padded
  // prompts of `lengths` real tokens written into cache `rows` (positions 0..T-1, causal mask
  // only); returns hidden [n, T, d]. decode_slots: one token per row for rows [0, active)
  // (tokens [active] int64 on the device), each at its own position; returns hidden [active, d].
  torch::Tensor prefill_slots(const torch::Tensor& ids, const std::vector<int64_t>& rows,
                              const std::vector<int64_t>& lengths, SlotCache& cache);
  torch::Tensor decode_slots(const torch::Tensor& tokens, SlotCache& cache);
  SlotCache make_slot_cache(int64_t slots, int64_t capacity) const;

  // Fused q/k/v and gate/up GEMMs (on by default; off runs each projection alone, the reference).
  void set_fused_projections(bool on);
  // Every engine fast path at once (fused GEMMs, RoPE table, causal-only mask, in-place ops); off
  // = the code paths of 2835eea, for tests and for before/after benchmarks in one process.
  void set_fast_paths(bool on);
  // Training without keeping the layers' activations: each decoder layer's are recomputed in the
  // backward pass (model/recompute.h). Same values and gradients; applies to forwards without a
  // cache while autograd records.
  void set_activation_checkpointing(bool on) { recompute_layers_ = on; }

  // hidden [..., d] → logits [..., V] in the model dtype (tied: embed_tokens).
  torch::Tensor logits(const torch::Tensor& hidden);
  torch::Tensor lm_head_weight() const;

  const ModelConfig& config() const { return config_; }
  torch::ScalarType dtype() const { return options_.dtype().toScalarType(); }
  torch::Device device() const { return options_.device(); }
  const torch::TensorOptions& options() const { return options_; }
  AttentionBackend attention_backend() const { return backend_; }
  void set_attention_backend(AttentionBackend backend);
  // An empty cache sized for this model.
  KVCache make_cache(int64_t batch, int64_t capacity) const;

  std::shared_ptr<DecoderStack> model;
  std::shared_ptr<Linear> lm_head;  // null when tie_word_embeddings

 private:
  ModelConfig config_;
  torch::TensorOptions options_;
  AttentionBackend backend_;
  torch::Tensor inv_freq_;  // [rotary_dim / 2] fp32 on the device (not for the dynamic type)
  // cos/sin for positions [0, n) in the model dtype, grown on demand (not for the dynamic type).
  torch::Tensor rope_cos_, rope_sin_;
  bool fast_ = true;
  bool recompute_layers_ = false;
  // Refuses a sequence of `tokens` beyond config.sliding_window: every forward attends fully.
  void check_sliding_window(int64_t tokens) const;
  // Tables for position_ids whose largest value is < bound (known on the host: no sync).
  RopeTables rope_for(const torch::Tensor& position_ids, int64_t bound);
  torch::Tensor run_layers(torch::Tensor h, const RopeTables& rope, const AttentionMask& mask, KVStore* cache);
};

// HF's generation positions for left padding: cumsum(valid) - 1, with padded slots set to 1.
torch::Tensor positions_from_valid(const torch::Tensor& token_valid);  // [B, T] bool → [B, T] int64

}  // namespace lightreasoner::model
