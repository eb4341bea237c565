// The BPE model of tokenizer.json: a vocabulary, a merge rank table and the merge loop that turns
// one pre-tokenized word into ids. Fast path: a priority queue over adjacent pairs plus a
// per-word cache; `encode_word_reference` is the slow textbook loop kept to test it against.
// Strings here are in "model space": raw bytes for byte-level vocabularies (the GPT-2 character
// mapping is undone at load), the vocabulary's own UTF-8 otherwise. No normalization/pre-tokenizing.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lightreasoner/tokenizer/tokenizer.h"

namespace lightreasoner::tokenizer {

struct BpeOptions {
  bool byte_level = false;     // a word starts as one symbol per byte
  bool byte_fallback = false;  // a character missing from the vocabulary becomes its <0xNN> tokens
  bool fuse_unk = false;       // consecutive unknowns become one unk
  bool ignore_merges = false;  // a word that is itself in the vocabulary is emitted directly
  std::optional<TokenId> unk_id;
};

class BpeModel {
 public:
  // `what` names the source for errors. Merges are ordered by priority (rank = index).
  BpeModel(const std::vector<std::pair<std::string, TokenId>>& vocab,
           const std::vector<std::pair<std::string, std::string>>& merges, const BpeOptions& options,
           const std::string& what);

  // Appends the ids of one word (fast path: cache + priority queue).
  void encode_word(std::string_view word, std::vector<TokenId>& out) const;
  // Same result by repeatedly merging the lowest-rank leftmost pair, O(n^2): the reference.
  void encode_word_reference(std::string_view word, std::vector<TokenId>& out) const;

  std::optional<TokenId> find(std::string_view model_string) const;
  size_t merge_count() const { return merge_count_; }

 private:
  struct Merge {
    int32_t rank;
    TokenId merged;
  };
  static uint64_t pair_key(TokenId a, TokenId b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  const Merge* find_merge(TokenId a, TokenId b) const;
  // The word's starting symbols: bytes, or characters with byte fallback / unk.
  std::vector<TokenId> initial_symbols(std::string_view word) const;
  void merge_with_queue(std::vector<TokenId>& symbols) const;

  BpeOptions options_;
  std::unordered_map<std::string, TokenId> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  size_t merge_count_ = 0;
  std::array<TokenId, 256> byte_ids_{};  // byte-level: the byte's token; byte fallback: <0xNN>; -1 if absent
  bool all_byte_ids_ = false;

  static constexpr size_t kMaxCachedWordBytes = 256;
  static constexpr size_t kMaxCacheEntries = 200000;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<TokenId>> cache_;
};

}  // namespace lightreasoner::tokenizer
