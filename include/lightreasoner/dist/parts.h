// How `sample` and `eval` split their work over ranks and put it back together: the work is cut
// into the batches one process would run, batch k belongs to rank k mod world_size (so every
// batch is computed exactly as one process computes it), each rank appends its records to its
// own part file beside the output, and rank 0 merges the parts in work order. No communication.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lightreasoner::dist {

inline bool owns_batch(int64_t batch_index, int rank, int world_size) { return batch_index % world_size == rank; }

// <dir>/<stem>.part-<rank>-of-<world><ext>: "out/contrast.jsonl" → "out/contrast.part-1-of-2.jsonl".
std::filesystem::path part_path(const std::filesystem::path& output, int rank, int world_size);
// Every part file of `output` present on disk (any rank, any world size), sorted by name.
std::vector<std::filesystem::path> existing_parts(const std::filesystem::path& output);

// A line's identity (e.g. its "id" field); nullopt for a line that has none (an error).
using LineKey = std::function<std::optional<std::string>(const nlohmann::json& record)>;
// The string field `name` as the key.
LineKey field_key(const std::string& name);

// Rewrites `output` (atomically) from its own lines and those of `parts`: the lines whose key is
// listed in `order` come first, in that order; the others keep their order after them. A key
// seen twice keeps its first line. Lines are copied byte for byte; a torn last line (an
// interrupted writer) is dropped. Removes the parts afterwards. Returns the lines written.
int64_t merge_parts(const std::filesystem::path& output, const std::vector<std::filesystem::path>& parts,
                    const std::vector<std::string>& order, const LineKey& key);

}  // namespace lightreasoner::dist
