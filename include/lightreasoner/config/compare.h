// Which run settings shaped an artifact, and whether a later run still matches them: an artifact
// (contrast.meta.json, a checkpoint's trainer_state.json, ...) records the config fields that
// made it, taken from the run config by the schema's own writer, and a consumer compares them with
// its config field by field. Knows nothing about which fields matter to which artifact: the
// artifact's owner lists them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lightreasoner/config/run_config.h"

namespace lightreasoner::config {

// The values of `keys` — top-level fields ("seed"), whole sections ("selection") or single fields
// ("sample.top_p") — as config_to_json writes them, nested as in a config file. An unknown key
// is a programming error (throws).
OrderedJson config_subset(const RunConfig& config, const std::vector<std::string>& keys);

struct SettingDifference {
  std::string key;  // dotted, e.g. "selection.beta"
  Json recorded;    // null when absent
  Json current;     // null when absent
};

// Every leaf where `recorded` and `current` differ (numbers compare by value, so 16 == 16.0); a
// key present on one side only is a difference, unless `recorded_keys_only` (an artifact that
// recorded only part of the settings, e.g. an imported dataset whose sampling is unknown).
// `prefix` starts the dotted keys.
std::vector<SettingDifference> setting_differences(const Json& recorded, const Json& current,
                                                   bool recorded_keys_only = false, const std::string& prefix = "");

// "selection.beta: <recorded_as> 0.4, this run has 0.6".
std::string describe_difference(const SettingDifference& d, const std::string& recorded_as);
// Each difference on its own indented line ("\n  " + describe_difference), for an error message;
// empty when there is none.
std::string describe_differences(const std::vector<SettingDifference>& differences, const std::string& recorded_as);

// A settings record beside an artifact that travels alone (an adapter, a model directory):
// {"format": "<kind>", "program_version", "settings": config_subset(config, keys)}, written atomically.
void write_settings_record(const std::filesystem::path& file, const std::string& kind, const RunConfig& config,
                           const std::vector<std::string>& keys);
// Its settings, validated through the config schema (unknown keys, types, ranges named with the
// file); nullopt when the file does not exist.
std::optional<Json> read_settings_record(const std::filesystem::path& file, const std::string& kind);

}  // namespace lightreasoner::config
