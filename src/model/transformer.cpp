// The decoder forward in Hugging Face eager order (docs/design.md (Model)): embed → per layer
// [RMSNorm → q/k/v (→ q/k norm) → RoPE → cache → attention → o_proj → residual, RMSNorm → MLP →
// residual] → final RMSNorm. Residual adds stay in the model dtype; RMSNorm statistics and the
// softmax run in fp32, as in HF, so bf16 runs match HF's bf16 rounding points.
#include "lightreasoner/model/transformer.h"

#include <torch/version.h>

#include <algorithm>
#include <string>

#include "lightreasoner/core/device.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/model/cpu_kernels.h"
#include "lightreasoner/model/recompute.h"
#include "lightreasoner/model/rope.h"

namespace lightreasoner::model {

SelfAttention::SelfAttention(const ModelConfig& config, const torch::TensorOptions& options)
    : qkv(config.hidden_size, {config.q_dim(), config.kv_dim(), config.kv_dim()}, config.qkv_bias, options),
      num_heads(config.num_attention_heads),
      num_kv_heads(config.num_key_value_heads),
      head_dim(config.head_dim()) {
  const int64_t d = config.hidden_size;
  q_proj = register_module("q_proj", qkv.parts[0]);
  k_proj = register_module("k_proj", qkv.parts[1]);
  v_proj = register_module("v_proj", qkv.parts[2]);
  o_proj = register_module("o_proj", std::make_shared<Linear>(config.q_dim(), d, config.o_bias, options));
  if (config.qk_norm) {
    q_norm = register_module("q_norm", std::make_shared<RMSNorm>(head_dim, config.rms_norm_eps, options));
    k_norm = register_module("k_norm", std::make_shared<RMSNorm>(head_dim, config.rms_norm_eps, options));
  }
}

torch::Tensor SelfAttention::forward(const torch::Tensor& x, const RopeTables& rope, const AttentionMask& mask,
                                     KVStore* cache, int64_t layer, AttentionBackend backend) {
  const int64_t B = x.size(0), T = x.size(1);
  auto qkv_out = qkv.forward(x);                                 // views of one [B, T, q + 2 kv] GEMM output
  auto q = qkv_out[0].view({B, T, num_heads, head_dim});     // [B, T, H, D]
  auto k = qkv_out[1].view({B, T, num_kv_heads, head_dim});  // [B, T, KV, D]
  auto v = qkv_out[2].view({B, T, num_kv_heads, head_dim});  // [B, T, KV, D]
  if (q_norm) {  // Qwen3: per-head norm before the transpose and RoPE
    q = q_norm->forward(q);
    k = k_norm->forward(k);
  }
  if (fast && bf16_kernels_apply(q) && bf16_kernels_apply(k) && rope.cos.size(-1) == head_dim) {
    q = rope_bf16(q, rope.cos, rope.sin);  // [B, H, T, D] contiguous, the same values (cpu_kernels.h)
    k = rope_bf16(k, rope.cos, rope.sin);  // [B, KV, T, D] contiguous
  } else {
    q = apply_rope(q.transpose(1, 2), rope);  // [B, H, T, D]
    k = apply_rope(k.transpose(1, 2), rope);  // [B, KV, T, D]
  }
  v = v.transpose(1, 2);                    // [B, KV, T, D]
  if (cache != nullptr) std::tie(k, v) = cache->update(layer, k, v);  // [B, KV, S, D]
  if (mask.per_sequence()) {  // packed rows: one right-padded row per sequence, [n, heads, L, D]
    const int64_t n = mask.sequences, L = mask.length;
    auto per_sequence = [&](const torch::Tensor& t) {  // [B, heads, T, D] → [n, heads, L, D]
      const int64_t heads = t.size(1);
      return t.transpose(1, 2).reshape({B * T, heads, head_dim}).index_select(0, mask.to_sequences)
          .view({n, L, heads, head_dim}).transpose(1, 2);
    };
    auto out = attention(backend, per_sequence(q), per_sequence(k), per_sequence(v), mask.additive);  // [n, H, L, D]
    auto back = out.transpose(1, 2).reshape({n * L, num_heads * head_dim}).index_select(0, mask.to_rows);  // [B*T, H*D]
    return o_proj->forward(back.view({B, T, num_heads * head_dim}));
  }
  auto out = attention(backend, q, k, v, mask.additive);  // [B, H, T, D]
  return o_proj->forward(out.transpose(1, 2).reshape({B, T, num_heads * head_dim}));
}

DecoderLayer::DecoderLayer(const ModelConfig& config, const torch::TensorOptions& options) {
  const int64_t d = config.hidden_size;
  self_attn = register_module("self_attn", std::make_shared<SelfAttention>(config, options));
  mlp = register_module("mlp", std::make_shared<MLP>(d, config.intermediate_size, config.mlp_bias, options));
  input_layernorm = register_module("input_layernorm", std::make_shared<RMSNorm>(d, config.rms_norm_eps, options));
  post_attention_layernorm =
      register_module("post_attention_layernorm", std::make_shared<RMSNorm>(d, config.rms_norm_eps, options));
}

torch::Tensor DecoderLayer::forward(const torch::Tensor& h, const RopeTables& rope, const AttentionMask& mask,
                                    KVStore* cache, int64_t layer, AttentionBackend backend) {
  auto attn = self_attn->forward(input_layernorm->forward(h), rope, mask, cache, layer, backend);
  // o_proj's and down_proj's outputs are fresh tensors no backward reads: adding in place is safe.
  auto x = fast ? attn.add_(h) : h + attn;
  auto mlp_out = mlp->forward(post_attention_layernorm->forward(x));
  return fast ? mlp_out.add_(x) : x + mlp_out;
}

DecoderStack::DecoderStack(const ModelConfig& config, const torch::TensorOptions& options) {
  embed_tokens = register_module("embed_tokens", std::make_shared<Embedding>(config.vocab_size, config.hidden_size, options));
  auto list = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    layers.push_back(std::make_shared<DecoderLayer>(config, options));
    list->push_back(layers.back());
  }
  norm = register_module("norm", std::make_shared<RMSNorm>(config.hidden_size, config.rms_norm_eps, options));
}

