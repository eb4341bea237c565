// FNV-1a 64 over bytes and streamed files.
#include "lightreasoner/core/hash.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "lightreasoner/core/error.h"

namespace lightreasoner {

void Fnv64::bytes(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = hash_;
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  hash_ = h;
}

void Fnv64::add(std::string_view s) {
  add(static_cast<int64_t>(s.size()));
  bytes(s.data(), s.size());
}

void Fnv64::add(int64_t v) {
  unsigned char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
  bytes(le, 8);
}

std::string Fnv64::hex() const {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash_));
  return buffer;
}

namespace {
void hash_into(Fnv64& h, const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  LR_CHECK(file != nullptr, "cannot open '" << path.string() << "': " << std::strerror(errno));
  std::vector<unsigned char> buffer(1 << 20);
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) h.bytes(buffer.data(), n);
  LR_CHECK(!std::ferror(file.get()), "error reading '" << path.string() << "'");
}
}  // namespace

std::string hash_file(const std::filesystem::path& path) {
  Fnv64 h;
  hash_into(h, path);
  return h.hex();
}

std::string hash_files(const std::vector<std::filesystem::path>& paths) {
  Fnv64 h;
  for (const auto& path : paths) {
    h.add(path.filename().string());
    hash_into(h, path);
  }
  return h.hex();
}

}  // namespace lightreasoner
