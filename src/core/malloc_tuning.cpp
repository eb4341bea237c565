// mallopt on glibc (see the header for why); nothing elsewhere.
#include "lightreasoner/core/malloc_tuning.h"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lightreasoner {

namespace {
constexpr const char* kUsersOwn[] = {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"};
bool applied = false;
}  // namespace

bool keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  for (const char* own : kUsersOwn)
    if (std::getenv(own) != nullptr) return false;
  // mallopt returns 1 on success; a fixed mmap threshold also turns off glibc's on-the-fly raising.
  applied = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMallocMmapThreshold)) == 1 &&
            mallopt(M_TRIM_THRESHOLD, static_cast<int>(kMallocTrimThreshold)) == 1;
  return applied;
#else
  return false;
#endif
}

std::string malloc_settings() {
  for (const char* own : kUsersOwn)
    if (const char* value = std::getenv(own)) return std::string("the user's ") + own + "=" + value;
  if (!applied) return "the C library's default";
  return "blocks up to " + std::to_string(kMallocMmapThreshold >> 20) + " MiB from the heap, " +
         std::to_string(kMallocTrimThreshold >> 30) + " GiB of freed heap kept";
}

}  // namespace lightreasoner
