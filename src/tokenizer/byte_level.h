// GPT-2's byte <-> "visible character" table used by byte-level BPE vocabularies (tokenizer.json
// ByteLevel pre-tokenizer/decoder): bytes 0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF map to the same code
// point, the other 68 bytes to U+0100.. in byte order. Only the table; no BPE here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lightreasoner::tokenizer::byte_level {

// UTF-8 of the visible character for byte b ("Ġ" for 0x20).
const std::string& byte_to_char(unsigned char b);
// Maps every byte of `bytes` to its visible character.
std::string encode(std::string_view bytes);
// Inverse: when every character of `token` is in the table, its bytes; otherwise nullopt.
std::optional<std::string> decode(std::string_view token);

}  // namespace lightreasoner::tokenizer::byte_level
