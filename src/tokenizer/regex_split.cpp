// PCRE2 wrapper for the tokenizer's Split pre-tokenizer (see regex_split.h). Match data is
// per call so one Regex is safe to use from several threads; the JIT stack is PCRE2's default.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex_split.h"

#include <pcre2.h>

#include <algorithm>
#include <cstdint>

#include "lightreasoner/core/error.h"
#include "lightreasoner/tokenizer/utf8.h"

namespace lightreasoner::tokenizer {

struct Regex::Impl {
  pcre2_code* code = nullptr;
  bool jit = false;
};

namespace {
constexpr uint64_t kMatchLimitBase = 1'000'000;
constexpr uint64_t kMatchLimitPerByte = 16;
constexpr uint32_t kHeapLimitKiB = 64 * 1024;

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof(buffer));
  return reinterpret_cast<const char*>(buffer);
}
}  // namespace

Regex::Regex(const std::string& pattern, const std::string& what)
    : pattern_(pattern), what_(what), impl_(std::make_unique<Impl>()) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP,
                              &error, &offset, nullptr);
  LR_CHECK(impl_->code != nullptr, what << ": cannot compile regex at offset " << offset << ": " << pcre2_message(error)
                                        << " (pattern " << pattern << ")");
  impl_->jit = pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() {
  if (impl_ && impl_->code) pcre2_code_free(impl_->code);
}

std::vector<std::pair<size_t, size_t>> Regex::find_all(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> matches;
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create_from_pattern(impl_->code, nullptr), &pcre2_match_data_free);
  // Patterns come from a downloaded tokenizer.json: a catastrophic one (`(a+)+$`) must fail with
  // an error, not hang. Real pre-tokenizer patterns need a few steps per match, and at most about
  // one per byte of a long whitespace run (`\s*[\r\n]+` backtracks over it), so the limit grows
  // with the text; an exponential pattern exceeds it within milliseconds. (A polynomial one is
  // still bounded by ~text² steps over all matches.) The heap limit (KiB) caps the interpreter's
  // backtracking frames.
  std::unique_ptr<pcre2_match_context, decltype(&pcre2_match_context_free)> context(
      pcre2_match_context_create(nullptr), &pcre2_match_context_free);
  const uint64_t limit = std::min<uint64_t>(kMatchLimitBase + kMatchLimitPerByte * text.size(), UINT32_MAX);
  pcre2_set_match_limit(context.get(), static_cast<uint32_t>(limit));
  pcre2_set_depth_limit(context.get(), static_cast<uint32_t>(limit));
  pcre2_set_heap_limit(context.get(), kHeapLimitKiB);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  // The text was validated as UTF-8 by Tokenizer::encode, so PCRE2 need not re-check it.
  const uint32_t options = PCRE2_NO_UTF_CHECK;
  while (start < text.size()) {
    const int rc = impl_->jit
                       ? pcre2_jit_match(impl_->code, subject, text.size(), start, options, data.get(), context.get())
                       : pcre2_match(impl_->code, subject, text.size(), start, options, data.get(), context.get());
    if (rc == PCRE2_ERROR_NOMATCH) break;
    const bool limit_hit = rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
                           rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
    LR_CHECK(rc >= 0, what_ << ": regex match failed at byte " << start << " of a " << text.size()
                            << "-byte text: " << pcre2_message(rc)
                            << (limit_hit ? " (the pattern backtracks catastrophically; pattern " + pattern_ + ")" : ""));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
    size_t begin = ovector[0], end = ovector[1];
    if (end == begin) {  // empty match: step over one character
      end = begin + utf8::sequence_length(static_cast<unsigned char>(text[begin]));
      if (end > text.size()) end = text.size();
      start = end;
      continue;
    }
    matches.emplace_back(begin, end);
    start = end;
  }
  return matches;
}

std::vector<std::string_view> split_isolated(const Regex& regex, std::string_view text) {
  std::vector<std::string_view> pieces;
  size_t last = 0;
  for (const auto& [begin, end] : regex.find_all(text)) {
    if (begin > last) pieces.push_back(text.substr(last, begin - last));
    pieces.push_back(text.substr(begin, end - begin));
    last = end;
  }
  if (last < text.size()) pieces.push_back(text.substr(last));
  return pieces;
}

}  // namespace lightreasoner::tokenizer
