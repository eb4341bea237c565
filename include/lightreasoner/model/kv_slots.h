// A slot cache for continuous batching: per layer K and V of [slots, KV, capacity, D] (post-RoPE
// keys) allocated once, and a per-row length held on the device (with its host mirror, which
// the host always knows without reading the device: it decides every write). A row's tokens sit
// at slots [0, length) with no padding, so a token's position id is its slot index. Two write
// modes: prefill (a right-padded group of new prompts written into chosen rows from slot 0;
// attention runs among the new tokens only) and decode (one token per active row, rows
// [0, active), each written at its own length; attention reads [0, max length + 1)). Rows are
// recycled: a finished row is overwritten by the next prompt's prefill or by move_row. No
// attention math here; the old shared-length KVCache stays as the reference (kv_cache.h).
#pragma once

#include <torch/torch.h>

#include <utility>
#include <vector>

#include "lightreasoner/model/kv_cache.h"
#include "lightreasoner/model/model_config.h"

namespace lightreasoner::model {

class SlotCache : public KVStore {
 public:
  // options: the activation dtype and the device.
  SlotCache(const ModelConfig& config, int64_t slots, int64_t capacity, const torch::TensorOptions& options);

  int64_t slots() const { return static_cast<int64_t>(host_lengths_.size()); }
  int64_t capacity() const { return capacity_; }
  int64_t num_layers() const { return static_cast<int64_t>(keys_.size()); }
  const std::vector<int64_t>& host_lengths() const { return host_lengths_; }
  torch::Tensor lengths() const { return lengths_; }  // [slots] int64 on the device
  int64_t nbytes() const;

  // The next forward writes prompts of `lengths` real tokens (right-padded to T) into `rows`.
  void begin_prefill(const std::vector<int64_t>& rows, const std::vector<int64_t>& lengths, int64_t T);
  // The next forward writes one token into each of rows [0, active) at its own length. Returns
  // the positions [active] of those tokens (= the current lengths, a device view).
  torch::Tensor begin_decode(int64_t active);
  // Keys read by the decode step: max length over the active rows + 1.
  int64_t decode_span() const { return decode_span_; }
  // Called once after the forward: prefill sets the rows' lengths, decode adds 1 to each.
  void finish();
  // Fixed shapes for CUDA graph capture: decode reads all `capacity` slots (masked by the
  // device lengths) instead of the host-known span, and clamps write positions into the cache
  // (padding rows past the active ones may run long; their slots are rewritten on admission).
  void set_fixed_span(bool on) { fixed_span_ = on; }
  bool fixed_span() const { return fixed_span_; }
  // The host half of finish() for a decode step replayed from a graph (the device half, the
  // lengths' += 1, is part of the graph).
  void advance_host(int64_t active);
  // Puts back a saved host mirror (after graph warm-up steps that must leave no trace).
  void restore_host_lengths(const std::vector<int64_t>& lengths);
  // Copies row `from` (keys, values, length) into row `to` (compaction of the active rows).
  void move_row(int64_t from, int64_t to);

  std::pair<torch::Tensor, torch::Tensor> update(int64_t layer, const torch::Tensor& k, const torch::Tensor& v) override;

 private:
  enum class Mode { kIdle, kPrefill, kDecode };
  std::vector<torch::Tensor> keys_, values_;  // per layer [slots, KV, capacity, D]
  torch::Tensor lengths_;                     // [slots] int64, device
  torch::Tensor row_index_;                   // [slots] arange, device (decode's row index)
  std::vector<int64_t> host_lengths_;
  int64_t capacity_ = 0;
  Mode mode_ = Mode::kIdle;
  std::vector<int64_t> pending_rows_, pending_lengths_;
  torch::Tensor pending_rows_device_;
  int64_t active_ = 0, decode_span_ = 0;
  bool fixed_span_ = false;
};

}  // namespace lightreasoner::model