CausalLM::CausalLM(ModelConfig config, const torch::TensorOptions& options)
    : config_(std::move(config)), options_(options), backend_(default_attention_backend()) {
  config_.validate("model config");
  auto dtype = options_.dtype().toScalarType();
  LR_CHECK(dtype == torch::kFloat32 || dtype == torch::kBFloat16 || dtype == torch::kFloat16,
           "model dtype must be f32, bf16 or f16 (got " << c10::toString(dtype) << ")");
  model = register_module("model", std::make_shared<DecoderStack>(config_, options_));
  if (!config_.tie_word_embeddings) {
    lm_head = register_module("lm_head",
                              std::make_shared<Linear>(config_.hidden_size, config_.vocab_size, /*bias=*/false, options_));
  }
  inv_freq_ = rope_inv_freq(config_).to(options_.device());
}

void CausalLM::set_attention_backend(AttentionBackend backend) {
  LR_CHECK(backend != AttentionBackend::kSdpa || sdpa_available(),
           "attention backend 'sdpa' needs LibTorch >= 2.0 (this build has " << TORCH_VERSION << ")");
  backend_ = backend;
}

KVCache CausalLM::make_cache(int64_t batch, int64_t capacity) const { return KVCache(config_, batch, capacity, options_); }

torch::Tensor CausalLM::lm_head_weight() const { return lm_head ? lm_head->weight : model->embed_tokens->weight; }

torch::Tensor CausalLM::logits(const torch::Tensor& hidden) {
  return lm_head ? lm_head->forward(hidden) : torch::nn::functional::linear(hidden, model->embed_tokens->weight);
}

