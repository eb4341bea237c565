// contrast.meta.json: the facts about a contrast dataset that its lines do not carry — which
// expert/amateur (path, config hash, weights checksum), tokenizer, the run-config fields that
// shaped the lines ("settings": seed, data, prompt, decoding, selection, target, as the config
// writes them), program version, counts, wall time and throughput — with atomic write,
// validated read, and the compatibility check used by `train` and by a resumed `sample`: every
// recorded setting is compared field by field with the run's (config/compare.h) and a difference
// refuses, naming each one and the way out. Hashing lives elsewhere.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/model/identity.h"

namespace lightreasoner::contrast {

// 2: the settings as one "settings" object of config sections; 1 had them as flat keys (still read).
constexpr int kContrastFormatVersion = 2;

using model::ModelIdentity;  // path, config hash, weights checksum (model/identity.h)

struct ContrastCounts {
  int64_t problems = 0;          // problems taken from the data file
  int64_t problems_skipped = 0;  // bad or too long, counted not fatal
  int64_t rollouts = 0;          // lines in contrast.jsonl
  int64_t completion_tokens = 0;
  int64_t steps_scored = 0;
  int64_t steps_selected = 0;
};

// The run-config fields that shape a dataset's lines besides the models and the tokenizer.
const std::vector<std::string>& dataset_setting_keys();

struct ContrastMeta {
  int format_version = kContrastFormatVersion;
  std::string program_version;
  ModelIdentity expert;
  ModelIdentity amateur;
  std::string tokenizer_fingerprint;
  // config_subset(config, dataset_setting_keys()); a format-1 file gets it rebuilt from its flat keys.
  io::Json settings;
  ContrastCounts counts;
  double wall_seconds = 0.0;
  double rollout_tokens_per_second = 0.0;
  double scored_tokens_per_second = 0.0;
};

io::Json meta_to_json(const ContrastMeta& meta);
ContrastMeta meta_from_json(const io::Json& json, const std::string& where);
void write_meta(const std::filesystem::path& path, const ContrastMeta& meta);  // atomic
ContrastMeta read_meta(const std::filesystem::path& path);
// One recorded setting by its dotted config key ("selection.beta"); throws when absent.
const io::Json& meta_setting(const ContrastMeta& meta, const char* key);  // a literal, e.g. "selection.beta"
// "dir/contrast.jsonl" → "dir/contrast.meta.json".
std::filesystem::path meta_path_for(const std::filesystem::path& dataset_path);

enum class MetaUse {
  kTrain,   // train on the dataset: the targets are the expert's soft labels under these settings
  kResume,  // a resumed sample appends lines that must be made like the ones present
};
// One "key: dataset has X, this run has Y" line per difference (the same list for both uses);
// empty when compatible. Models are matched by config hash and weights checksum when both sides
// have them, else by path; the amateur only when the run names one (train does not need it).
std::vector<std::string> meta_mismatches(const ContrastMeta& dataset, const ContrastMeta& run, MetaUse use);
// Throws Error naming the meta file, listing every mismatch and the ways out (another output_dir,
// or --resample to discard the dataset and sample again with this run's settings).
void check_meta_compatible(const ContrastMeta& dataset, const ContrastMeta& run, MetaUse use,
                           const std::filesystem::path& meta_path);

// A change of selection that only removes steps the dataset holds: selection turned on or β
// raised (steps with a stored KL below the run's β leave), t = 0 skipped. When every difference
// between the dataset's settings and the run's is of that kind, returns the selection to apply
// (and train filters instead of refusing, saying so); otherwise nullopt.
struct StepFilter {
  bool by_beta = false;
  double beta = 0.0;
  bool skip_first_step = false;
  std::string description;  // for the log: which settings changed and how
};
std::optional<StepFilter> selection_filter(const ContrastMeta& dataset, const ContrastMeta& run);
// Drops the steps the filter removes from every record; returns the steps kept.
int64_t apply_step_filter(std::vector<ContrastRecord>& records, const StepFilter& filter);

}  // namespace lightreasoner::contrast
