// identify_model: the hashes that say which model a directory holds.
#include "lightreasoner/model/identity.h"

#include <algorithm>
#include <vector>

#include "lightreasoner/core/error.h"
#include "lightreasoner/core/hash.h"

namespace lightreasoner::model {

namespace fs = std::filesystem;

namespace {
std::vector<fs::path> weight_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (entry.path().extension() == ".safetensors" || name == "model.safetensors.index.json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}
}  // namespace

ModelIdentity identify_model(const fs::path& dir) {
  ModelIdentity id;
  id.path = fs::absolute(dir).lexically_normal().string();
  id.config_hash = hash_file(dir / "config.json");
  auto files = weight_files(dir);
  LR_CHECK(!files.empty(), "no .safetensors files in '" << dir.string() << "'");
  id.weights_checksum = hash_files(files);
  return id;
}

}  // namespace lightreasoner::model