torch::Tensor CausalLM::forward(const torch::Tensor& input_ids, const torch::Tensor& position_ids,
                                const torch::Tensor& token_valid, KVCache* cache) {
  LR_CHECK(input_ids.dim() == 2, "input_ids must be [batch, time] (got " << input_ids.dim() << " dimensions)");
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  LR_CHECK(T > 0, "input_ids is empty");
  const int64_t past = cache != nullptr ? cache->length() : 0;
  auto device = options_.device();
  check_sliding_window(past + T);
  auto ids = input_ids.to(device, torch::kInt64);
  auto valid = token_valid.defined() ? token_valid.to(device, torch::kBool)
                                     : torch::ones({B, T}, torch::TensorOptions().dtype(torch::kBool).device(device));
  LR_CHECK(valid.sizes() == ids.sizes(), "token_valid " << valid.sizes() << " must match input_ids " << ids.sizes());
  auto positions = position_ids.defined()
                       ? position_ids.to(device, torch::kInt64)
                       : torch::arange(past, past + T, torch::TensorOptions().dtype(torch::kInt64).device(device))
                             .unsqueeze(0)
                             .expand({B, T});
  LR_CHECK(positions.sizes() == ids.sizes(), "position_ids " << positions.sizes() << " must match input_ids " << ids.sizes());

  // Without a cache or padding (training's right-padded rows, scoring) causality alone keeps every
  // real query off the pads: one [1, 1, T, T] mask instead of [B, 1, T, T], and none at all for
  // SDPA, whose is_causal lets the fused kernels run (flash attention on a GPU).
  const bool causal_only = fast_ && cache == nullptr && !token_valid.defined();
  torch::Tensor mask;
  if (causal_only) {
    if (backend_ != AttentionBackend::kSdpa) mask = causal_mask(T, dtype(), device);  // [1, 1, T, T]
  } else {
    auto key_valid = cache != nullptr ? cache->write_valid(valid) : valid;  // [B, S]
    mask = attention_mask(key_valid, past, T, dtype());                     // [B, 1, T, S]
  }
  RopeTables rope;
  if (position_ids.defined() || !fast_) {  // arbitrary positions: computed here, the reference path
    auto inv_freq = inv_freq_;
    if (config_.rope.type == RopeType::kDynamic) {  // depends on the sequence length: one host sync
      inv_freq = rope_inv_freq(config_, positions.max().item<int64_t>() + 1).to(device);
    }
    rope = rope_tables(inv_freq, positions, rope_attention_scaling(config_), dtype());
  } else {
    rope = rope_for(positions, past + T);
  }
  auto h = run_layers(model->embed_tokens->forward(ids), rope, AttentionMask::from_additive(mask), cache);  // [B, T, d]
  if (cache != nullptr) cache->advance(T);
  return h;
}

void CausalLM::check_sliding_window(int64_t tokens) const {
  if (!config_.sliding_window) return;
  LR_CHECK(tokens <= *config_.sliding_window,
           "sequence of " << tokens << " tokens exceeds the sliding window of " << *config_.sliding_window
                          << " (sliding-window attention is not implemented; full attention would differ)");
}

torch::Tensor CausalLM::forward_packed(const torch::Tensor& input_ids, const PackedRows& rows) {
  LR_CHECK(input_ids.dim() == 2 && input_ids.size(1) > 0,
           "input_ids must be a non-empty [batch, time] (got " << input_ids.sizes() << ")");
  LR_CHECK(rows.position_ids.sizes() == input_ids.sizes() && rows.segment_ids.sizes() == input_ids.sizes(),
           "the packed rows' position_ids " << rows.position_ids.sizes() << " and segment_ids " << rows.segment_ids.sizes()
                                            << " must match input_ids " << input_ids.sizes());
  LR_CHECK(rows.sequences > 0 && rows.longest > 0, "the packed rows hold no sequence");
  check_sliding_window(rows.longest);
  // The dynamic type's RoPE base follows the sequence length, which packing changes.
  LR_CHECK(config_.rope.type != RopeType::kDynamic,
           "packed sequences need a fixed RoPE base, and this model's rope_scaling type \"dynamic\" follows the "
           "sequence length (set train.pack_tokens to 0)");
  auto device = options_.device();
  auto ids = input_ids.to(device, torch::kInt64);
  auto positions = rows.position_ids.to(device, torch::kInt64);
  AttentionMask mask;
  if (fast_) {  // attention per sequence: causal over the longest (none at all for SDPA)
    mask.to_sequences = rows.to_sequences.to(device, torch::kInt64);
    mask.to_rows = rows.to_rows.to(device, torch::kInt64);
    mask.sequences = rows.sequences;
    mask.length = rows.longest;
    if (backend_ != AttentionBackend::kSdpa) mask.additive = causal_mask(rows.longest, dtype(), device);
  } else {  // the reference: whole rows under a block-diagonal causal mask
    mask.additive = segment_causal_mask(rows.segment_ids.to(device, torch::kInt64), dtype());  // [B, 1, T, T]
  }
  // Each token's rotation depends on its own position only: the same tables as unpacked.
  auto rope = fast_ ? rope_for(positions, rows.longest)
                    : rope_tables(inv_freq_, positions, rope_attention_scaling(config_), dtype());
  return run_layers(model->embed_tokens->forward(ids), rope, mask, nullptr);  // [B, T, d]
}

