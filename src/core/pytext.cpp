// Python str semantics over UTF-8 (see pytext.h). Case mapping uses utf8proc's simple
// per-code-point mappings (Python's full mappings, e.g. 'ß'.upper() == 'SS', are not needed by
// the toolkit's comparisons). float parsing follows Python's float() grammar exactly.
#include "lightreasoner/core/pytext.h"

#include <utf8proc.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace lightreasoner::py {

namespace {

// Calls fn(code_point, byte_offset, valid, byte_length) for each code point; an invalid byte is
// reported as U+FFFD with length 1 (Python strings are always valid, so it must become one).
template <typename Fn>
void each_code_point(std::string_view text, Fn fn) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t pos = 0, n = static_cast<utf8proc_ssize_t>(text.size());
  while (pos < n) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t len = utf8proc_iterate(bytes + pos, n - pos, &cp);
    bool valid = len > 0;
    fn(valid ? static_cast<char32_t>(cp) : char32_t{0xFFFD}, static_cast<size_t>(pos), valid, valid ? size_t(len) : 1);
    pos += valid ? len : 1;
  }
}

}  // namespace

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  each_code_point(text, [&](char32_t, size_t pos, bool valid, size_t len) {
    if (valid) {
      out.append(text.data() + pos, len);
    } else {
      out += "\xEF\xBF\xBD";
    }
  });
  return out;
}

std::u32string decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  each_code_point(text, [&](char32_t c, size_t, bool, size_t) { out.push_back(c); });
  return out;
}

std::string encode(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  utf8proc_uint8_t buffer[4];
  for (char32_t c : text) {
    utf8proc_ssize_t len = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buffer);
    out.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(len));
  }
  return out;
}

size_t length(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

bool is_space(char32_t c) {
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return true;
  if (c < 0x80) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

namespace {

// Byte offset of the first code point (from the left or right) that is not whitespace.
size_t left_space_end(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    utf8proc_int32_t cp = 0;
    auto len = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                                static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
    if (len <= 0 || !is_space(static_cast<char32_t>(cp))) break;
    pos += static_cast<size_t>(len);
  }
  return pos;
}

size_t right_space_start(std::string_view text, size_t floor) {
  size_t end = text.size();
  while (end > floor) {
    size_t start = end - 1;
    while (start > floor && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    utf8proc_int32_t cp = 0;
    auto len = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + start),
                                static_cast<utf8proc_ssize_t>(end - start), &cp);
    if (len <= 0 || !is_space(static_cast<char32_t>(cp))) break;
    end = start;
  }
  return end;
}

template <typename Map>
std::string map_code_points(std::string_view text, Map map) {
  std::u32string cps = decode(text);
  for (auto& c : cps) c = static_cast<char32_t>(map(static_cast<utf8proc_int32_t>(c)));
  return encode(cps);
}

bool is_ascii(std::string_view text) {
  for (unsigned char c : text)
    if (c >= 0x80) return false;
  return true;
}

}  // namespace

std::string strip(std::string_view text) {
  size_t begin = left_space_end(text);
  size_t end = right_space_start(text, begin);
  return std::string(text.substr(begin, end - begin));
}

std::string rstrip(std::string_view text) { return std::string(text.substr(0, right_space_start(text, 0))); }

std::string lstrip_chars(std::string_view text, std::string_view chars) {
  size_t begin = text.find_first_not_of(chars);
  return begin == std::string_view::npos ? std::string() : std::string(text.substr(begin));
}

std::string rstrip_chars(std::string_view text, std::string_view chars) {
  size_t last = text.find_last_not_of(chars);
  return last == std::string_view::npos ? std::string() : std::string(text.substr(0, last + 1));
}

std::string strip_chars(std::string_view text, std::string_view chars) {
  return lstrip_chars(rstrip_chars(text, chars), chars);
}

