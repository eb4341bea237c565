// SlotCache: written in place (index_copy_ for a prefill group, index_put_ at per-row positions
// for a decode step), read through views of rows [0, active) and slots [0, span), so a decode
// step allocates nothing for the cache and never copies K/V. The per-row lengths live on the
// device (positions, masks and writes are computed there); the host mirror only sizes the span.
#include "lightreasoner/model/kv_slots.h"

#include <algorithm>

#include "lightreasoner/core/error.h"

namespace lightreasoner::model {

SlotCache::SlotCache(const ModelConfig& config, int64_t slots, int64_t capacity, const torch::TensorOptions& options)
    : host_lengths_(static_cast<size_t>(slots), 0), capacity_(capacity) {
  LR_CHECK(slots > 0 && capacity > 0, "slot cache needs a positive slot count and capacity (got " << slots << ", "
                                                                                                  << capacity << ")");
  for (int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    keys_.push_back(torch::zeros({slots, config.num_key_value_heads, capacity, config.head_dim()}, options));
    values_.push_back(torch::zeros({slots, config.num_key_value_heads, capacity, config.head_dim()}, options));
  }
  auto index_options = torch::TensorOptions().dtype(torch::kInt64).device(options.device());
  lengths_ = torch::zeros({slots}, index_options);
  row_index_ = torch::arange(slots, index_options);
}

int64_t SlotCache::nbytes() const {
  int64_t total = 0;
  for (const auto& t : keys_) total += t.numel() * t.element_size();
  for (const auto& t : values_) total += t.numel() * t.element_size();
  return total;
}

void SlotCache::begin_prefill(const std::vector<int64_t>& rows, const std::vector<int64_t>& lengths, int64_t T) {
  LR_CHECK(mode_ == Mode::kIdle, "slot cache: a forward is already in progress");
  LR_CHECK(!rows.empty() && rows.size() == lengths.size(),
           "slot cache prefill: " << rows.size() << " rows but " << lengths.size() << " lengths");
  LR_CHECK(T <= capacity_, "slot cache capacity " << capacity_ << " is smaller than a prompt of " << T << " tokens");
  for (size_t i = 0; i < rows.size(); ++i) {
    LR_CHECK(rows[i] >= 0 && rows[i] < slots(), "slot cache row " << rows[i] << " outside [0, " << slots() << ")");
    LR_CHECK(lengths[i] >= 1 && lengths[i] <= T, "slot cache prefill length " << lengths[i] << " outside [1, " << T << "]");
  }
  pending_rows_ = rows;
  pending_lengths_ = lengths;
  pending_rows_device_ = torch::tensor(rows, torch::kInt64).to(lengths_.device());
  mode_ = Mode::kPrefill;
}

torch::Tensor SlotCache::begin_decode(int64_t active) {
  LR_CHECK(mode_ == Mode::kIdle, "slot cache: a forward is already in progress");
  LR_CHECK(active >= 1 && active <= slots(), "slot cache decode of " << active << " rows (slots: " << slots() << ")");
  active_ = active;
  mode_ = Mode::kDecode;
  if (fixed_span_) {
    decode_span_ = capacity_;
    return lengths_.narrow(0, 0, active).clamp_max(capacity_ - 1);
  }
  const int64_t longest = *std::max_element(host_lengths_.begin(), host_lengths_.begin() + active);
  LR_CHECK(longest < capacity_, "slot cache capacity " << capacity_ << " exceeded: a row holds " << longest << " tokens");
  decode_span_ = longest + 1;
  return lengths_.narrow(0, 0, active);
}

std::pair<torch::Tensor, torch::Tensor> SlotCache::update(int64_t layer, const torch::Tensor& k, const torch::Tensor& v) {
  auto& keys = keys_.at(static_cast<size_t>(layer));
  auto& values = values_.at(static_cast<size_t>(layer));
  if (mode_ == Mode::kPrefill) {  // k, v [n, KV, T, D] → slots [0, T) of the rows; attention reads the new tokens only
    const int64_t T = k.size(2);
    keys.narrow(2, 0, T).index_copy_(0, pending_rows_device_, k);
    values.narrow(2, 0, T).index_copy_(0, pending_rows_device_, v);
    return {k, v};
  }
  LR_CHECK(mode_ == Mode::kDecode && k.size(0) == active_ && k.size(2) == 1,
           "slot cache: decode write of " << k.sizes() << " outside a decode step of " << active_ << " rows");
  using torch::indexing::Slice;
  auto rows = row_index_.narrow(0, 0, active_);
  auto positions = lengths_.narrow(0, 0, active_);
  if (fixed_span_) positions = positions.clamp_max(capacity_ - 1);
  keys.index_put_({rows, Slice(), positions}, k.select(2, 0));    // [active, KV, D] at (row, :, length[row])
  values.index_put_({rows, Slice(), positions}, v.select(2, 0));
  return {keys.narrow(0, 0, active_).narrow(2, 0, decode_span_), values.narrow(0, 0, active_).narrow(2, 0, decode_span_)};
}

void SlotCache::finish() {
  if (mode_ == Mode::kPrefill) {
    auto lengths = torch::tensor(pending_lengths_, torch::kInt64).to(lengths_.device());
    lengths_.index_copy_(0, pending_rows_device_, lengths);
    for (size_t i = 0; i < pending_rows_.size(); ++i) host_lengths_[static_cast<size_t>(pending_rows_[i])] = pending_lengths_[i];
  } else if (mode_ == Mode::kDecode) {
    lengths_.narrow(0, 0, active_).add_(1);
    advance_host(active_);
  }
  mode_ = Mode::kIdle;
}

void SlotCache::restore_host_lengths(const std::vector<int64_t>& lengths) {
  LR_CHECK(lengths.size() == host_lengths_.size(), "slot cache: " << lengths.size() << " saved lengths for "
                                                                   << host_lengths_.size() << " slots");
  host_lengths_ = lengths;
}

void SlotCache::advance_host(int64_t active) {
  for (int64_t i = 0; i < active; ++i) ++host_lengths_[static_cast<size_t>(i)];
}

void SlotCache::move_row(int64_t from, int64_t to) {
  LR_CHECK(mode_ == Mode::kIdle, "slot cache: move_row during a forward");
  if (from == to) return;
  const int64_t n = host_lengths_[static_cast<size_t>(from)];
  for (size_t layer = 0; layer < keys_.size(); ++layer) {
    if (n > 0) {
      keys_[layer][to].narrow(1, 0, n).copy_(keys_[layer][from].narrow(1, 0, n));
      values_[layer][to].narrow(1, 0, n).copy_(values_[layer][from].narrow(1, 0, n));
    }
  }
  lengths_[to].copy_(lengths_[from]);
  host_lengths_[static_cast<size_t>(to)] = n;
}

}  // namespace lightreasoner::model
