// PCRE2 wrapper with Python re semantics (see pyregex.h). Match data is allocated per call so a
// compiled PyRegex can be shared between threads.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "lightreasoner/eval/pyregex.h"

#include <pcre2.h>

#include "lightreasoner/core/error.h"

namespace lightreasoner::eval {

struct PyRegex::Impl {
  pcre2_code* code = nullptr;
  uint32_t capture_count = 0;
  ~Impl() {
    if (code) pcre2_code_free(code);
  }
};

namespace {
struct MatchData {
  pcre2_match_data* data;
  explicit MatchData(const pcre2_code* code) : data(pcre2_match_data_create_from_pattern(code, nullptr)) {}
  ~MatchData() { pcre2_match_data_free(data); }
};

PCRE2_SPTR as_subject(std::string_view text) { return reinterpret_cast<PCRE2_SPTR>(text.data()); }
}  // namespace

PyRegex::PyRegex(std::string_view pattern) : pattern_(pattern), impl_(std::make_unique<Impl>()) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP,
                              &error_code, &error_offset, nullptr);
  if (!impl_->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof(message));
    LR_FAIL("cannot compile regex '" << pattern_ << "' at offset " << error_offset << ": "
                                     << reinterpret_cast<const char*>(message));
  }
  pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE);  // best effort: falls back to the interpreter
  pcre2_pattern_info(impl_->code, PCRE2_INFO_CAPTURECOUNT, &impl_->capture_count);
}

PyRegex::~PyRegex() = default;
PyRegex::PyRegex(PyRegex&&) noexcept = default;
PyRegex& PyRegex::operator=(PyRegex&&) noexcept = default;

std::string PyRegex::sub(std::string_view text, std::string_view replacement) const {
  // PCRE2's global substitution scans like Python 3.7+: after an empty match it retries one
  // character later, and an empty match right after a non-empty one is allowed.
  PCRE2_SIZE out_length = text.size() * 2 + 64;
  std::string out(out_length, '\0');
  const uint32_t options = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH | PCRE2_NO_UTF_CHECK;
  for (int attempt = 0; attempt < 2; ++attempt) {
    out_length = out.size();
    int rc = pcre2_substitute(impl_->code, as_subject(text), text.size(), 0, options, nullptr, nullptr,
                              reinterpret_cast<PCRE2_SPTR>(replacement.data()), replacement.size(),
                              reinterpret_cast<PCRE2_UCHAR*>(out.data()), &out_length);
    if (rc >= 0) {
      out.resize(out_length);
      return out;
    }
    LR_CHECK(rc == PCRE2_ERROR_NOMEMORY, "regex substitution failed for '" << pattern_ << "' (code " << rc << ")");
    out.assign(out_length + 1, '\0');
  }
  LR_FAIL("regex substitution buffer sizing failed for '" << pattern_ << "'");
}

std::vector<std::string> PyRegex::findall(std::string_view text) const {
  std::vector<std::string> found;
  MatchData match(impl_->code);
  PCRE2_SIZE offset = 0;
  uint32_t extra = 0;
  while (offset <= text.size()) {
    int rc = pcre2_match(impl_->code, as_subject(text), text.size(), offset, extra | PCRE2_NO_UTF_CHECK, match.data,
                         nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) {
      if (extra == 0) break;
      // An empty match at `offset` was refused: advance one code point and try normally.
      extra = 0;
      ++offset;
      while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) ++offset;
      continue;
    }
    LR_CHECK(rc >= 0, "regex match failed for '" << pattern_ << "' (code " << rc << ")");
    PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.data);
    size_t group = impl_->capture_count >= 1 ? 1 : 0;
    if (ovector[2 * group] == PCRE2_UNSET) {
      found.emplace_back();
    } else {
      found.emplace_back(text.substr(ovector[2 * group], ovector[2 * group + 1] - ovector[2 * group]));
    }
    bool empty = ovector[0] == ovector[1];
    offset = ovector[1];
    extra = empty ? (PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED) : 0;
  }
  return found;
}

bool PyRegex::search(std::string_view text) const {
  MatchData match(impl_->code);
  return pcre2_match(impl_->code, as_subject(text), text.size(), 0, PCRE2_NO_UTF_CHECK, match.data, nullptr) >= 0;
}

bool PyRegex::match(std::string_view text) const {
  MatchData match(impl_->code);
  return pcre2_match(impl_->code, as_subject(text), text.size(), 0, PCRE2_ANCHORED | PCRE2_NO_UTF_CHECK, match.data,
                     nullptr) >= 0;
}

}  // namespace lightreasoner::eval
