// safetensors reader (mmap, every check of docs/formats.md (Safetensors)), sharded index, and writer.
#include "lightreasoner/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/io/limits.h"

namespace lightreasoner::io {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {
constexpr uint64_t kMaxHeaderSize = 100000000;  // the reference reader's MAX_HEADER_SIZE

struct DtypeRow {
  StDtype dtype;
  const char* name;
  size_t size;
};
constexpr DtypeRow kDtypes[] = {
    {StDtype::BOOL, "BOOL", 1}, {StDtype::U8, "U8", 1},     {StDtype::I8, "I8", 1},
    {StDtype::F8_E5M2, "F8_E5M2", 1}, {StDtype::F8_E4M3, "F8_E4M3", 1}, {StDtype::I16, "I16", 2},
    {StDtype::U16, "U16", 2},   {StDtype::F16, "F16", 2},   {StDtype::BF16, "BF16", 2},
    {StDtype::I32, "I32", 4},   {StDtype::U32, "U32", 4},   {StDtype::F32, "F32", 4},
    {StDtype::F64, "F64", 8},   {StDtype::I64, "I64", 8},   {StDtype::U64, "U64", 8},
};

bool checked_mul(uint64_t a, uint64_t b, uint64_t& out) { return !__builtin_mul_overflow(a, b, &out); }
}  // namespace

std::optional<StDtype> st_dtype_from_string(const std::string& name) {
  for (const auto& row : kDtypes)
    if (name == row.name) return row.dtype;
  return std::nullopt;
}

const char* st_dtype_name(StDtype dtype) { return kDtypes[static_cast<int>(dtype)].name; }
size_t st_dtype_size(StDtype dtype) { return kDtypes[static_cast<int>(dtype)].size; }

torch::ScalarType st_dtype_to_torch(StDtype dtype) {
  switch (dtype) {
    case StDtype::BOOL: return torch::kBool;
    case StDtype::U8: return torch::kUInt8;
    case StDtype::I8: return torch::kInt8;
    case StDtype::I16: return torch::kInt16;
    case StDtype::F16: return torch::kFloat16;
    case StDtype::BF16: return torch::kBFloat16;
    case StDtype::I32: return torch::kInt32;
    case StDtype::F32: return torch::kFloat32;
    case StDtype::F64: return torch::kFloat64;
    case StDtype::I64: return torch::kInt64;
    default: break;
  }
  LR_FAIL("safetensors dtype " << st_dtype_name(dtype) << " has no LibTorch " << TORCH_VERSION
                               << " equivalent (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
}

StDtype torch_to_st_dtype(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kBool: return StDtype::BOOL;
    case torch::kUInt8: return StDtype::U8;
    case torch::kInt8: return StDtype::I8;
    case torch::kInt16: return StDtype::I16;
    case torch::kFloat16: return StDtype::F16;
    case torch::kBFloat16: return StDtype::BF16;
    case torch::kInt32: return StDtype::I32;
    case torch::kFloat32: return StDtype::F32;
    case torch::kFloat64: return StDtype::F64;
    case torch::kInt64: return StDtype::I64;
    default: break;
  }
  LR_FAIL("cannot store LibTorch dtype " << c10::toString(dtype) << " in safetensors");
}

SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, uint64_t file_size, const std::string& what) {
  LR_CHECK(file_size >= 8, what << ": not a safetensors file: " << file_size
                                << " bytes, expected at least 8 (header length)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];  // little-endian u64
  LR_CHECK(n <= kMaxHeaderSize, what << ": header length " << n << " exceeds the limit of " << kMaxHeaderSize
                                     << " bytes (corrupt or not a safetensors file)");
  LR_CHECK(8 + n <= file_size, what << ": header length " << n << " runs past the end of the file ("
                                    << file_size << " bytes; truncated?)");
  LR_CHECK(n >= 2 && bytes[8] == '{', what << ": header does not start with '{' (not a safetensors file)");

  // Parse, rejecting duplicate top-level keys (nlohmann would silently keep the last one).
  std::set<std::string> seen;
  std::string duplicate;
  Json::parser_callback_t reject_duplicates = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1) {
      auto key = parsed.get<std::string>();
      if (!seen.insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  const char* text = reinterpret_cast<const char*>(bytes + 8);
  Json header = Json::parse(text, text + n, reject_duplicates, /*allow_exceptions=*/false);
  LR_CHECK(!header.is_discarded() && header.is_object(), what << ": header is not a valid JSON object");
  LR_CHECK(duplicate.empty(), what << ": header lists tensor '" << duplicate << "' more than once");

  SafetensorsHeader result;
  result.header_size = n;
  for (auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      LR_CHECK(entry.is_object(), what << ": __metadata__ must be an object of strings");
      for (auto& [key, value] : entry.items()) {
        LR_CHECK(value.is_string(), what << ": __metadata__['" << key << "'] must be a string (got "
                                         << value.dump() << ")");
        result.metadata[key] = value.get<std::string>();
      }
      result.has_metadata = true;
      continue;
    }
    LR_CHECK(entry.is_object(), what << ": entry '" << name << "' is not an object");
    auto dtype_it = entry.find("dtype");
    auto shape_it = entry.find("shape");
    auto offsets_it = entry.find("data_offsets");
    LR_CHECK(dtype_it != entry.end() && shape_it != entry.end() && offsets_it != entry.end(),
             what << ": tensor '" << name << "' needs dtype, shape and data_offsets");
    LR_CHECK(dtype_it->is_string(), what << ": tensor '" << name << "' dtype is not a string");
    auto dtype = st_dtype_from_string(dtype_it->get<std::string>());
    LR_CHECK(dtype.has_value(), what << ": tensor '" << name << "' has unknown dtype '"
                                     << dtype_it->get<std::string>()
                                     << "' (expected one of F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, ...)");
    TensorInfo info;
    info.name = name;
    info.dtype = *dtype;
    LR_CHECK(shape_it->is_array(), what << ": tensor '" << name << "' shape is not an array");
    uint64_t numel = 1;
    for (const auto& d : *shape_it) {
      LR_CHECK(d.is_number_unsigned(), what << ": tensor '" << name << "' has a bad dimension " << d.dump());
      uint64_t dim = d.get<uint64_t>();
      LR_CHECK(dim <= static_cast<uint64_t>(INT64_MAX) && checked_mul(numel, dim, numel),
               what << ": tensor '" << name << "' shape overflows");
      info.shape.push_back(static_cast<int64_t>(dim));
    }
    LR_CHECK(offsets_it->is_array() && offsets_it->size() == 2 && (*offsets_it)[0].is_number_unsigned() &&
                 (*offsets_it)[1].is_number_unsigned(),
             what << ": tensor '" << name << "' data_offsets must be two non-negative integers (got "
                  << offsets_it->dump() << ")");
    info.begin = (*offsets_it)[0].get<uint64_t>();
    info.end = (*offsets_it)[1].get<uint64_t>();
    LR_CHECK(info.begin <= info.end, what << ": tensor '" << name << "' has data_offsets [" << info.begin << ", "
                                          << info.end << "] with begin > end");
    uint64_t expected_bytes = 0;
    LR_CHECK(checked_mul(numel, st_dtype_size(info.dtype), expected_bytes),
             what << ": tensor '" << name << "' size overflows");
    LR_CHECK(info.nbytes() == expected_bytes,
             what << ": tensor '" << name << "' spans " << info.nbytes() << " bytes but shape × "
                  << st_dtype_name(info.dtype) << " needs " << expected_bytes);
    result.tensors.push_back(std::move(info));
  }
  std::sort(result.tensors.begin(), result.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t expected_begin = 0;
  for (const auto& info : result.tensors) {
    LR_CHECK(info.begin == expected_begin,
             what << ": tensor '" << info.name << "' starts at byte " << info.begin << " of the data buffer, expected "
                  << expected_begin << (info.begin < expected_begin ? " (overlaps the previous tensor)" : " (gap)"));
    expected_begin = info.end;
  }
  LR_CHECK(8 + n + expected_begin == file_size,
           what << ": tensors cover " << expected_begin << " data bytes but the file holds " << (file_size - 8 - n)
                << (8 + n + expected_begin > file_size ? " (truncated file?)" : " (trailing bytes)"));
  return result;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const fs::path& path) {
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY);
  LR_CHECK(fd >= 0, "cannot open '" << path.string() << "': " << std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    LR_FAIL("cannot stat '" << path.string() << "': " << std::strerror(errno));
  }
  file->size_ = static_cast<uint64_t>(st.st_size);
  if (file->size_ > 0) {
    // Private copy-on-write mapping: tensors may be written to without touching the file.
    void* map = ::mmap(nullptr, file->size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      ::close(fd);
      LR_FAIL("cannot map '" << path.string() << "': " << std::strerror(errno));
    }
    file->map_ = map;
  }
  ::close(fd);
  static const uint8_t kEmpty[1] = {0};
  const uint8_t* bytes = file->map_ ? static_cast<const uint8_t*>(file->map_) : kEmpty;
  file->header_ = parse_safetensors_header(bytes, file->size_, path.string());
  for (size_t i = 0; i < file->header_.tensors.size(); ++i) file->index_[file->header_.tensors[i].name] = i;
  file->self_ = file;
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, size_);
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

torch::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const TensorInfo* info = find(name);
  LR_CHECK(info != nullptr, path_.string() << ": no tensor named '" << name << "'");
  auto dtype = st_dtype_to_torch(info->dtype);
  auto options = torch::TensorOptions().dtype(dtype).device(torch::kCPU);
  if (info->nbytes() == 0) return torch::empty(info->shape, options);
  uint8_t* data = static_cast<uint8_t*>(map_) + 8 + header_.header_size + info->begin;
  if (reinterpret_cast<uintptr_t>(data) % st_dtype_size(info->dtype) != 0) {
    auto out = torch::empty(info->shape, options);
    std::memcpy(out.data_ptr(), data, info->nbytes());
    return out;
  }
  auto keep_alive = self_.lock();
  return torch::from_blob(data, info->shape, [keep_alive](void*) mutable { keep_alive.reset(); }, options);
}

