// FNV-1a 64-bit hashing for tokenizer fingerprints: feed strings (length-prefixed, so "ab"+"c"
// differs from "a"+"bc") and integers, read 16 hex digits. Not cryptographic; it detects that two
// tokenizers differ, it does not defend against crafted collisions.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace lightreasoner::tokenizer {

class Fingerprint {
 public:
  void add(std::string_view s) {
    add(static_cast<int64_t>(s.size()));
    for (unsigned char c : s) byte(c);
  }
  void add(int64_t v) {
    for (int i = 0; i < 8; ++i) byte(static_cast<unsigned char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF));
  }
  std::string hex() const {
    char buffer[17];
    std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(hash_));
    return buffer;
  }

 private:
  void byte(unsigned char c) {
    hash_ ^= c;
    hash_ *= 0x100000001b3ULL;
  }
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace lightreasoner::tokenizer
