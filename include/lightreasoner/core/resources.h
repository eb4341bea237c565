// Where the binary finds the folders it ships with (data/ with the evaluation sets, docs/): the one
// rule, written once. No parsing of what is inside them.
//
// A folder NAME is looked for, in this order, at
//   1. <dir of the running binary>/../share/lightreasoner/NAME   (an installed binary: cmake --install)
//   2. <dir of the running binary>/../NAME                       (a build folder inside the repository)
//   3. <the source tree the binary was built from>/NAME          (build folders elsewhere, test binaries)
// and the first that exists wins. A setting (eval.data_dir, --data-dir) always overrides this.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lightreasoner {

// The running executable's path (/proc/self/exe); empty when it cannot be read.
std::filesystem::path executable_path();

// The candidate locations of NAME, in the order above.
std::vector<std::filesystem::path> resource_dir_candidates(const std::string& name);

// The first candidate that is a directory, if any.
std::optional<std::filesystem::path> find_resource_dir(const std::string& name);

// eval.data_dir when it is set (non-empty), else the data/ folder found by the rule above; throws an
// Error naming every place looked at when there is none.
std::filesystem::path resolve_data_dir(const std::string& configured);

}  // namespace lightreasoner
