// A static, preallocated key/value cache: per layer K and V of [B, KV, capacity, D] (post-RoPE
// keys, docs/design.md#model) plus which slots hold real tokens ([B, capacity] bool, false for left
// padding). A forward call writes T new slots at the current length for every layer, then
// advances once. Rows can be dropped (batch compaction when sequences finish). No attention math.
#pragma once

#include <torch/torch.h>

#include <utility>
#include <vector>

#include "lightreasoner/model/model_config.h"

namespace lightreasoner::model {

// What a decoder layer hands its new keys/values to: the store keeps them and returns the keys
// and values attention must read ([B, KV, S, D]). KVCache (one shared length, left padding) and
// SlotCache (per-row lengths, kv_slots.h) implement it.
class KVStore {
 public:
  virtual ~KVStore() = default;
  virtual std::pair<torch::Tensor, torch::Tensor> update(int64_t layer, const torch::Tensor& k, const torch::Tensor& v) = 0;
};

class KVCache : public KVStore {
 public:
  // options: the activation dtype and the device.
  KVCache(const ModelConfig& config, int64_t batch, int64_t capacity, const torch::TensorOptions& options);

  int64_t length() const { return length_; }
  int64_t capacity() const { return capacity_; }
  int64_t batch_size() const { return key_valid_.size(0); }
  int64_t num_layers() const { return static_cast<int64_t>(keys_.size()); }

  // Records the validity of T new tokens (token_valid [B, T] bool) and returns the validity of
  // every slot up to and including them: [B, length + T] (a view).
  torch::Tensor write_valid(const torch::Tensor& token_valid);
  // Writes k, v [B, KV, T, D] for one layer at slots [length, length + T) and returns the views
  // [B, KV, length + T, D] that attention reads.
  std::pair<torch::Tensor, torch::Tensor> write(int64_t layer, const torch::Tensor& k, const torch::Tensor& v);
  std::pair<torch::Tensor, torch::Tensor> update(int64_t layer, const torch::Tensor& k, const torch::Tensor& v) override {
    return write(layer, k, v);
  }
  // Called once per forward after every layer wrote its T slots.
  void advance(int64_t T);
  // Keeps only the given batch rows (int64 indices on the cache's device), in that order.
  void keep_rows(const torch::Tensor& rows);
  // Bytes held by K and V.
  int64_t nbytes() const;

 private:
  std::vector<torch::Tensor> keys_;    // per layer [B, KV, capacity, D]
  std::vector<torch::Tensor> values_;  // per layer [B, KV, capacity, D]
  torch::Tensor key_valid_;            // [B, capacity] bool
  int64_t capacity_ = 0;
  int64_t length_ = 0;
};

}  // namespace lightreasoner::model
