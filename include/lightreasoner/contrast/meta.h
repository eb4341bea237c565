// contrast.meta.json: the facts about a contrast dataset that its lines do not carry — which
// expert/amateur (path, config hash, weights checksum), tokenizer, template, α, β, selection,
// target kind, decoding, data, program version, counts, wall time and throughput — with atomic
// write, validated read, and the compatibility check used by `train` (refuse a dataset from
// another expert) and by a resumed `sample` (refuse a changed config). Hashing lives elsewhere.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/io/jsonl.h"

namespace lightreasoner::contrast {

constexpr int kContrastFormatVersion = 1;

struct ModelIdentity {
  std::string path;
  std::string config_hash;       // of config.json
  std::string weights_checksum;  // of the weight files
};

struct DecodingSettings {
  int max_new_tokens = 128;
  double temperature = 0.0;  // 0 = greedy
  double top_p = 1.0;
  int top_k = 0;
  double min_p = 0.0;
  int64_t seed = 42;
};

struct ContrastCounts {
  int64_t problems = 0;          // problems taken from the data file
  int64_t problems_skipped = 0;  // bad or too long, counted not fatal
  int64_t rollouts = 0;          // lines in contrast.jsonl
  int64_t completion_tokens = 0;
  int64_t steps_scored = 0;
  int64_t steps_selected = 0;
};

struct ContrastMeta {
  int format_version = kContrastFormatVersion;
  std::string program_version;
  ModelIdentity expert;
  ModelIdentity amateur;
  std::string tokenizer_fingerprint;
  std::string template_name;
  std::optional<std::string> system_prompt;
  double alpha = 0.2;
  double beta = 0.4;
  bool selection_enabled = true;
  bool skip_first_step = false;
  std::string target_kind = "contrast";
  DecodingSettings decoding;
  std::string data_path;
  int64_t max_problems = 0;
  bool shuffle = false;
  ContrastCounts counts;
  double wall_seconds = 0.0;
  double rollout_tokens_per_second = 0.0;
  double scored_tokens_per_second = 0.0;
};

// The settings part of the meta, from a run config (identities, fingerprint, counts are left
// for the caller: they need the loaded models).
ContrastMeta meta_from_config(const config::RunConfig& config);

io::Json meta_to_json(const ContrastMeta& meta);
ContrastMeta meta_from_json(const io::Json& json, const std::string& where);
void write_meta(const std::filesystem::path& path, const ContrastMeta& meta);  // atomic
ContrastMeta read_meta(const std::filesystem::path& path);
// "dir/contrast.jsonl" → "dir/contrast.meta.json".
std::filesystem::path meta_path_for(const std::filesystem::path& dataset_path);

enum class MetaUse {
  kTrain,   // the expert, tokenizer and prompt must match: the targets are on-model soft labels
  kResume,  // additionally everything that shapes the lines: amateur, α, β, selection, target, decoding, data
};
// One "key: dataset has X, this run has Y" line per difference; empty when compatible. Models
// are matched by config hash and weights checksum when both sides have them, else by path.
std::vector<std::string> meta_mismatches(const ContrastMeta& dataset, const ContrastMeta& run, MetaUse use);
// Throws Error naming the meta file and listing every mismatch.
void check_meta_compatible(const ContrastMeta& dataset, const ContrastMeta& run, MetaUse use,
                           const std::filesystem::path& meta_path);

}  // namespace lightreasoner::contrast