PackedRows packed_rows(const std::vector<std::vector<int64_t>>& lengths, int64_t width, torch::Device device) {
  const auto B = static_cast<int64_t>(lengths.size());
  int64_t n = 0, longest = 0;
  for (const auto& row : lengths) {
    int64_t total = 0;
    for (int64_t l : row) {
      LR_CHECK(l > 0, "packed_rows: an empty sequence");
      total += l;
      longest = std::max(longest, l);
      ++n;
    }
    LR_CHECK(total <= width, "packed_rows: a row of " << total << " tokens in a width of " << width);
  }
  LR_CHECK(n > 0, "packed_rows: no sequence");
  const auto host = host_staging(device).dtype(torch::kInt64);
  auto positions = torch::zeros({B, width}, host), segments = torch::empty({B, width}, host);
  auto to_sequences = torch::zeros({n * longest}, host), to_rows = torch::zeros({B * width}, host);
  auto pos = positions.accessor<int64_t, 2>(), seg = segments.accessor<int64_t, 2>();
  auto gather = to_sequences.accessor<int64_t, 1>(), scatter = to_rows.accessor<int64_t, 1>();
  int64_t sequence = 0;
  for (int64_t b = 0; b < B; ++b) {
    int64_t at = 0, index = 0;
    for (int64_t l : lengths[static_cast<size_t>(b)]) {
      for (int64_t j = 0; j < l; ++j) {
        pos[b][at + j] = j;
        seg[b][at + j] = index;
        gather[sequence * longest + j] = b * width + at + j;
        scatter[b * width + at + j] = sequence * longest + j;
      }
      at += l;
      ++index;
      ++sequence;
    }
    for (int64_t j = at; j < width; ++j) seg[b][j] = index;  // the padding: a sequence of its own
  }
  PackedRows rows;
  rows.position_ids = to_device(positions, device);
  rows.segment_ids = to_device(segments, device);
  rows.to_sequences = to_device(to_sequences, device);
  rows.to_rows = to_device(to_rows, device);
  rows.sequences = n;
  rows.longest = longest;
  return rows;
}

torch::Tensor CausalLM::run_layers(torch::Tensor h, const RopeTables& rope, const AttentionMask& mask, KVStore* cache) {
  const bool recompute = recompute_layers_ && cache == nullptr && torch::GradMode::is_enabled();
  // The layers' outputs carry a graph only when an input of theirs asks for one: the frozen
  // embeddings' output does not (PEFT's enable_input_require_grads, for the same reason).
  if (recompute && !h.requires_grad()) h = h.detach().requires_grad_(true);
  for (size_t i = 0; i < model->layers.size(); ++i) {
    h = recompute ? forward_recomputed(*model->layers[i], h, rope, mask, static_cast<int64_t>(i), backend_)
                  : model->layers[i]->forward(h, rope, mask, cache, static_cast<int64_t>(i), backend_);
  }
  return model->norm->forward(h);
}

