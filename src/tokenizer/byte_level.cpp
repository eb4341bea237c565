// The GPT-2 bytes_to_unicode table and its inverse (see byte_level.h).
#include "byte_level.h"

#include <array>
#include <unordered_map>

namespace lightreasoner::tokenizer::byte_level {
namespace {

std::string utf8_of(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

struct Table {
  std::array<std::string, 256> to_char;
  std::unordered_map<char32_t, unsigned char> to_byte;
  Table() {
    char32_t next_extra = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool visible = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = visible ? static_cast<char32_t>(b) : next_extra++;
      to_char[b] = utf8_of(cp);
      to_byte[cp] = static_cast<unsigned char>(b);
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

const std::string& byte_to_char(unsigned char b) { return table().to_char[b]; }

std::string encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += table().to_char[b];
  return out;
}

std::optional<std::string> decode(std::string_view token) {
  const auto& to_byte = table().to_byte;
  std::string out;
  out.reserve(token.size());
  const auto* s = reinterpret_cast<const unsigned char*>(token.data());
  size_t i = 0;
  while (i < token.size()) {
    // Table characters are at most 2 bytes of UTF-8 (code points below U+0144).
    char32_t cp;
    size_t len;
    if (s[i] < 0x80) {
      cp = s[i], len = 1;
    } else if ((s[i] & 0xE0) == 0xC0 && i + 1 < token.size()) {
      cp = (static_cast<char32_t>(s[i] & 0x1F) << 6) | (s[i + 1] & 0x3F), len = 2;
    } else {
      return std::nullopt;
    }
    auto it = to_byte.find(cp);
    if (it == to_byte.end()) return std::nullopt;
    out += static_cast<char>(it->second);
    i += len;
  }
  return out;
}

}  // namespace lightreasoner::tokenizer::byte_level
