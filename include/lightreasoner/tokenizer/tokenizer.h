// The one tokenizer interface the rest of lightreasoner uses (sample, train, eval, generate):
// encode text to ids the way Hugging Face's `tokenizer(text)` does, decode ids (whole or as a
// growing stream), id<->token, added/special tokens, bos/eos/pad and a fingerprint of the
// vocabulary. `load_tokenizer(dir)` picks the backend from the files present. Prompt formats
// live in prompt/formats.h; the backends' algorithms live in src/tokenizer/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lightreasoner::tokenizer {

using TokenId = int32_t;
struct TokenizerConfig;  // tokenizer_config.json keys (src/tokenizer/tokenizer_config.h)

// A token declared in tokenizer.json "added_tokens" (or a control piece of a sentencepiece model).
// `special` only decides whether decode(skip_special_tokens=true) drops it; every added token is
// recognised in text when EncodeOptions::parse_special is set.
struct AddedToken {
  TokenId id = -1;
  std::string content;
  bool special = false;
};

struct EncodeOptions {
  // Recognise added-token text ("<|im_end|>") as that token (HF default, split_special_tokens=false).
  // Off: the text is tokenized as ordinary characters; use it for untrusted user text.
  bool parse_special = true;
  // Apply the post-processor (Llama-style tokenizers prepend BOS; Qwen adds nothing).
  bool add_special_tokens = true;
  // Use the slow textbook BPE merge loop instead of the queue + cache (tests compare the two).
  bool reference_bpe = false;
};

// Which algorithm family a tokenizer uses (for messages and `tokenize` output).
enum class TokenizerKind { kByteLevelBpe, kByteFallbackBpe, kSentencePiece };
std::string tokenizer_kind_name(TokenizerKind kind);

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Text must be valid UTF-8 (NUL bytes are fine); invalid UTF-8, including UTF-8-encoded
  // surrogates, throws Error naming the byte offset. Thread-safe.
  std::vector<TokenId> encode(std::string_view text, const EncodeOptions& options = {}) const;

  // Ids to text. Ids without a token (the padded embedding rows past the vocabulary, which a model
  // can still emit) are skipped, as Hugging Face does; token_bytes() of such an id throws.
  // Invalid UTF-8 produced by byte tokens becomes U+FFFD (one per maximal invalid subpart).
  std::string decode(const std::vector<TokenId>& ids, bool skip_special_tokens = false) const;

  // The raw bytes one token contributes before UTF-8 repair and the leading-space strip.
  virtual std::string token_bytes(TokenId id) const = 0;
  // The token's string as stored in the vocabulary ("Ġworld", "▁Hello", "<0x0A>", "<|im_end|>").
  virtual std::string id_to_token(TokenId id) const = 0;
  virtual std::optional<TokenId> token_to_id(std::string_view token) const = 0;

  // Number of ids with a token (max id + 1). Model embedding tables may be larger (padded).
  virtual int64_t vocab_size() const = 0;
  virtual TokenizerKind kind() const = 0;

  const std::vector<AddedToken>& added_tokens() const { return added_tokens_; }
  bool is_special(TokenId id) const;
  std::optional<TokenId> bos_id() const { return bos_id_; }
  std::optional<TokenId> eos_id() const { return eos_id_; }
  std::optional<TokenId> pad_id() const { return pad_id_; }
  // Ids the post-processor puts around a single sequence (e.g. {1} and {} for Llama 2).
  const std::vector<TokenId>& prefix_ids() const { return prefix_ids_; }
  const std::vector<TokenId>& suffix_ids() const { return suffix_ids_; }
  // Spaces the decoder strips from the start of the decoded text (1 for Llama-style "▁" prefix).
  int leading_spaces_to_strip() const { return strip_leading_spaces_; }

  // 16 hex digits (FNV-1a 64) over vocabulary, merges and added tokens: equal iff they are equal.
  const std::string& fingerprint() const { return fingerprint_; }

 protected:
  // Encodes one piece of text that contains no recognised added token. `first` is true for the
  // piece that starts at offset 0 of the input (Metaspace prepend_scheme "first").
  virtual void encode_segment(std::string_view text, bool first, const EncodeOptions& options,
                              std::vector<TokenId>& out) const = 0;

  // Set by the backends while loading.
  std::vector<AddedToken> added_tokens_;
  std::optional<TokenId> bos_id_, eos_id_, pad_id_;
  std::vector<TokenId> prefix_ids_, suffix_ids_;
  int strip_leading_spaces_ = 0;
  std::string fingerprint_;
  // Finishes loading: builds the added-token matcher. Call after added_tokens_ is final.
  void index_added_tokens();
  // Applies tokenizer_config.json: bos/eos/pad ids from its token strings, and add_bos_token /
  // add_eos_token on the post-processor's prefix/suffix. `what` names the config file.
  void apply_config(const TokenizerConfig& config);

 private:
  struct AddedTokenMatcher;
  std::shared_ptr<const AddedTokenMatcher> matcher_;
};

// decode() for ids as models produce them (int64, the tensor index type): ids outside the
// vocabulary are skipped like decode() skips them, never narrowed into another id.
std::string decode_model_ids(const Tokenizer& tokenizer, const std::vector<int64_t>& ids,
                             bool skip_special_tokens = false);

// Turns a growing id stream into text without ever splitting a UTF-8 character: push() returns
// the text that became complete. Concatenating every push() and finish() equals decode(all ids).
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false);
  std::string push(TokenId id);
  // Flushes held-back bytes (an incomplete trailing character becomes U+FFFD).
  std::string finish();

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_;
  std::string pending_;      // bytes not yet emitted (an incomplete UTF-8 sequence at most)
  int spaces_to_strip_;      // leading spaces still to drop from the stream's start
};

// Loads the tokenizer in `model_dir`: tokenizer.json (byte-level BPE or BPE with byte fallback)
// when present, else tokenizer.model (sentencepiece); tokenizer_config.json, when present, gives
// add_bos_token and the bos/eos/pad tokens. Throws Error naming the directory and what is missing.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir);

// "loaded from <path>" or "NOT loaded: <why>": the sentencepiece shim (tokenizer.model support), for
// `lightreasoner --version`. Loads the shim on first call.
std::string sentencepiece_shim_status();

}  // namespace lightreasoner::tokenizer
