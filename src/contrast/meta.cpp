// contrast.meta.json mapping, atomic write, validated read and the dataset/run compatibility check.
#include "lightreasoner/contrast/meta.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "lightreasoner/config/compare.h"
#include "lightreasoner/config/fields.h"
#include "lightreasoner/contrast/decoding.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

namespace {

using io::Json;

Json identity_to_json(const ModelIdentity& id) {
  return Json{{"path", id.path}, {"config_hash", id.config_hash}, {"weights_checksum", id.weights_checksum}};
}

ModelIdentity identity_from_json(const config::Fields& meta, const std::string& key) {
  const config::Fields id = meta.section(key);
  return {id.get<std::string>("path"), id.get<std::string>("config_hash"), id.get<std::string>("weights_checksum")};
}

std::string shown(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

void compare(std::vector<std::string>& out, const std::string& key, const Json& dataset, const Json& run) {
  if (dataset != run) out.push_back(key + ": dataset has " + shown(dataset) + ", this run has " + shown(run));
}

// Models match by config hash and weights checksum when both sides have them, else by path.
void compare_identity(std::vector<std::string>& out, const std::string& role, const Json& dataset, const Json& run) {
  bool hashed = true;
  for (const char* key : {"config_hash", "weights_checksum"})
    hashed = hashed && !dataset[key].get<std::string>().empty() && !run[key].get<std::string>().empty();
  for (const char* key : hashed ? std::vector<const char*>{"config_hash", "weights_checksum"}
                                : std::vector<const char*>{"path"})
    compare(out, role + "." + key, dataset[key], run[key]);
}

// Format 1 wrote the settings as flat keys; the same values in the config's shape.
Json settings_from_format1(const config::Fields& meta) {
  const config::Fields decoding = meta.section("decoding"), data = meta.section("data");
  std::optional<std::string> system;  // null: no system prompt
  meta.read_if_present("system_prompt", system);
  Json s;
  s["expert"] = {{"adapter", nullptr}};
  s["seed"] = decoding.get<int64_t>("seed");
  s["data"] = {{"path", data.get<std::string>("path")},
               {"max_problems", data.get<int64_t>("max_problems")},
               {"shuffle", data.get<bool>("shuffle")}};
  s["prompt"] = {{"template", meta.get<std::string>("template")}, {"system", system ? Json(*system) : Json(nullptr)}};
  s["sample"] = {{"max_new_tokens", decoding.get<int>("max_new_tokens")},
                 {"temperature", decoding.get<double>("temperature")},
                 {"top_p", decoding.get<double>("top_p")},
                 {"top_k", decoding.get<int>("top_k")},
                 {"min_p", decoding.get<double>("min_p")},
                 {"skip_first_step", meta.get<bool>("skip_first_step")}};
  s["selection"] = {{"enabled", meta.get<bool>("selection_enabled")}, {"beta", meta.get<double>("beta")}};
  s["target"] = {{"kind", meta.get<std::string>("target_kind")}, {"alpha", meta.get<double>("alpha")}};
  return s;
}

}  // namespace

const std::vector<std::string>& dataset_setting_keys() {
  // expert.adapter: the rollouts and the expert's distributions were the adapted model's.
  // Not recorded: dtypes, device, sample.batch_size and memory_budget_mb (how fast, not what),
  // data.on_bad_record (a skipped record is simply absent).
  static const std::vector<std::string> keys = {
      "expert.adapter", "seed", "data.path", "data.max_problems", "data.shuffle", "prompt",
      "sample.max_new_tokens", "sample.decoding", "sample.temperature", "sample.top_p", "sample.top_k", "sample.min_p",
      "sample.skip_first_step", "selection", "target"};
  return keys;
}

Json meta_to_json(const ContrastMeta& meta) {
  Json j = Json::object();
  j["format"] = "lightreasoner-contrast";
  j["format_version"] = meta.format_version;
  j["program_version"] = meta.program_version;
  j["expert"] = identity_to_json(meta.expert);
  j["amateur"] = identity_to_json(meta.amateur);
  j["tokenizer_fingerprint"] = meta.tokenizer_fingerprint;
  j["settings"] = meta.settings;
  const auto& c = meta.counts;
  j["counts"] = Json{{"problems", c.problems},           {"problems_skipped", c.problems_skipped},
                     {"rollouts", c.rollouts},           {"completion_tokens", c.completion_tokens},
                     {"steps_scored", c.steps_scored},   {"steps_selected", c.steps_selected}};
  j["wall_seconds"] = meta.wall_seconds;
  j["rollout_tokens_per_second"] = meta.rollout_tokens_per_second;
  j["scored_tokens_per_second"] = meta.scored_tokens_per_second;
  return j;
}

ContrastMeta meta_from_json(const Json& j, const std::string& where) {
  const config::Fields f(j, where);
  const std::string format = f.get<std::string>("format");
  LR_CHECK(format == "lightreasoner-contrast",
           f.name("format") << " must be \"lightreasoner-contrast\" (got \"" << format << "\")");
  ContrastMeta meta;
  meta.format_version = f.get<int>("format_version");
  LR_CHECK(meta.format_version >= 1 && meta.format_version <= kContrastFormatVersion,
           where << ": format_version " << meta.format_version << " is not supported by this program (reads 1.."
                 << kContrastFormatVersion << ")");
  meta.program_version = f.get<std::string>("program_version");
  meta.expert = identity_from_json(f, "expert");
  meta.amateur = identity_from_json(f, "amateur");
  meta.tokenizer_fingerprint = f.get<std::string>("tokenizer_fingerprint");
  if (meta.format_version == 1) {
    meta.settings = settings_from_format1(f);
  } else {
    f.section("settings");  // an object
    meta.settings = f.json("settings");
    config::config_from_json(meta.settings, where + " 'settings'");  // known keys, right types and ranges
  }
  const config::Fields counts = f.section("counts");
  meta.counts = {counts.get<int64_t>("problems"),          counts.get<int64_t>("problems_skipped"),
                 counts.get<int64_t>("rollouts"),          counts.get<int64_t>("completion_tokens"),
                 counts.get<int64_t>("steps_scored"),      counts.get<int64_t>("steps_selected")};
  meta.wall_seconds = f.get<double>("wall_seconds");
  meta.rollout_tokens_per_second = f.get<double>("rollout_tokens_per_second");
  meta.scored_tokens_per_second = f.get<double>("scored_tokens_per_second");
  return meta;
}

void write_meta(const std::filesystem::path& path, const ContrastMeta& meta) {
  write_file_atomic(path, meta_to_json(meta).dump(2) + "\n");
}

ContrastMeta read_meta(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  LR_CHECK(!j.is_discarded(), path.string() << ": not valid JSON");
  return meta_from_json(j, path.string());
}

std::filesystem::path meta_path_for(const std::filesystem::path& dataset_path) {
  return dataset_path.parent_path() / (dataset_path.stem().string() + ".meta.json");
}

const Json& meta_setting(const ContrastMeta& meta, const char* key) {
  const Json* at = &meta.settings;
  std::string part;
  std::stringstream in(key);
  while (std::getline(in, part, '.')) {
    LR_CHECK(at->is_object() && at->contains(part), "contrast meta: no recorded setting '" << key << "'");
    at = &(*at)[part];
  }
  return *at;
}

std::vector<std::string> meta_mismatches(const ContrastMeta& dataset, const ContrastMeta& run, MetaUse) {
  const Json a = meta_to_json(dataset), b = meta_to_json(run);
  std::vector<std::string> out;
  compare_identity(out, "expert", a["expert"], b["expert"]);
  // An imported official dataset does not know its amateur (official import writes "(unknown: ...)").
  const bool amateur_known = dataset.amateur.path.rfind("(unknown", 0) != 0;
  if (!run.amateur.path.empty() && amateur_known) compare_identity(out, "amateur", a["amateur"], b["amateur"]);
  compare(out, "tokenizer_fingerprint", a["tokenizer_fingerprint"], b["tokenizer_fingerprint"]);
  // Only what the dataset recorded: an imported one knows its prompt, not how it was sampled.
  for (const auto& d : config::setting_differences(dataset.settings, run.settings, /*recorded_keys_only=*/true))
    out.push_back(config::describe_difference(d, "dataset has"));
  return out;
}

void check_meta_compatible(const ContrastMeta& dataset, const ContrastMeta& run, MetaUse use,
                           const std::filesystem::path& meta_path) {
  const auto mismatches = meta_mismatches(dataset, run, use);
  if (mismatches.empty()) return;
  std::string list;
  for (const auto& m : mismatches) list += "\n  " + m;
  const char* command = use == MetaUse::kTrain ? "train" : "sample";
  LR_FAIL(meta_path.string() << ": the dataset beside it was made with other settings than this run's; refusing to "
                             << (use == MetaUse::kTrain ? "train on it" : "resume into it") << " (" << mismatches.size()
                             << " difference(s)):" << list << "\nTo go on, choose another output_dir, set the "
                             << "settings back, or pass `" << command
                             << " --resample` to discard this dataset and sample again with this run's settings.");
}

std::optional<StepFilter> selection_filter(const ContrastMeta& dataset, const ContrastMeta& run) {
  ContrastMeta same = run;  // the run with the dataset's selection: anything else left over is not a filter
  for (const char* key : {"selection", "sample"}) {
    if (!dataset.settings.contains(key) || !run.settings.contains(key)) return std::nullopt;
  }
  same.settings["selection"] = dataset.settings["selection"];
  same.settings["sample"]["skip_first_step"] = dataset.settings["sample"]["skip_first_step"];
  if (!meta_mismatches(dataset, same, MetaUse::kTrain).empty()) return std::nullopt;
  const bool was_on = meta_setting(dataset, "selection.enabled").get<bool>();
  const bool is_on = meta_setting(run, "selection.enabled").get<bool>();
  const double was_beta = meta_setting(dataset, "selection.beta").get<double>();
  const double is_beta = meta_setting(run, "selection.beta").get<double>();
  const bool was_skip = meta_setting(dataset, "sample.skip_first_step").get<bool>();
  const bool is_skip = meta_setting(run, "sample.skip_first_step").get<bool>();
  if (was_on && (!is_on || is_beta < was_beta)) return std::nullopt;  // would need steps that were dropped
  if (was_skip && !is_skip) return std::nullopt;
  StepFilter filter;
  filter.by_beta = is_on && (!was_on || is_beta != was_beta);
  filter.beta = is_beta;
  filter.skip_first_step = is_skip && !was_skip;
  if (!filter.by_beta && !filter.skip_first_step) return std::nullopt;  // no difference at all
  std::string text;
  if (filter.by_beta)
    text += was_on ? fmt::format("selection.beta {} -> {}", was_beta, is_beta)
                   : fmt::format("selection.enabled false -> true (beta {})", is_beta);
  if (filter.skip_first_step) text += std::string(text.empty() ? "" : ", ") + "sample.skip_first_step false -> true";
  filter.description = text;
  return filter;
}

int64_t apply_step_filter(std::vector<ContrastRecord>& records, const StepFilter& filter) {
  int64_t kept = 0;
  for (auto& record : records) {
    auto& steps = record.steps;
    steps.erase(std::remove_if(steps.begin(), steps.end(),
                               [&](const ContrastStep& s) {
                                 return (filter.by_beta && s.kl < filter.beta) || (filter.skip_first_step && s.t == 0);
                               }),
                steps.end());
    kept += static_cast<int64_t>(steps.size());
  }
  return kept;
}

}  // namespace lightreasoner::contrast
