// A compiled PCRE2 pattern (PCRE2_UTF | PCRE2_UCP, JIT when available) used by the tokenizer.json
// Split pre-tokenizer and Replace normalizer: finds every match in a valid UTF-8 string, scanning
// from the previous match end with leftmost-first alternation, like Oniguruma in HF tokenizers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lightreasoner::tokenizer {

class Regex {
 public:
  // `what` names the pattern's origin for error messages (e.g. "tokenizer.json pre_tokenizer").
  Regex(const std::string& pattern, const std::string& what);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // [begin, end) byte ranges of all non-overlapping matches (an empty match advances one character).
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::string what_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Split with behavior "Isolated": every match and every gap between matches becomes a piece.
std::vector<std::string_view> split_isolated(const Regex& regex, std::string_view text);

}  // namespace lightreasoner::tokenizer
