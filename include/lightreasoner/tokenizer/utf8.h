// UTF-8 helpers the tokenizers need: strict validation (surrogates and overlongs rejected),
// lossy repair with one U+FFFD per maximal invalid subpart (the Unicode / Rust from_utf8_lossy
// rule), the length of the prefix that holds only complete characters, and Unicode
// normalization through utf8proc. No tokenization here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lightreasoner::tokenizer::utf8 {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Byte offset of the first invalid sequence, or npos when `text` is valid UTF-8.
size_t first_invalid_offset(std::string_view text);

// Appends `bytes` to `out`, replacing every maximal invalid subpart by U+FFFD.
void append_lossy(std::string_view bytes, std::string& out);

// Length of the longest prefix of `bytes` that does not end inside a character that could still
// be completed by more bytes (invalid bytes count as complete: they will become U+FFFD).
size_t complete_prefix_length(std::string_view bytes);

// Number of bytes of the UTF-8 sequence starting at bytes[0] (1 for invalid lead bytes).
size_t sequence_length(unsigned char lead);

enum class NormalForm { kNFC, kNFD, kNFKC, kNFKD };
// Unicode normalization of valid UTF-8 (embedded NULs allowed). ASCII input is returned as is.
std::string normalize(std::string_view text, NormalForm form);

}  // namespace lightreasoner::tokenizer::utf8
