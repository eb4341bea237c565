// Python `str` semantics on UTF-8 std::string, as the grading toolkit relies on them: strip()
// with Unicode whitespace, lower()/upper() per code point, code-point length and indexing,
// split/replace/count, str(float) (shortest repr) and float() parsing. Invalid UTF-8 is
// replaced by U+FFFD up front (Python strings are always valid). No regexes here (pyregex.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lightreasoner::py {

// Valid UTF-8 copy: each invalid byte becomes U+FFFD.
std::string sanitize_utf8(std::string_view text);

// Code points of valid UTF-8 (decoded) and back.
std::u32string decode(std::string_view text);
std::string encode(std::u32string_view text);
size_t length(std::string_view text);  // number of code points

bool is_space(char32_t c);  // str.isspace()
std::string strip(std::string_view text);  // str.strip()
std::string rstrip(std::string_view text);
std::string strip_chars(std::string_view text, std::string_view chars);   // str.strip(chars), ASCII chars
std::string lstrip_chars(std::string_view text, std::string_view chars);
std::string rstrip_chars(std::string_view text, std::string_view chars);
std::string lower(std::string_view text);
std::string upper(std::string_view text);

std::string replace(std::string_view text, std::string_view from, std::string_view to);
size_t count(std::string_view text, std::string_view needle);
bool contains(std::string_view text, std::string_view needle);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
std::vector<std::string> split(std::string_view text, std::string_view separator);  // str.split(sep)
std::vector<std::string> split_whitespace(std::string_view text);                    // str.split()
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// str(float): shortest round-trip repr ("145.0", "0.1", "1e+16", "inf", "nan").
std::string float_repr(double value);
// float(text): Python's syntax (surrounding whitespace, sign, '_' between digits, exponent,
// inf/infinity/nan); nullopt where Python raises ValueError.
std::optional<double> parse_float(std::string_view text);
// str(int(text)) when int() accepts it and keeps the digits canonical; nullopt otherwise.
bool is_canonical_int(std::string_view text);

}  // namespace lightreasoner::py
