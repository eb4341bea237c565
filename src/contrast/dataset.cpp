// contrast.jsonl records: mapping from driver results, JSON (de)serialisation with validation,
// streaming reader and batch-appending writer. Numbers are rounded to keep lines compact.
#include "lightreasoner/contrast/dataset.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

namespace {

using io::Json;

constexpr int kProbabilityDigits = 6;
constexpr int kStepKlDigits = 4;

nlohmann::ordered_json rounded(const std::vector<double>& values, int digits) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (double v : values) out.push_back(round_significant(v, digits));
  return out;
}

// The key is a literal: a std::string parameter would make every call bind the returned reference
// beside a temporary, which GCC 13+ reports as possibly dangling (-Wdangling-reference).
const Json& required(const Json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  LR_CHECK(it != object.end(), where << ": missing field '" << key << "'");
  return *it;
}

std::vector<int64_t> id_array(const Json& value, const std::string& key, const std::string& where) {
  LR_CHECK(value.is_array(), where << ": field '" << key << "' must be an array of token ids (got "
                                   << value.dump().substr(0, 60) << ")");
  std::vector<int64_t> ids;
  ids.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    LR_CHECK(value[i].is_number_integer() && value[i].get<int64_t>() >= 0,
             where << ": field '" << key << "'[" << i << "] must be a non-negative integer (got " << value[i].dump()
                   << ")");
    ids.push_back(value[i].get<int64_t>());
  }
  return ids;
}

std::vector<double> number_array(const Json& value, const std::string& key, const std::string& where) {
  LR_CHECK(value.is_array(), where << ": field '" << key << "' must be an array of numbers");
  std::vector<double> numbers;
  numbers.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    LR_CHECK(value[i].is_number() && std::isfinite(value[i].get<double>()),
             where << ": field '" << key << "'[" << i << "] must be a finite number (got " << value[i].dump() << ")");
    numbers.push_back(value[i].get<double>());
  }
  return numbers;
}

std::vector<double> probability_array(const Json& value, const std::string& key, size_t size,
                                      const std::string& where) {
  std::vector<double> p = number_array(value, key, where);
  LR_CHECK(p.size() == size, where << ": field '" << key << "' has " << p.size() << " entries for " << size << " token ids");
  for (size_t i = 0; i < p.size(); ++i)
    LR_CHECK(p[i] >= 0.0 && p[i] <= 1.0, where << ": field '" << key << "'[" << i << "] = " << p[i] << " is not in [0, 1]");
  return p;
}

ContrastStep step_from_json(const Json& json, size_t completion_length, const std::string& where) {
  LR_CHECK(json.is_object(), where << ": each step must be an object (got " << json.dump().substr(0, 60) << ")");
  ContrastStep step;
  const Json& t = required(json, "t", where);
  // t == completion length only in imported official data, whose rollout ends at the last prefix.
  LR_CHECK(t.is_number_integer() && t.get<int64_t>() >= 0 && t.get<int64_t>() <= static_cast<int64_t>(completion_length),
           where << ": field 't' must be an integer in [0, " << completion_length << "] (got " << t.dump() << ")");
  step.t = t.get<int64_t>();
  const Json& kl = required(json, "kl", where);
  LR_CHECK(kl.is_number() && std::isfinite(kl.get<double>()), where << ": field 'kl' must be a finite number");
  step.kl = kl.get<double>();
  const std::string at = where + " (step t=" + std::to_string(step.t) + ")";
  step.ids = target_ids(required(json, "ids", where), "ids", at);
  step.p = target_probabilities(required(json, "p", where), "p", step.ids.size(), at);
  if (json.contains("pe")) step.pe = probability_array(json["pe"], "pe", step.ids.size(), at);
  if (json.contains("pa")) step.pa = probability_array(json["pa"], "pa", step.ids.size(), at);
  if (json.contains("amateur_top_id")) {
    step.amateur_top_id = id_array(Json::array({json["amateur_top_id"]}), "amateur_top_id", at)[0];
    step.amateur_top_p = probability_array(Json::array({required(json, "amateur_top_p", where)}), "amateur_top_p", 1, at)[0];
  }
  return step;
}

}  // namespace

std::vector<int64_t> target_ids(const Json& value, const std::string& key, const std::string& where) {
  std::vector<int64_t> ids = id_array(value, key, where);
  LR_CHECK(!ids.empty(), where << ": field '" << key << "' is empty");
  for (size_t i = 1; i < ids.size(); ++i)
    LR_CHECK(ids[i] > ids[i - 1], where << ": field '" << key << "' must be strictly ascending (" << ids[i - 1]
                                        << " then " << ids[i] << ")");
  return ids;
}

std::vector<double> target_probabilities(const Json& value, const std::string& key, size_t size,
                                         const std::string& where) {
  std::vector<double> p = probability_array(value, key, size, where);
  double sum = 0;
  for (double x : p) sum += x;
  LR_CHECK(std::abs(sum - 1.0) < 1e-3, where << ": field '" << key << "' sums to " << sum << ", not 1");
  return p;
}

double round_significant(double x, int digits) {
  if (x == 0.0 || !std::isfinite(x)) return x;
  char text[32];
  std::snprintf(text, sizeof(text), "%.*g", digits, x);
  return std::strtod(text, nullptr);
}

