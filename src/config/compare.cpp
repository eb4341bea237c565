// Recording the config fields that shaped an artifact and comparing them with a later run's.
#include "lightreasoner/config/compare.h"

#include <sstream>

#include "lightreasoner/core/atomic_file.h"

namespace lightreasoner::config {

namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream in(key);
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  return parts;
}

std::string shown(const Json& value) {
  if (value.is_null()) return "nothing";
  return value.is_string() ? "\"" + value.get<std::string>() + "\"" : value.dump();
}

}  // namespace

OrderedJson config_subset(const RunConfig& config, const std::vector<std::string>& keys) {
  const OrderedJson full = config_to_json(config);
  OrderedJson out = OrderedJson::object();
  for (const auto& key : keys) {
    const auto parts = split_key(key);
    LR_CHECK(!parts.empty(), "config_subset: empty key");
    const OrderedJson* from = &full;
    OrderedJson* to = &out;
    for (size_t i = 0; i < parts.size(); ++i) {
      LR_CHECK(from->is_object() && from->contains(parts[i]), "config_subset: '" << key << "' is not a config key");
      from = &(*from)[parts[i]];
      if (i + 1 == parts.size()) {
        (*to)[parts[i]] = *from;
      } else {
        if (!to->contains(parts[i])) (*to)[parts[i]] = OrderedJson::object();
        to = &(*to)[parts[i]];
      }
    }
  }
  return out;
}

std::vector<SettingDifference> setting_differences(const Json& recorded, const Json& current,
                                                   bool recorded_keys_only, const std::string& prefix) {
  std::vector<SettingDifference> out;
  if (recorded.is_object() && current.is_object()) {
    for (const auto& [key, value] : recorded.items()) {
      auto it = current.find(key);
      auto inner = setting_differences(value, it == current.end() ? Json() : *it, recorded_keys_only,
                                       join_path(prefix, key));
      out.insert(out.end(), inner.begin(), inner.end());
    }
    for (const auto& [key, value] : current.items())
      if (!recorded_keys_only && !recorded.contains(key)) out.push_back({join_path(prefix, key), Json(), value});
    return out;
  }
  if (recorded != current) out.push_back({prefix, recorded, current});
  return out;
}

std::string describe_difference(const SettingDifference& d, const std::string& recorded_as) {
  return d.key + ": " + recorded_as + " " + shown(d.recorded) + ", this run has " + shown(d.current);
}

std::string describe_differences(const std::vector<SettingDifference>& differences, const std::string& recorded_as) {
  std::string lines;
  for (const auto& d : differences) lines += "\n  " + describe_difference(d, recorded_as);
  return lines;
}

void write_settings_record(const std::filesystem::path& file, const std::string& kind, const RunConfig& config,
                           const std::vector<std::string>& keys) {
  OrderedJson j = OrderedJson::object();
  j["format"] = kind;
  j["program_version"] = LR_VERSION;
  j["settings"] = config_subset(config, keys);
  write_file_atomic(file, j.dump(2) + "\n");
}

std::optional<Json> read_settings_record(const std::filesystem::path& file, const std::string& kind) {
  if (!std::filesystem::exists(file)) return std::nullopt;
  Json j = Json::parse(read_file(file), nullptr, /*allow_exceptions=*/false);
  LR_CHECK(j.is_object(), file.string() << ": not a JSON object");
  LR_CHECK(j.value("format", std::string()) == kind,
           file.string() << ": key 'format' must be \"" << kind << "\" (got " << j.value("format", Json()).dump() << ")");
  LR_CHECK(j.contains("settings") && j["settings"].is_object(), file.string() << ": key 'settings' must be an object");
  config_from_json(j["settings"], file.string() + " 'settings'");
  return j["settings"];
}

}  // namespace lightreasoner::config
