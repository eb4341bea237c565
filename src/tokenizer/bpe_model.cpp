// BPE merge loop (see bpe_model.h). The queue orders candidate merges by (rank, position), so
// ties go to the leftmost pair, exactly like tokenizers' Word::merge_all; stale entries (a side
// already merged away) are detected when popped and skipped.
#include "bpe_model.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <functional>
#include <queue>

#include "byte_fallback.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/tokenizer/utf8.h"

namespace lightreasoner::tokenizer {

BpeModel::BpeModel(const std::vector<std::pair<std::string, TokenId>>& vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges, const BpeOptions& options,
                   const std::string& what)
    : options_(options) {
  vocab_.reserve(vocab.size());
  for (const auto& [token, id] : vocab) vocab_.emplace(token, id);
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto ia = vocab_.find(a), ib = vocab_.find(b), im = vocab_.find(a + b);
    LR_CHECK(ia != vocab_.end() && ib != vocab_.end(),
             what << ": merge " << rank << " (\"" << a << "\" \"" << b << "\") uses a token missing from the vocab");
    LR_CHECK(im != vocab_.end(), what << ": merge " << rank << " (\"" << a << "\" \"" << b
                                      << "\") makes a token missing from the vocab");
    // A repeated pair keeps its first (highest-priority) rank, as tokenizers does.
    merges_.emplace(pair_key(ia->second, ib->second), Merge{static_cast<int32_t>(rank), im->second});
  }
  merge_count_ = merges.size();
  all_byte_ids_ = true;
  for (int b = 0; b < 256; ++b) {
    std::string key;
    if (options_.byte_level) {
      key = std::string(1, static_cast<char>(b));
    } else {
      key = byte_fallback_token(static_cast<uint8_t>(b));
    }
    auto it = vocab_.find(key);
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
    all_byte_ids_ &= it != vocab_.end();
  }
  LR_CHECK(!options_.byte_level || all_byte_ids_,
           what << ": byte-level vocab must hold all 256 byte characters; some are missing");
}

std::optional<TokenId> BpeModel::find(std::string_view model_string) const {
  auto it = vocab_.find(std::string(model_string));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const BpeModel::Merge* BpeModel::find_merge(TokenId a, TokenId b) const {
  auto it = merges_.find(pair_key(a, b));
  return it == merges_.end() ? nullptr : &it->second;
}

std::vector<TokenId> BpeModel::initial_symbols(std::string_view word) const {
  std::vector<TokenId> symbols;
  symbols.reserve(word.size());
  if (options_.byte_level) {
    for (unsigned char b : word) symbols.push_back(byte_ids_[b]);
    return symbols;
  }
  bool previous_unk = false;
  size_t i = 0;
  while (i < word.size()) {
    size_t len = utf8::sequence_length(static_cast<unsigned char>(word[i]));
    if (i + len > word.size()) len = word.size() - i;
    const std::string_view ch = word.substr(i, len);
    i += len;
    if (auto it = vocab_.find(std::string(ch)); it != vocab_.end()) {
      symbols.push_back(it->second);
      previous_unk = false;
      continue;
    }
    if (options_.byte_fallback) {
      bool have_all = true;
      for (unsigned char b : ch) have_all &= byte_ids_[b] >= 0;
      if (have_all) {
        for (unsigned char b : ch) symbols.push_back(byte_ids_[b]);
        previous_unk = false;
        continue;
      }
    }
    if (options_.unk_id) {
      if (!(options_.fuse_unk && previous_unk)) symbols.push_back(*options_.unk_id);
      previous_unk = true;
    } else {
      // tokenizers drops such a character silently; we do the same so ids match, but say so once.
      static std::atomic<bool> warned{false};
      if (!warned.exchange(true)) spdlog::warn("tokenizer: a character has no token, no byte fallback and no unk; dropped");
    }
  }
  return symbols;
}

void BpeModel::merge_with_queue(std::vector<TokenId>& symbols) const {
  const int n = static_cast<int>(symbols.size());
  if (n < 2) return;
  std::vector<int> prev(n), next(n);
  for (int i = 0; i < n; ++i) prev[i] = i - 1, next[i] = i + 1 < n ? i + 1 : -1;
  // Entries are (rank << 32 | left position): smallest rank first, then leftmost.
  std::priority_queue<uint64_t, std::vector<uint64_t>, std::greater<uint64_t>> queue;
  auto push = [&](int left) {
    if (left < 0 || next[left] < 0) return;
    if (const Merge* m = find_merge(symbols[left], symbols[next[left]])) {
      queue.push((static_cast<uint64_t>(m->rank) << 32) | static_cast<uint32_t>(left));
    }
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  std::vector<char> alive(n, 1);
  while (!queue.empty()) {
    const uint64_t top = queue.top();
    queue.pop();
    const int left = static_cast<int>(top & 0xFFFFFFFFu);
    const int32_t rank = static_cast<int32_t>(top >> 32);
    if (!alive[left] || next[left] < 0) continue;
    const int right = next[left];
    const Merge* m = find_merge(symbols[left], symbols[right]);
    if (m == nullptr || m->rank != rank) continue;  // stale: a side changed since it was queued
    symbols[left] = m->merged;
    alive[right] = 0;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    push(prev[left]);
    push(left);
  }
  size_t out = 0;
  for (int i = 0; i >= 0 && i < n; i = next[i]) symbols[out++] = symbols[i];
  symbols.resize(out);
}

void BpeModel::encode_word(std::string_view word, std::vector<TokenId>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    if (auto it = vocab_.find(std::string(word)); it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = cache_.find(std::string(word)); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<TokenId> symbols = initial_symbols(word);
  merge_with_queue(symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() < kMaxCacheEntries) cache_.emplace(std::string(word), std::move(symbols));
  }
}

void BpeModel::encode_word_reference(std::string_view word, std::vector<TokenId>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    if (auto id = find(word)) {
      out.push_back(*id);
      return;
    }
  }
  std::vector<TokenId> symbols = initial_symbols(word);
  while (true) {
    int best = -1;
    int32_t best_rank = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const Merge* m = find_merge(symbols[i], symbols[i + 1]);
      if (m != nullptr && (best < 0 || m->rank < best_rank)) best = static_cast<int>(i), best_rank = m->rank;
    }
    if (best < 0) break;
    symbols[best] = find_merge(symbols[best], symbols[best + 1])->merged;
    symbols.erase(symbols.begin() + best + 1);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
}

}  // namespace lightreasoner::tokenizer
