// Which model a directory holds, as artifacts record it: its path, a hash of config.json and a
// checksum of the weight files (core/hash.h). Two directories with equal hashes hold the same
// model wherever they are. No LibTorch here.
#pragma once

#include <filesystem>
#include <string>

namespace lightreasoner::model {

struct ModelIdentity {
  std::string path;
  std::string config_hash;       // of config.json
  std::string weights_checksum;  // of the weight files
};

// Path (absolute, normalised), config hash and weights checksum of a model directory; throws
// naming the directory when it has no config.json or no .safetensors files.
ModelIdentity identify_model(const std::filesystem::path& dir);

}  // namespace lightreasoner::model
