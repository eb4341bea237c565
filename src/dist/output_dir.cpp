// Rank 0 holds a command's output-directory lock (dist/output_dir.h); every rank learns the outcome.
#include "lightreasoner/dist/output_dir.h"

#include <exception>

#include "lightreasoner/core/error.h"
#include "lightreasoner/dist/process_group.h"

namespace lightreasoner::dist {

OutputDirLock lock_output_dir(const std::filesystem::path& dir, const std::string& what) {
  const Group& group = world();
  OutputDirLock lock;
  std::exception_ptr refused;
  if (group.is_main()) {
    try {
      lock = OutputDirLock::acquire(dir, what);
    } catch (const std::exception&) {
      refused = std::current_exception();
    }
  }
  // Without this agreement the other ranks would go on and wait for rank 0 at their next collective
  // until the launch's timeout: a refused lock must end every rank at once.
  if (group.communicates()) {
    const double failed = group.sum_of({refused ? 1.0 : 0.0}, "output directory lock")[0];
    if (failed > 0 && !group.is_main()) {
      LR_FAIL("rank 0 could not take the output directory '" << dir.string() << "' (its log says why)");
    }
  }
  if (refused) std::rethrow_exception(refused);
  return lock;
}

}  // namespace lightreasoner::dist
