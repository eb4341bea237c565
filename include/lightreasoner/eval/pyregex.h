// Python `re` on str, reproduced with PCRE2 in UTF + UCP mode (Unicode \w \W \d \b as Python's)
// and JIT: compiled once, then sub / findall / search / match with Python's semantics for
// non-overlapping scanning and empty matches. Only the features the grading toolkit's patterns
// use; replacement strings use PCRE2 syntax ($1, not \1). Subjects must be valid UTF-8.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lightreasoner::eval {

class PyRegex {
 public:
  explicit PyRegex(std::string_view pattern);
  ~PyRegex();
  PyRegex(PyRegex&&) noexcept;
  PyRegex& operator=(PyRegex&&) noexcept;
  PyRegex(const PyRegex&) = delete;
  PyRegex& operator=(const PyRegex&) = delete;

  // re.sub(pattern, replacement, text): every non-overlapping match replaced.
  std::string sub(std::string_view text, std::string_view replacement) const;
  // re.findall: group 1 when the pattern has a group, else the whole match.
  std::vector<std::string> findall(std::string_view text) const;
  // re.search: whether the pattern matches anywhere; re.match: anchored at the start.
  bool search(std::string_view text) const;
  bool match(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Impl;
  std::string pattern_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lightreasoner::eval
