// The backend-independent part of Tokenizer (see tokenizer.h): UTF-8 validation, splitting out
// added tokens with leftmost-longest matching (tokenizers' AddedVocabulary, Aho-Corasick
// LeftmostLongest), the post-processor's prefix/suffix, whole-sequence and streaming decode.
// Normalization, pre-tokenization and the model itself are the backends' job.
#include "lightreasoner/tokenizer/tokenizer.h"

#include <algorithm>
#include <array>
#include <map>
#include <unordered_set>

#include "lightreasoner/core/error.h"
#include "lightreasoner/tokenizer/utf8.h"
#include "tokenizer_config.h"

namespace lightreasoner::tokenizer {

std::string tokenizer_kind_name(TokenizerKind kind) {
  switch (kind) {
    case TokenizerKind::kByteLevelBpe: return "byte-level BPE (tokenizer.json)";
    case TokenizerKind::kByteFallbackBpe: return "BPE with byte fallback (tokenizer.json)";
    case TokenizerKind::kSentencePiece: return "sentencepiece (tokenizer.model)";
  }
  return "unknown";
}

// A byte trie over the added tokens' contents; at each start position the longest match wins,
// and the earliest start position with any match wins (leftmost-longest).
struct Tokenizer::AddedTokenMatcher {
  struct Node {
    std::map<unsigned char, int> children;
    TokenId id = -1;
  };
  std::vector<Node> nodes{Node{}};
  std::array<bool, 256> first_byte{};
  std::unordered_set<TokenId> special_ids;

  void add(const std::string& content, TokenId id) {
    if (content.empty()) return;
    int node = 0;
    for (unsigned char c : content) {
      auto it = nodes[node].children.find(c);
      if (it == nodes[node].children.end()) {
        nodes.push_back(Node{});
        it = nodes[node].children.emplace(c, static_cast<int>(nodes.size()) - 1).first;
      }
      node = it->second;
    }
    nodes[node].id = id;
    first_byte[static_cast<unsigned char>(content[0])] = true;
  }

  // Longest token starting at `pos`: (length, id) or (0, -1).
  std::pair<size_t, TokenId> longest_at(std::string_view text, size_t pos) const {
    int node = 0;
    std::pair<size_t, TokenId> best{0, -1};
    for (size_t i = pos; i < text.size(); ++i) {
      auto it = nodes[node].children.find(static_cast<unsigned char>(text[i]));
      if (it == nodes[node].children.end()) break;
      node = it->second;
      if (nodes[node].id >= 0) best = {i - pos + 1, nodes[node].id};
    }
    return best;
  }
};

void Tokenizer::index_added_tokens() {
  auto matcher = std::make_shared<AddedTokenMatcher>();
  for (const auto& token : added_tokens_) {
    matcher->add(token.content, token.id);
    if (token.special) matcher->special_ids.insert(token.id);
  }
  matcher_ = std::move(matcher);
}

void Tokenizer::apply_config(const TokenizerConfig& config) {
  auto resolve = [&](const std::optional<std::string>& token, const char* key) -> std::optional<TokenId> {
    if (!token) return std::nullopt;
    auto id = token_to_id(*token);
    LR_CHECK(id.has_value(), config.source << ": " << key << " \"" << *token << "\" is not a token of this tokenizer");
    return id;
  };
  if (auto id = resolve(config.bos_token, "bos_token")) bos_id_ = id;
  if (auto id = resolve(config.eos_token, "eos_token")) eos_id_ = id;
  if (auto id = resolve(config.pad_token, "pad_token")) pad_id_ = id;
  // add_bos_token / add_eos_token rule the post-processor, as transformers' Llama-style fast
  // tokenizers do (update_post_processor); without them the post-processor stays as loaded.
  auto set_edge = [](std::vector<TokenId>& edge, std::optional<TokenId> id, std::optional<bool> add) {
    if (!add || !id) return;
    edge.erase(std::remove(edge.begin(), edge.end(), *id), edge.end());
    if (*add) edge.insert(edge.begin(), *id);
  };
  set_edge(prefix_ids_, bos_id_, config.add_bos_token);
  set_edge(suffix_ids_, eos_id_, config.add_eos_token);
}

bool Tokenizer::is_special(TokenId id) const { return matcher_ && matcher_->special_ids.count(id) > 0; }

std::vector<TokenId> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  const size_t bad = utf8::first_invalid_offset(text);
  LR_CHECK(bad == std::string_view::npos, "tokenizer: input is not valid UTF-8 at byte offset "
                                              << bad << " of " << text.size() << " (byte 0x" << std::hex
                                              << static_cast<int>(static_cast<unsigned char>(text[bad])) << ")");
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + prefix_ids_.size() + suffix_ids_.size() + 1);
  if (options.add_special_tokens) ids.insert(ids.end(), prefix_ids_.begin(), prefix_ids_.end());
  if (!options.parse_special || !matcher_ || matcher_->nodes.size() == 1) {
    if (!text.empty()) encode_segment(text, true, options, ids);
  } else {
    size_t segment_start = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      if (!matcher_->first_byte[static_cast<unsigned char>(text[pos])]) {
        ++pos;
        continue;
      }
      const auto [length, id] = matcher_->longest_at(text, pos);
      if (length == 0) {
        ++pos;
        continue;
      }
      if (pos > segment_start) encode_segment(text.substr(segment_start, pos - segment_start), segment_start == 0, options, ids);
      ids.push_back(id);
      pos += length;
      segment_start = pos;
    }
    if (segment_start < text.size()) encode_segment(text.substr(segment_start), segment_start == 0, options, ids);
  }
  if (options.add_special_tokens) ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
  return ids;
}