Checkpoint Checkpoint::open(const fs::path& path, const std::string& stem) {
  Checkpoint ckpt;
  auto add_file = [&ckpt](const fs::path& file, const std::set<std::string>* only) {
    ckpt.files_.push_back(SafetensorsFile::open(file));
    size_t index = ckpt.files_.size() - 1;
    for (const auto& info : ckpt.files_.back()->tensors()) {
      if (only && !only->count(info.name)) continue;
      auto [it, inserted] = ckpt.where_.emplace(info.name, std::make_pair(index, &info));
      LR_CHECK(inserted, "tensor '" << info.name << "' appears in both '" << ckpt.files_[it->second.first]->path().string()
                                    << "' and '" << file.string() << "'");
    }
  };
  if (fs::is_regular_file(path)) {
    add_file(path, nullptr);
    return ckpt;
  }
  LR_CHECK(fs::is_directory(path), "checkpoint '" << path.string() << "' does not exist");
  fs::path single = path / (stem + ".safetensors");
  fs::path index_path = path / (stem + ".safetensors.index.json");
  if (fs::exists(single)) {
    add_file(single, nullptr);
    return ckpt;
  }
  LR_CHECK(fs::exists(index_path), "no " << single.filename().string() << " or " << index_path.filename().string()
                                         << " in '" << path.string() << "'");
  Json index = Json::parse(limits::read_bounded_file(index_path, limits::kMaxIndexJsonBytes, "a safetensors index"),
                           nullptr, /*allow_exceptions=*/false);
  LR_CHECK(!index.is_discarded() && index.is_object(), index_path.string() << ": not a valid JSON object");
  auto map_it = index.find("weight_map");
  LR_CHECK(map_it != index.end() && map_it->is_object(),
           index_path.string() << ": missing the \"weight_map\" object (corrupt index)");
  std::map<std::string, std::set<std::string>> by_file;
  for (auto& [name, file] : map_it->items()) {
    LR_CHECK(file.is_string(), index_path.string() << ": weight_map['" << name << "'] must be a file name (got "
                                                   << file.dump() << ")");
    std::string shard = file.get<std::string>();
    LR_CHECK(shard.find('/') == std::string::npos && shard != ".." && !shard.empty(),
             index_path.string() << ": weight_map['" << name << "'] names '" << shard
                                 << "', expected a file in the same directory");
    by_file[shard].insert(name);
  }
  for (const auto& [shard, names] : by_file) {
    fs::path shard_path = path / shard;
    LR_CHECK(fs::exists(shard_path), index_path.string() << " lists shard '" << shard << "' which does not exist");
    add_file(shard_path, &names);
    for (const auto& name : names) {
      LR_CHECK(ckpt.where_.count(name), index_path.string() << " maps tensor '" << name << "' to '" << shard
                                                            << "' but that file does not contain it (corrupt index)");
    }
  }
  return ckpt;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(where_.size());
  for (const auto& [name, loc] : where_) out.push_back(name);
  return out;
}