void attach_contrast(ContrastRecord& record, const ContrastResult& result, int64_t first_position) {
  const auto length = static_cast<int64_t>(record.completion_ids.size());
  LR_CHECK(first_position >= 0 && first_position + length <= static_cast<int64_t>(result.kl.size()),
           "record '" << record.id << "': positions [" << first_position << ", " << first_position + length
                      << ") are outside the " << result.kl.size() << " scored positions");
  record.step_kl.assign(result.kl.begin() + first_position, result.kl.begin() + first_position + length);
  for (double& kl : record.step_kl) kl = round_significant(kl, kStepKlDigits);
  record.steps.clear();
  for (const StepTarget& target : result.selected) {
    if (target.position < first_position || target.position >= first_position + length) continue;
    ContrastStep step;
    step.t = target.position - first_position;
    step.kl = target.kl;
    step.ids = target.ids;
    step.p.assign(target.probs.begin(), target.probs.end());
    step.pe.assign(target.expert_probs.begin(), target.expert_probs.end());
    step.pa.assign(target.amateur_probs.begin(), target.amateur_probs.end());
    step.amateur_top_id = target.amateur_top_id;
    step.amateur_top_p = target.amateur_top_prob;
    record.steps.push_back(std::move(step));
  }
}

nlohmann::ordered_json record_to_json(const ContrastRecord& record) {
  using Ordered = nlohmann::ordered_json;
  Ordered out = Ordered::object();
  out["id"] = record.id;
  if (record.question) out["question"] = *record.question;
  out["prompt_ids"] = record.prompt_ids;
  out["completion_ids"] = record.completion_ids;
  out["completion"] = record.completion;
  if (!record.step_kl.empty()) out["step_kl"] = rounded(record.step_kl, kStepKlDigits);
  Ordered steps = Ordered::array();
  for (const ContrastStep& step : record.steps) {
    Ordered s = Ordered::object();
    s["t"] = step.t;
    s["kl"] = round_significant(step.kl, kProbabilityDigits);
    s["ids"] = step.ids;
    s["p"] = rounded(step.p, kProbabilityDigits);
    if (!step.pe.empty()) s["pe"] = rounded(step.pe, kProbabilityDigits);
    if (!step.pa.empty()) s["pa"] = rounded(step.pa, kProbabilityDigits);
    if (step.amateur_top_id) {
      s["amateur_top_id"] = *step.amateur_top_id;
      s["amateur_top_p"] = round_significant(step.amateur_top_p, kProbabilityDigits);
    }
    steps.push_back(std::move(s));
  }
  out["steps"] = std::move(steps);
  return out;
}

ContrastRecord record_from_json(const Json& json, const std::string& where) {
  LR_CHECK(json.is_object(), where << ": a contrast record must be a JSON object");
  ContrastRecord record;
  const Json& id = required(json, "id", where);
  LR_CHECK(id.is_string() && !id.get<std::string>().empty(), where << ": field 'id' must be a non-empty string");
  record.id = id.get<std::string>();
  if (json.contains("question")) {
    LR_CHECK(json["question"].is_string(), where << ": field 'question' must be a string");
    record.question = json["question"].get<std::string>();
  }
  record.prompt_ids = id_array(required(json, "prompt_ids", where), "prompt_ids", where);
  LR_CHECK(!record.prompt_ids.empty(), where << ": field 'prompt_ids' is empty");
  record.completion_ids = id_array(required(json, "completion_ids", where), "completion_ids", where);
  const Json& completion = required(json, "completion", where);
  LR_CHECK(completion.is_string(), where << ": field 'completion' must be a string");
  record.completion = completion.get<std::string>();
  if (json.contains("step_kl")) {
    record.step_kl = number_array(json["step_kl"], "step_kl", where);
    LR_CHECK(record.step_kl.empty() || record.step_kl.size() == record.completion_ids.size(),
             where << ": field 'step_kl' has " << record.step_kl.size() << " entries, 'completion_ids' has "
                   << record.completion_ids.size());
  }
  const Json& steps = required(json, "steps", where);
  LR_CHECK(steps.is_array(), where << ": field 'steps' must be an array");
  for (const Json& s : steps) {
    record.steps.push_back(step_from_json(s, record.completion_ids.size(), where));
    const size_t n = record.steps.size();
    LR_CHECK(n == 1 || record.steps[n - 1].t > record.steps[n - 2].t,
             where << ": steps must have strictly ascending 't' (" << record.steps[n - 2].t << " then "
                   << record.steps[n - 1].t << ")");
  }
  return record;
}

ContrastReader::ContrastReader(const std::filesystem::path& path) : reader_(path, io::BadRecordPolicy::kStop) {}

bool ContrastReader::next(ContrastRecord& record) {
  io::JsonlRecord line;
  if (!reader_.next(line)) return false;
  record = record_from_json(line.value, line.where());
  return true;
}

std::vector<ContrastRecord> read_contrast(const std::filesystem::path& path) {
  ContrastReader reader(path);
  std::vector<ContrastRecord> records;
  ContrastRecord record;
  while (reader.next(record)) records.push_back(std::move(record));
  return records;
}

std::unordered_set<std::string> contrast_record_ids(const std::filesystem::path& path) {
  std::unordered_set<std::string> ids;
  if (!std::filesystem::exists(path)) return ids;
  io::drop_torn_last_line(path);
  io::JsonlReader reader(path, io::BadRecordPolicy::kStop);
  io::JsonlRecord line;
  while (reader.next(line)) ids.insert(line.string_field("id"));
  return ids;
}

ContrastWriter::ContrastWriter(const std::filesystem::path& path, bool append) : writer_(path, append) {}

void ContrastWriter::write(const ContrastRecord& record) { writer_.write_line(record_to_json(record).dump()); }

void ContrastWriter::flush() { writer_.flush(); }

}  // namespace lightreasoner::contrast
