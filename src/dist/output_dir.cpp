// Rank 0 holds a command's output-directory lock (dist/output_dir.h).
#include "lightreasoner/dist/output_dir.h"

#include "lightreasoner/dist/process_group.h"

namespace lightreasoner::dist {

OutputDirLock lock_output_dir(const std::filesystem::path& dir, const std::string& what) {
  if (!world().is_main()) return {};
  return OutputDirLock::acquire(dir, what);
}

}  // namespace lightreasoner::dist
