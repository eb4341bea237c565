// The shipped-folder lookup (resources.h): installed prefix, then the repository around the build
// folder, then the source tree compiled in. Filesystem checks only.
#include "lightreasoner/core/resources.h"

#include <system_error>

#include "lightreasoner/core/error.h"

namespace lightreasoner {

namespace fs = std::filesystem;

fs::path executable_path() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

std::vector<fs::path> resource_dir_candidates(const std::string& name) {
  std::vector<fs::path> candidates;
  const fs::path exe = executable_path();
  if (!exe.empty()) {
    const fs::path prefix = exe.parent_path().parent_path();
    candidates.push_back(prefix / "share" / "lightreasoner" / name);
    candidates.push_back(prefix / name);
  }
  candidates.push_back(fs::path(LR_SOURCE_DIR) / name);
  return candidates;
}

std::optional<fs::path> find_resource_dir(const std::string& name) {
  for (const auto& candidate : resource_dir_candidates(name)) {
    std::error_code ec;
    if (fs::is_directory(candidate, ec)) return candidate.lexically_normal();
  }
  return std::nullopt;
}

fs::path resolve_data_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (auto found = find_resource_dir("data")) return *found;
  std::string tried;
  for (const auto& candidate : resource_dir_candidates("data")) tried += (tried.empty() ? "" : ", ") + candidate.string();
  LR_FAIL("no data/ folder with the evaluation sets was found (looked at " << tried
                                                                            << "); set eval.data_dir or pass --data-dir");
}

}  // namespace lightreasoner
