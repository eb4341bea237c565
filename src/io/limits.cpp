// Bounded whole-file reads (see io/limits.h): the size is checked with stat before a byte is read.
#include "lightreasoner/io/limits.h"

#include <system_error>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::io::limits {

std::string read_bounded_file(const std::filesystem::path& path, uint64_t max_bytes, const std::string& kind) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  LR_CHECK(!ec, "cannot read '" << path.string() << "': " << ec.message());
  LR_CHECK(size <= max_bytes, path.string() << ": " << size << " bytes, more than the " << max_bytes
                                            << " bytes allowed for " << kind << " (corrupt or not " << kind << "?)");
  return read_file(path);
}

}  // namespace lightreasoner::io::limits
