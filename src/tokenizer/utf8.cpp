// UTF-8 validation, lossy repair and utf8proc normalization (see utf8.h). Validation follows
// the Unicode standard's table of well-formed byte sequences (Table 3-7), so the maximal
// subparts replaced by U+FFFD match Rust's String::from_utf8_lossy and Python's errors="replace".
#include "lightreasoner/tokenizer/utf8.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "lightreasoner/core/error.h"

namespace lightreasoner::tokenizer::utf8 {
namespace {

// Length of the well-formed prefix of the sequence at `s` (0 when the lead byte is invalid),
// and whether it is a complete character. Follows Unicode Table 3-7.
struct SequenceCheck {
  size_t valid_bytes;  // bytes that belong to a well-formed (possibly truncated) sequence
  bool complete;
};

SequenceCheck check_sequence(const unsigned char* s, size_t available) {
  const unsigned char lead = s[0];
  if (lead < 0x80) return {1, true};
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
  } else if (lead == 0xE0) {
    need = 3, lo = 0xA0;
  } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
    need = 3;
  } else if (lead == 0xED) {
    need = 3, hi = 0x9F;  // excludes UTF-16 surrogates U+D800..U+DFFF
  } else if (lead == 0xF0) {
    need = 4, lo = 0x90;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    need = 4;
  } else if (lead == 0xF4) {
    need = 4, hi = 0x8F;
  } else {
    return {0, false};
  }
  size_t i = 1;
  for (; i < need && i < available; ++i) {
    const unsigned char c = s[i];
    const bool ok = (i == 1) ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
    if (!ok) return {i, false};
  }
  return {i, i == need};
}

}  // namespace

size_t sequence_length(unsigned char lead) {
  if (lead < 0xC2) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF5) return 4;
  return 1;
}

size_t first_invalid_offset(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    const SequenceCheck c = check_sequence(s + i, text.size() - i);
    if (!c.complete) return i;
    i += c.valid_bytes;
  }
  return std::string_view::npos;
}

void append_lossy(std::string_view bytes, std::string& out) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  while (i < bytes.size()) {
    size_t run = i;
    while (run < bytes.size() && s[run] < 0x80) ++run;  // ASCII fast path
    out.append(bytes.data() + i, run - i);
    i = run;
    if (i >= bytes.size()) break;
    const SequenceCheck c = check_sequence(s + i, bytes.size() - i);
    if (c.complete) {
      out.append(bytes.data() + i, c.valid_bytes);
      i += c.valid_bytes;
    } else {
      out.append(kReplacementChar);
      i += c.valid_bytes == 0 ? 1 : c.valid_bytes;  // one U+FFFD per maximal subpart
    }
  }
}

size_t complete_prefix_length(std::string_view bytes) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  // Only the last 3 bytes can start an unfinished character.
  const size_t from = bytes.size() > 3 ? bytes.size() - 3 : 0;
  for (size_t start = from; start < bytes.size(); ++start) {
    if (s[start] < 0xC2 || s[start] > 0xF4) continue;
    const SequenceCheck c = check_sequence(s + start, bytes.size() - start);
    // A well-formed but truncated sequence reaching the end may still be completed.
    if (!c.complete && start + c.valid_bytes == bytes.size()) return start;
  }
  return bytes.size();
}

std::string normalize(std::string_view text, NormalForm form) {
  bool ascii = true;
  for (unsigned char c : text) ascii &= c < 0x80;
  if (ascii) return std::string(text);
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::kNFC: options |= UTF8PROC_COMPOSE; break;
    case NormalForm::kNFD: options |= UTF8PROC_DECOMPOSE; break;
    case NormalForm::kNFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalForm::kNFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* result = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                          static_cast<utf8proc_ssize_t>(text.size()), &result,
                                          static_cast<utf8proc_option_t>(options));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(result, &std::free);
  LR_CHECK(n >= 0, "Unicode normalization failed: " << utf8proc_errmsg(n) << " (input of " << text.size() << " bytes)");
  return std::string(reinterpret_cast<const char*>(result), static_cast<size_t>(n));
}

}  // namespace lightreasoner::tokenizer::utf8