RopeTables CausalLM::rope_for(const torch::Tensor& position_ids, int64_t bound) {
  if (config_.rope.type == RopeType::kDynamic) {  // the base depends on the length: no table
    auto inv_freq = rope_inv_freq(config_, bound).to(options_.device());
    return rope_tables(inv_freq, position_ids, rope_attention_scaling(config_), dtype());
  }
  if (!rope_cos_.defined() || rope_cos_.size(0) < bound) {
    // Grown by doubling; built outside inference mode so training may use it too.
    c10::InferenceMode not_inference(false);
    torch::NoGradGuard no_grad;
    int64_t n = rope_cos_.defined() ? rope_cos_.size(0) : 256;
    while (n < bound) n *= 2;
    auto all = torch::arange(n, torch::TensorOptions().dtype(torch::kInt64).device(options_.device())).unsqueeze(0);
    auto tables = rope_tables(inv_freq_, all, rope_attention_scaling(config_), dtype());  // [1, n, dim]
    rope_cos_ = tables.cos.squeeze(0);
    rope_sin_ = tables.sin.squeeze(0);
  }
  const auto shape = position_ids.sizes().vec();
  auto flat = position_ids.reshape({-1});
  auto cos = rope_cos_.index_select(0, flat), sin = rope_sin_.index_select(0, flat);  // [B*T, dim]
  std::vector<int64_t> out_shape = shape;
  out_shape.push_back(rope_cos_.size(1));
  return {cos.view(out_shape), sin.view(out_shape)};
}

SlotCache CausalLM::make_slot_cache(int64_t slots, int64_t capacity) const {
  return SlotCache(config_, slots, capacity, options_);
}

void CausalLM::set_fast_paths(bool on) {
  fast_ = on;
  set_fused_projections(on);
  for (auto& item : named_modules("", /*include_self=*/false)) {  // (self may live on the stack)
    if (auto norm = std::dynamic_pointer_cast<RMSNorm>(item.value())) norm->fast = on;
    if (auto mlp = std::dynamic_pointer_cast<MLP>(item.value())) mlp->fast = on;
    if (auto layer = std::dynamic_pointer_cast<DecoderLayer>(item.value())) layer->fast = on;
    if (auto attention = std::dynamic_pointer_cast<SelfAttention>(item.value())) attention->fast = on;
  }
}

void CausalLM::set_fused_projections(bool on) {
  for (auto& layer : model->layers) {
    layer->self_attn->qkv.enabled = on;
    layer->mlp->gate_up.enabled = on;
  }
}

torch::Tensor CausalLM::prefill_slots(const torch::Tensor& input_ids, const std::vector<int64_t>& rows,
                                      const std::vector<int64_t>& lengths, SlotCache& cache) {
  LR_CHECK(input_ids.dim() == 2 && input_ids.size(0) == static_cast<int64_t>(rows.size()),
           "prefill_slots: input_ids " << input_ids.sizes() << " must be [" << rows.size() << ", T]");
  const int64_t n = input_ids.size(0), T = input_ids.size(1);
  check_sliding_window(T);
  auto device = options_.device();
  auto ids = input_ids.to(device, torch::kInt64);
  cache.begin_prefill(rows, lengths, T);
  auto positions = torch::arange(T, torch::TensorOptions().dtype(torch::kInt64).device(device)).unsqueeze(0).expand({n, T});
  auto h = run_layers(model->embed_tokens->forward(ids), rope_for(positions, T), AttentionMask::from_additive(causal_mask(T, dtype(), device)),
                      &cache);
  cache.finish();
  return h;
}

torch::Tensor CausalLM::decode_slots(const torch::Tensor& tokens, SlotCache& cache) {
  const int64_t active = tokens.size(0);
  auto positions = cache.begin_decode(active);  // [active] on the device
  const int64_t span = cache.decode_span();
  check_sliding_window(span);
  auto mask = decode_mask(positions, span, dtype());  // [active, 1, 1, span]
  auto rope = rope_for(positions.view({active, 1}), span);
  auto h = run_layers(model->embed_tokens->forward(tokens.view({active, 1})), rope, AttentionMask::from_additive(mask), &cache);  // [active, 1, d]
  cache.finish();
  return h.select(1, 0);
}

torch::Tensor positions_from_valid(const torch::Tensor& token_valid) {
  auto positions = token_valid.to(torch::kInt64).cumsum(-1) - 1;  // [B, T]
  return positions.masked_fill(token_valid.logical_not(), 1);
}

}  // namespace lightreasoner::model