const TensorInfo& Checkpoint::info(const std::string& name) const {
  auto it = where_.find(name);
  LR_CHECK(it != where_.end(), "checkpoint has no tensor named '" << name << "'");
  return *it->second.second;
}

torch::Tensor Checkpoint::tensor(const std::string& name) const {
  auto it = where_.find(name);
  LR_CHECK(it != where_.end(), "checkpoint has no tensor named '" << name << "'");
  return files_[it->second.first]->tensor(name);
}

uint64_t Checkpoint::total_bytes() const {
  uint64_t total = 0;
  for (const auto& [name, loc] : where_) total += loc.second->nbytes();
  return total;
}

namespace {
struct Prepared {
  std::string header;  // 8-byte length + padded JSON
  std::vector<std::pair<std::string, torch::Tensor>> ordered;  // contiguous CPU tensors in file order
};

Prepared prepare(const NamedTensors& tensors, const std::optional<std::map<std::string, std::string>>& metadata) {
  Prepared p;
  std::set<std::string> names;
  for (const auto& [name, t] : tensors) {
    LR_CHECK(names.insert(name).second, "cannot write tensor '" << name << "' twice to one safetensors file");
    LR_CHECK(t.defined(), "cannot write undefined tensor '" << name << "'");
    p.ordered.emplace_back(name, t.detach().to(torch::kCPU).contiguous());
  }
  std::stable_sort(p.ordered.begin(), p.ordered.end(), [](const auto& a, const auto& b) {
    auto da = torch_to_st_dtype(a.second.scalar_type());
    auto db = torch_to_st_dtype(b.second.scalar_type());
    if (da != db) return da > db;  // largest alignment first, as the reference writer does
    return a.first < b.first;
  });
  // Hand-written JSON: nlohmann objects sort keys, and the reference order is dtype, shape,
  // data_offsets with __metadata__ first.
  std::string json = "{";
  if (metadata) {
    nlohmann::ordered_json meta(*metadata);
    json += "\"__metadata__\":" + meta.dump();
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : p.ordered) {
    if (json.size() > 1) json += ",";
    uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    json += nlohmann::json(name).dump() + ":{\"dtype\":\"" + st_dtype_name(torch_to_st_dtype(t.scalar_type())) +
            "\",\"shape\":[";
    for (int64_t d = 0; d < t.dim(); ++d) json += (d ? "," : "") + std::to_string(t.size(d));
    json += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  json += "}";
  json.append((8 - json.size() % 8) % 8, ' ');
  uint64_t n = json.size();
  p.header.resize(8);
  for (int i = 0; i < 8; ++i) p.header[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  p.header += json;
  return p;
}
}  // namespace

std::string serialize_safetensors(const NamedTensors& tensors,
                                  const std::optional<std::map<std::string, std::string>>& metadata) {
  Prepared p = prepare(tensors, metadata);
  std::string out = p.header;
  for (const auto& [name, t] : p.ordered) {
    out.append(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel()) * t.element_size());
  }
  return out;
}

void write_safetensors(const fs::path& path, const NamedTensors& tensors,
                       const std::optional<std::map<std::string, std::string>>& metadata) {
  Prepared p = prepare(tensors, metadata);
  AtomicFileWriter writer(path);
  writer.write(p.header);
  for (const auto& [name, t] : p.ordered) {
    writer.write(t.data_ptr(), static_cast<size_t>(t.numel()) * t.element_size());
  }
  writer.commit();
}

std::vector<std::string> write_checkpoint(const fs::path& dir, const NamedTensors& tensors, uint64_t max_shard_bytes,
                                          const std::string& stem) {
  uint64_t total = 0;
  for (const auto& [name, t] : tensors) total += static_cast<uint64_t>(t.numel()) * t.element_size();
  if (total <= max_shard_bytes) {
    write_safetensors(dir / (stem + ".safetensors"), tensors);
    return {stem + ".safetensors"};
  }
  // Greedy shards in name order (HF fills shards in state-dict order; any order is valid).
  NamedTensors sorted = tensors;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<NamedTensors> shards(1);
  uint64_t current = 0;
  for (auto& entry : sorted) {
    uint64_t bytes = static_cast<uint64_t>(entry.second.numel()) * entry.second.element_size();
    if (current > 0 && current + bytes > max_shard_bytes) {
      shards.emplace_back();
      current = 0;
    }
    shards.back().push_back(entry);
    current += bytes;
  }
  std::vector<std::string> files;
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  char buf[64];
  for (size_t i = 0; i < shards.size(); ++i) {
    std::snprintf(buf, sizeof buf, "-%05zu-of-%05zu.safetensors", i + 1, shards.size());
    std::string file = stem + buf;
    write_safetensors(dir / file, shards[i]);
    for (const auto& [name, t] : shards[i]) weight_map[name] = file;
    files.push_back(file);
  }
  nlohmann::ordered_json index;
  index["metadata"] = {{"total_size", total}};
  index["weight_map"] = weight_map;
  write_file_atomic(dir / (stem + ".safetensors.index.json"), index.dump(2) + "\n");
  files.push_back(stem + ".safetensors.index.json");
  return files;
}

}  // namespace lightreasoner::io
