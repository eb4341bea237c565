// FNV-1a 64-bit hashing of bytes, strings and whole files, shown as 16 hex digits. Used to
// identify models (config hash, weights checksum) and tokenizers in dataset metadata: it detects
// that two inputs differ, it does not defend against crafted collisions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lightreasoner {

class Fnv64 {
 public:
  void bytes(const void* data, size_t size);
  // Length-prefixed, so "ab"+"c" and "a"+"bc" differ.
  void add(std::string_view s);
  void add(int64_t v);
  uint64_t value() const { return hash_; }
  std::string hex() const;

 private:
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

// Hash of one file's bytes (streamed). Throws Error naming the file.
std::string hash_file(const std::filesystem::path& path);
// Hash over several files: each file's name (not directory) and bytes, in the given order.
std::string hash_files(const std::vector<std::filesystem::path>& paths);

}  // namespace lightreasoner