std::string decode_model_ids(const Tokenizer& tokenizer, const std::vector<int64_t>& ids, bool skip_special_tokens) {
  std::vector<TokenId> narrowed;
  narrowed.reserve(ids.size());
  for (int64_t id : ids) narrowed.push_back(id >= 0 && id < tokenizer.vocab_size() ? static_cast<TokenId>(id) : -1);
  return tokenizer.decode(narrowed, skip_special_tokens);
}

std::string Tokenizer::decode(const std::vector<TokenId>& ids, bool skip_special_tokens) const {
  std::string bytes;
  for (TokenId id : ids) {
    if (id < 0 || id >= vocab_size()) continue;  // padded embedding rows have no token (HF skips them too)
    if (skip_special_tokens && is_special(id)) continue;
    bytes += token_bytes(id);
  }
  size_t strip = 0;
  while (static_cast<int>(strip) < strip_leading_spaces_ && strip < bytes.size() && bytes[strip] == ' ') ++strip;
  std::string text;
  text.reserve(bytes.size());
  utf8::append_lossy(std::string_view(bytes).substr(strip), text);
  return text;
}

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(tokenizer), skip_special_(skip_special_tokens), spaces_to_strip_(tokenizer.leading_spaces_to_strip()) {}

std::string StreamDecoder::push(TokenId id) {
  if (id < 0 || id >= tokenizer_.vocab_size()) return {};  // no token: skipped, as decode() does
  if (skip_special_ && tokenizer_.is_special(id)) return {};
  pending_ += tokenizer_.token_bytes(id);
  while (spaces_to_strip_ > 0 && !pending_.empty()) {
    if (pending_[0] != ' ') {
      spaces_to_strip_ = 0;
      break;
    }
    pending_.erase(0, 1);
    --spaces_to_strip_;
  }
  const size_t complete = utf8::complete_prefix_length(pending_);
  std::string text;
  utf8::append_lossy(std::string_view(pending_).substr(0, complete), text);
  pending_.erase(0, complete);
  return text;
}

std::string StreamDecoder::finish() {
  std::string text;
  utf8::append_lossy(pending_, text);
  pending_.clear();
  return text;
}

}  // namespace lightreasoner::tokenizer
