// Sane upper bounds on what a file from outside may claim, checked before anything is allocated
// from its numbers: the size of a small JSON file (a config, an index, a tokenizer), and the
// dimensions a model config.json may declare. A bound is far above every released model (so it
// never refuses a real file) and far below what would exhaust memory (so a hostile or corrupt file
// is refused with its name and key instead of an out-of-memory kill). Each bound is written once,
// here. Not here: the checks themselves, which live with each parser.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace lightreasoner::io::limits {

// JSON files are parsed into a DOM that takes ~10-20x the file size in memory.
constexpr uint64_t kMaxConfigJsonBytes = uint64_t{16} << 20;      // config.json, adapter_config.json, ...
constexpr uint64_t kMaxIndexJsonBytes = uint64_t{64} << 20;       // model.safetensors.index.json
constexpr uint64_t kMaxTokenizerJsonBytes = uint64_t{256} << 20;  // tokenizer.json (the largest known: ~35 MB)

// config.json dimensions (the largest released decoders: 126 layers, hidden 16384 / 25600,
// intermediate 53248, vocab 256000 / 262144, 128 heads, head_dim 256, 10M positions).
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxHiddenSize = int64_t{1} << 18;
constexpr int64_t kMaxIntermediateSize = int64_t{1} << 20;
constexpr int64_t kMaxVocabSize = int64_t{1} << 24;
constexpr int64_t kMaxHeads = 4096;
constexpr int64_t kMaxHeadDim = 8192;
constexpr int64_t kMaxPositions = int64_t{1} << 30;

// tokenizer.json: token ids may leave holes, but not more than this many beyond the number of
// tokens the file lists (ids index dense tables sized by the largest id).
constexpr int64_t kMaxTokenIdHoles = 65536;

// Reads a whole small file after checking its size against `max_bytes`; the error names the file,
// its size and the bound. `kind` says what the file is ("a model config.json").
std::string read_bounded_file(const std::filesystem::path& path, uint64_t max_bytes, const std::string& kind);

}  // namespace lightreasoner::io::limits
