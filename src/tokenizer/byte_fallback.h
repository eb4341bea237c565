// The byte-fallback token format shared by tokenizer.json BPE and sentencepiece models: a byte
// without a piece of its own is the token "<0xNN>" (two upper-case hex digits when written).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace lightreasoner::tokenizer {

inline std::string byte_fallback_token(uint8_t byte) {
  char text[8];
  std::snprintf(text, sizeof text, "<0x%02X>", byte);
  return text;
}

// The byte "<0xNN>" stands for (either case of hex digit), or nullopt for any other token.
inline std::optional<uint8_t> byte_fallback_value(std::string_view token) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>' || hex(token[3]) < 0 || hex(token[4]) < 0)
    return std::nullopt;
  return static_cast<uint8_t>(hex(token[3]) * 16 + hex(token[4]));
}

}  // namespace lightreasoner::tokenizer
