// safetensors I/O (docs/formats.md#safetensors): a memory-mapped, fully validated reader that hands out
// LibTorch tensors without copying when the data is aligned; sharded checkpoints through
// model.safetensors.index.json; and a writer byte-compatible with the reference (Rust) one,
// atomic (temp file + rename). Nothing here knows about models: names are opaque strings.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lightreasoner::io {

// In the reference implementation's order (increasing alignment; the writer sorts by it).
enum class StDtype { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

std::optional<StDtype> st_dtype_from_string(const std::string& name);
const char* st_dtype_name(StDtype dtype);
size_t st_dtype_size(StDtype dtype);
// Throws Error for dtypes LibTorch cannot hold (U16/U32/U64, FP8 on old LibTorch).
torch::ScalarType st_dtype_to_torch(StDtype dtype);
StDtype torch_to_st_dtype(torch::ScalarType dtype);

struct TensorInfo {
  std::string name;
  StDtype dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets relative to the data buffer, [begin, end)
  uint64_t end = 0;
  uint64_t nbytes() const { return end - begin; }
};

// The parsed, validated header of one file. Exposed separately so hostile headers can be
// tested without files. `file_size` is the size of the whole file.
struct SafetensorsHeader {
  uint64_t header_size = 0;                   // N
  std::map<std::string, std::string> metadata;  // __metadata__
  bool has_metadata = false;
  std::vector<TensorInfo> tensors;            // sorted by offset
};
// `what` names the file in error messages.
SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, uint64_t file_size, const std::string& what);

class SafetensorsFile {
 public:
  static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();

  const std::filesystem::path& path() const { return path_; }
  const SafetensorsHeader& header() const { return header_; }
  const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
  const TensorInfo* find(const std::string& name) const;
  // A CPU tensor viewing the mapped bytes (copy-on-write private mapping) when the data is
  // aligned for its dtype, else a copy. The tensor keeps the mapping alive.
  torch::Tensor tensor(const std::string& name) const;
  uint64_t file_size() const { return size_; }

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  void* map_ = nullptr;
  uint64_t size_ = 0;
  SafetensorsHeader header_;
  std::map<std::string, size_t> index_;
  std::weak_ptr<SafetensorsFile> self_;
};

// A checkpoint directory: model.safetensors, or shards listed in model.safetensors.index.json
// (or a single explicitly named .safetensors file). Names map to the file that holds them.
class Checkpoint {
 public:
  // `stem` selects "model" (model.safetensors / model.safetensors.index.json) or e.g.
  // "adapter_model". A path to a .safetensors file opens just that file.
  static Checkpoint open(const std::filesystem::path& path, const std::string& stem = "model");

  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const { return where_.count(name) > 0; }
  const TensorInfo& info(const std::string& name) const;
  torch::Tensor tensor(const std::string& name) const;
  const std::vector<std::shared_ptr<SafetensorsFile>>& files() const { return files_; }
  uint64_t total_bytes() const;

 private:
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, std::pair<size_t, const TensorInfo*>> where_;
};

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Serialises exactly like the reference writer: tensors sorted by dtype (largest alignment
// first) then name, header JSON compact with __metadata__ first, padded with spaces to a
// multiple of 8. `metadata` nullopt = no __metadata__ key (default {"format": "pt"}).
std::string serialize_safetensors(const NamedTensors& tensors,
                                  const std::optional<std::map<std::string, std::string>>& metadata =
                                      std::map<std::string, std::string>{{"format", "pt"}});

// Writes one file atomically (temp + rename), streaming tensor data (no whole-file buffer).
void write_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                       const std::optional<std::map<std::string, std::string>>& metadata =
                           std::map<std::string, std::string>{{"format", "pt"}});

// Writes <dir>/<stem>.safetensors when the total is at most max_shard_bytes, else
// <stem>-0000i-of-0000K.safetensors shards plus <stem>.safetensors.index.json (HF layout).
// Returns the written file names.
std::vector<std::string> write_checkpoint(const std::filesystem::path& dir, const NamedTensors& tensors,
                                          uint64_t max_shard_bytes, const std::string& stem = "model");

}  // namespace lightreasoner::io
