// KVCache: preallocated once, written in place with narrow().copy_(), read through views, so a
// decode step allocates nothing for the cache. Compaction (keep_rows) is the one copy.
#include "lightreasoner/model/kv_cache.h"

#include "lightreasoner/core/error.h"

namespace lightreasoner::model {

KVCache::KVCache(const ModelConfig& config, int64_t batch, int64_t capacity, const torch::TensorOptions& options)
    : capacity_(capacity) {
  LR_CHECK(batch > 0 && capacity > 0, "KV cache needs a positive batch and capacity (got " << batch << ", " << capacity << ")");
  for (int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    keys_.push_back(torch::zeros({batch, config.num_key_value_heads, capacity, config.head_dim()}, options));
    values_.push_back(torch::zeros({batch, config.num_key_value_heads, capacity, config.head_dim()}, options));
  }
  key_valid_ = torch::zeros({batch, capacity}, options.dtype(torch::kBool));
}

torch::Tensor KVCache::write_valid(const torch::Tensor& token_valid) {
  const int64_t T = token_valid.size(1);
  LR_CHECK(token_valid.size(0) == batch_size(),
           "KV cache holds " << batch_size() << " rows but the input has " << token_valid.size(0));
  LR_CHECK(length_ + T <= capacity_, "KV cache capacity " << capacity_ << " exceeded: " << length_ << " slots used + "
                                                          << T << " new");
  key_valid_.narrow(1, length_, T).copy_(token_valid);
  return key_valid_.narrow(1, 0, length_ + T);
}

std::pair<torch::Tensor, torch::Tensor> KVCache::write(int64_t layer, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = k.size(2);
  auto& keys = keys_.at(static_cast<size_t>(layer));
  auto& values = values_.at(static_cast<size_t>(layer));
  keys.narrow(2, length_, T).copy_(k);
  values.narrow(2, length_, T).copy_(v);
  return {keys.narrow(2, 0, length_ + T), values.narrow(2, 0, length_ + T)};
}

void KVCache::advance(int64_t T) { length_ += T; }

void KVCache::keep_rows(const torch::Tensor& rows) {
  for (auto& t : keys_) t = t.index_select(0, rows);
  for (auto& t : values_) t = t.index_select(0, rows);
  key_valid_ = key_valid_.index_select(0, rows);
}

int64_t KVCache::nbytes() const {
  int64_t total = 0;
  for (const auto& t : keys_) total += t.numel() * t.element_size();
  for (const auto& t : values_) total += t.numel() * t.element_size();
  return total;
}

}  // namespace lightreasoner::model