std::string lower(std::string_view text) {
  if (is_ascii(text)) {
    std::string out(text);
    for (auto& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  return map_code_points(text, utf8proc_tolower);
}

std::string upper(std::string_view text) {
  if (is_ascii(text)) {
    std::string out(text);
    for (auto& c : out)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
  }
  return map_code_points(text, utf8proc_toupper);
}

std::string replace(std::string_view text, std::string_view from, std::string_view to) {
  if (from.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

size_t count(std::string_view text, std::string_view needle) {
  if (needle.empty()) return length(text) + 1;
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

bool contains(std::string_view text, std::string_view needle) { return text.find(needle) != std::string_view::npos; }
bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::vector<std::string> split(std::string_view text, std::string_view separator) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(separator, pos);
    if (hit == std::string_view::npos) break;
    parts.emplace_back(text.substr(pos, hit - pos));
    pos = hit + separator.size();
  }
  parts.emplace_back(text.substr(pos));
  return parts;
}

std::vector<std::string> split_whitespace(std::string_view text) {
  std::vector<std::string> parts;
  std::u32string cps = decode(text);
  std::u32string current;
  for (char32_t c : cps) {
    if (is_space(c)) {
      if (!current.empty()) parts.push_back(encode(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) parts.push_back(encode(current));
  return parts;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.append(separator);
    out.append(parts[i]);
  }
  return out;
}

std::string float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, then Python's layout: scientific when exp < -4 or exp >= 16.
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  std::string sci(buffer, result.ptr);
  size_t e_pos = sci.find('e');
  std::string mantissa = sci.substr(0, e_pos);
  int exponent = std::atoi(sci.c_str() + e_pos + 1);
  bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits.push_back(c);
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp_text[16];
    std::snprintf(exp_text, sizeof(exp_text), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp_text;
  } else if (exponent < 0) {
    out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else {
    size_t int_len = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= int_len) {
      out = digits + std::string(int_len - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return negative ? "-" + out : out;
}

std::optional<double> parse_float(std::string_view raw) {
  std::string text = strip(raw);
  if (text.empty() || !is_ascii(text)) return std::nullopt;
  size_t pos = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    pos = 1;
  }
  std::string rest = lower(std::string_view(text).substr(pos));
  if (rest == "inf" || rest == "infinity") return negative ? -INFINITY : INFINITY;
  if (rest == "nan") return NAN;
  // digits with single '_' between digits; optional fraction; optional exponent.
  std::string clean;
  auto digit_run = [&](size_t& i, bool& any) {
    bool last_digit = false;
    while (i < rest.size()) {
      char c = rest[i];
      if (c >= '0' && c <= '9') {
        clean.push_back(c);
        last_digit = true;
        any = true;
        ++i;
      } else if (c == '_' && last_digit && i + 1 < rest.size() && rest[i + 1] >= '0' && rest[i + 1] <= '9') {
        last_digit = false;
        ++i;
      } else {
        break;
      }
    }
  };
  size_t i = 0;
  bool int_digits = false, frac_digits = false;
  digit_run(i, int_digits);
  if (i < rest.size() && rest[i] == '.') {
    clean.push_back('.');
    ++i;
    digit_run(i, frac_digits);
  }
  if (!int_digits && !frac_digits) return std::nullopt;
  if (i < rest.size() && rest[i] == 'e') {
    clean.push_back('e');
    ++i;
    if (i < rest.size() && (rest[i] == '+' || rest[i] == '-')) clean.push_back(rest[i++]);
    bool exp_digits = false;
    digit_run(i, exp_digits);
    if (!exp_digits) return std::nullopt;
  }
  if (i != rest.size()) return std::nullopt;
  double value = std::strtod(clean.c_str(), nullptr);  // strtod saturates to inf like Python
  return negative ? -value : value;
}

bool is_canonical_int(std::string_view text) {
  size_t pos = (!text.empty() && text[0] == '-') ? 1 : 0;
  if (pos >= text.size()) return false;
  if (text[pos] == '0') return text.size() == pos + 1 && pos == 0;
  for (size_t i = pos; i < text.size(); ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  return true;
}

}  // namespace lightreasoner::py
