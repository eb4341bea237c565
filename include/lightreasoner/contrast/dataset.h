// contrast.jsonl (docs/formats.md#contrast-dataset): one expert rollout per line with its selected
// steps and their sparse soft targets. Typed record, JSON mapping with validation (errors name
// file:line and key), a streaming reader, and an appending writer (batch by batch, torn last line
// dropped on reopen). Run-level facts live in contrast.meta.json (meta.h), not here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "lightreasoner/contrast/builder.h"
#include "lightreasoner/io/jsonl.h"

namespace lightreasoner::contrast {

// One selected step t: the target predicts completion_ids[t] from prompt_ids + completion_ids[:t].
struct ContrastStep {
  int64_t t = 0;
  double kl = 0.0;               // KL(πE‖πA) over the full shared vocabulary
  std::vector<int64_t> ids;      // target support, ascending ids
  std::vector<double> p;         // target probabilities (sum 1)
  // For `inspect` (optional; absent in imported official data): πE and πA at `ids`, and the
  // amateur's own top token, which is often off the mask.
  std::vector<double> pe;
  std::vector<double> pa;
  std::optional<int64_t> amateur_top_id;
  double amateur_top_p = 0.0;
};

struct ContrastRecord {
  std::string id;                       // problem id
  std::optional<std::string> question;  // problem text: the official format's prompt_id
  std::vector<int64_t> prompt_ids;      // rendered template + question
  std::vector<int64_t> completion_ids;  // the expert rollout
  std::string completion;               // its text
  // KL of EVERY completion step (selected or not), for inspect's histogram and per-position plot;
  // rounded to 4 significant digits. Optional (empty when absent, e.g. imported data).
  std::vector<double> step_kl;
  std::vector<ContrastStep> steps;      // selected steps, ascending t
};

// Fills record.steps and record.step_kl from a driver result whose positions
// [first_position, first_position + completion_ids.size()) are this rollout's steps t = 0, 1, ….
void attach_contrast(ContrastRecord& record, const ContrastResult& result, int64_t first_position = 0);

// Keys in the order of docs/formats.md (Contrast dataset), id first, so the file reads well.
nlohmann::ordered_json record_to_json(const ContrastRecord& record);
// Validates every field; errors name `where` (file:line) and the key.
ContrastRecord record_from_json(const io::Json& json, const std::string& where);

class ContrastReader {
 public:
  explicit ContrastReader(const std::filesystem::path& path);
  bool next(ContrastRecord& record);  // false at end of file
  int64_t line() const { return reader_.lines_read(); }

 private:
  io::JsonlReader reader_;
};

std::vector<ContrastRecord> read_contrast(const std::filesystem::path& path);
// Ids of the records already in `path` (empty when the file does not exist), after dropping a
// torn last line in place exactly as reopening the writer in append mode would: what a
// resumed `sample` skips.
std::unordered_set<std::string> contrast_record_ids(const std::filesystem::path& path);

class ContrastWriter {
 public:
  // append = true keeps complete lines of an earlier run and drops a torn last one.
  ContrastWriter(const std::filesystem::path& path, bool append);
  void write(const ContrastRecord& record);
  void flush();  // call once per batch: the lines are durable after it
  int64_t torn_bytes_dropped() const { return writer_.torn_bytes_dropped(); }

 private:
  io::JsonlWriter writer_;
};

// Validated target pieces, shared with the official-format importer (errors name where and key):
// non-empty strictly ascending non-negative ids; probabilities in [0, 1], one per id, summing to 1.
std::vector<int64_t> target_ids(const io::Json& value, const std::string& key, const std::string& where);
std::vector<double> target_probabilities(const io::Json& value, const std::string& key, size_t size,
                                         const std::string& where);

// x rounded to `digits` significant digits (what the writer stores; keeps lines short).
double round_significant(double x, int digits);

}  // namespace lightreasoner::contrast
