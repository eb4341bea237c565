// contrast.meta.json mapping, atomic write, validated read and the dataset/run compatibility check.
#include "lightreasoner/contrast/meta.h"

#include "lightreasoner/contrast/decoding.h"


#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

namespace {

using io::Json;

Json identity_to_json(const ModelIdentity& id) {
  return Json{{"path", id.path}, {"config_hash", id.config_hash}, {"weights_checksum", id.weights_checksum}};
}

// Typed read of `key` from `object`, naming where/key on a missing or mistyped value.
template <class T>
T get(const Json& object, const std::string& key, const std::string& where) {
  auto it = object.find(key);
  LR_CHECK(it != object.end(), where << ": missing key '" << key << "'");
  try {
    return it->get<T>();
  } catch (const Json::exception&) {
    LR_FAIL(where << ": key '" << key << "' has the wrong type (got " << it->dump().substr(0, 60) << ")");
  }
}

ModelIdentity identity_from_json(const Json& object, const std::string& key, const std::string& where) {
  const Json section = get<Json>(object, key, where);
  const std::string inner = where + " '" + key + "'";
  LR_CHECK(section.is_object(), inner << " must be an object");
  return {get<std::string>(section, "path", inner), get<std::string>(section, "config_hash", inner),
          get<std::string>(section, "weights_checksum", inner)};
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

}  // namespace

ContrastMeta meta_from_config(const config::RunConfig& config) {
  ContrastMeta meta;
  meta.program_version = LR_VERSION;
  meta.expert.path = config.expert.path;
  meta.amateur.path = config.amateur.path;
  meta.template_name = config.prompt.template_name;
  meta.system_prompt = config.prompt.system;
  meta.alpha = config.target.alpha;
  meta.beta = config.selection.beta;
  meta.selection_enabled = config.selection.enabled;
  meta.skip_first_step = config.sample.skip_first_step;
  meta.target_kind = config.target.kind;
  meta.decoding = resolved_decoding(config);
  meta.data_path = config.data.path;
  meta.max_problems = config.data.max_problems;
  meta.shuffle = config.data.shuffle;
  return meta;
}

Json meta_to_json(const ContrastMeta& meta) {
  Json j = Json::object();
  j["format"] = "lightreasoner-contrast";
  j["format_version"] = meta.format_version;
  j["program_version"] = meta.program_version;
  j["expert"] = identity_to_json(meta.expert);
  j["amateur"] = identity_to_json(meta.amateur);
  j["tokenizer_fingerprint"] = meta.tokenizer_fingerprint;
  j["template"] = meta.template_name;
  j["system_prompt"] = meta.system_prompt ? Json(*meta.system_prompt) : Json(nullptr);
  j["alpha"] = meta.alpha;
  j["beta"] = meta.beta;
  j["selection_enabled"] = meta.selection_enabled;
  j["skip_first_step"] = meta.skip_first_step;
  j["target_kind"] = meta.target_kind;
  const auto& d = meta.decoding;
  j["decoding"] = Json{{"max_new_tokens", d.max_new_tokens}, {"temperature", d.temperature}, {"top_p", d.top_p},
                       {"top_k", d.top_k}, {"min_p", d.min_p}, {"seed", d.seed}};
  j["data"] = Json{{"path", meta.data_path}, {"max_problems", meta.max_problems}, {"shuffle", meta.shuffle}};
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
  LR_CHECK(j.is_object(), where << ": the meta file must hold a JSON object");
  LR_CHECK(get<std::string>(j, "format", where) == "lightreasoner-contrast",
           where << ": key 'format' must be \"lightreasoner-contrast\" (got " << j["format"].dump() << ")");
  ContrastMeta meta;
  meta.format_version = get<int>(j, "format_version", where);
  LR_CHECK(meta.format_version >= 1 && meta.format_version <= kContrastFormatVersion,
           where << ": format_version " << meta.format_version << " is not supported by this program (reads 1.."
                 << kContrastFormatVersion << ")");
  meta.program_version = get<std::string>(j, "program_version", where);
  meta.expert = identity_from_json(j, "expert", where);
  meta.amateur = identity_from_json(j, "amateur", where);
  meta.tokenizer_fingerprint = get<std::string>(j, "tokenizer_fingerprint", where);
  meta.template_name = get<std::string>(j, "template", where);
  const Json system_prompt = get<Json>(j, "system_prompt", where);
  LR_CHECK(system_prompt.is_null() || system_prompt.is_string(), where << ": key 'system_prompt' must be a string or null");
  if (system_prompt.is_string()) meta.system_prompt = system_prompt.get<std::string>();
  meta.alpha = get<double>(j, "alpha", where);
  meta.beta = get<double>(j, "beta", where);
  meta.selection_enabled = get<bool>(j, "selection_enabled", where);
  meta.skip_first_step = get<bool>(j, "skip_first_step", where);
  meta.target_kind = get<std::string>(j, "target_kind", where);
  const Json decoding = get<Json>(j, "decoding", where);
  const std::string dw = where + " 'decoding'";
  meta.decoding = {get<int>(decoding, "max_new_tokens", dw), get<double>(decoding, "temperature", dw),
                   get<double>(decoding, "top_p", dw),       get<int>(decoding, "top_k", dw),
                   get<double>(decoding, "min_p", dw),       get<int64_t>(decoding, "seed", dw)};
  const Json data = get<Json>(j, "data", where);
  meta.data_path = get<std::string>(data, "path", where + " 'data'");
  meta.max_problems = get<int64_t>(data, "max_problems", where + " 'data'");
  meta.shuffle = get<bool>(data, "shuffle", where + " 'data'");
  const Json counts = get<Json>(j, "counts", where);
  const std::string cw = where + " 'counts'";
  meta.counts = {get<int64_t>(counts, "problems", cw),          get<int64_t>(counts, "problems_skipped", cw),
                 get<int64_t>(counts, "rollouts", cw),          get<int64_t>(counts, "completion_tokens", cw),
                 get<int64_t>(counts, "steps_scored", cw),      get<int64_t>(counts, "steps_selected", cw)};
  meta.wall_seconds = get<double>(j, "wall_seconds", where);
  meta.rollout_tokens_per_second = get<double>(j, "rollout_tokens_per_second", where);
  meta.scored_tokens_per_second = get<double>(j, "scored_tokens_per_second", where);
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

std::vector<std::string> meta_mismatches(const ContrastMeta& dataset, const ContrastMeta& run, MetaUse use) {
  const Json a = meta_to_json(dataset), b = meta_to_json(run);
  std::vector<std::string> out;
  compare_identity(out, "expert", a["expert"], b["expert"]);
  for (const char* key : {"tokenizer_fingerprint", "template", "system_prompt"}) compare(out, key, a[key], b[key]);
  if (use == MetaUse::kTrain) return out;
  compare_identity(out, "amateur", a["amateur"], b["amateur"]);
  for (const char* key : {"alpha", "beta", "selection_enabled", "skip_first_step", "target_kind"})
    compare(out, key, a[key], b[key]);
  for (const std::string section : {"decoding", "data"})
    for (const auto& item : a[section].items()) compare(out, section + "." + item.key(), item.value(), b[section][item.key()]);
  return out;
}

void check_meta_compatible(const ContrastMeta& dataset, const ContrastMeta& run, MetaUse use,
                           const std::filesystem::path& meta_path) {
  const auto mismatches = meta_mismatches(dataset, run, use);
  if (mismatches.empty()) return;
  std::string list;
  for (const auto& m : mismatches) list += "\n  " + m;
  LR_FAIL(meta_path.string() << ": the dataset was made "
                             << (use == MetaUse::kTrain ? "for another model or prompt" : "with other settings")
                             << "; refusing to " << (use == MetaUse::kTrain ? "train on it" : "resume into it") << ":"
                             << list);
}

}  // namespace lightreasoner::contrast
