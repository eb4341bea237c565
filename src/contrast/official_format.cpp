// Official per-step jsonl ⇄ contrast.jsonl. Export is one line per selected step; import groups
// the steps of each prompt back into a rollout record and checks every prefix against the tokens.
#include "lightreasoner/contrast/official_format.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

namespace {

using io::Json;

struct OfficialStep {
  std::string where;
  int64_t step = 0;
  std::string prefix;
  std::vector<int64_t> token_ids;
  std::vector<double> weights;
  double kl = 0.0;
};

OfficialStep parse_official_line(const io::JsonlRecord& line) {
  OfficialStep s;
  s.where = line.where();
  const Json& step = line.field("step");
  LR_CHECK(step.is_number_integer() && step.get<int64_t>() >= 0,
           s.where << ": field 'step' must be a non-negative integer (got " << step.dump() << ")");
  s.step = step.get<int64_t>();
  s.prefix = line.string_field("prefix");
  const Json& kl = line.field("kl_divergence");
  LR_CHECK(kl.is_number(), s.where << ": field 'kl_divergence' must be a number");
  s.kl = kl.get<double>();
  s.token_ids = target_ids(line.field("token_ids"), "token_ids", s.where);
  s.weights = target_probabilities(line.field("weights"), "weights", s.token_ids.size(), s.where);
  return s;
}

std::vector<int64_t> head(const std::vector<int64_t>& ids, int64_t n) {
  return std::vector<int64_t>(ids.begin(), ids.begin() + std::min<int64_t>(n, static_cast<int64_t>(ids.size())));
}

void write_lines_atomic(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  AtomicFileWriter out(path);
  for (const std::string& line : lines) out.write(line + "\n");
  out.commit();
}

}  // namespace

std::vector<nlohmann::ordered_json> to_official_lines(const ContrastRecord& record, const DecodeFn& decode) {
  using Ordered = nlohmann::ordered_json;
  std::vector<Ordered> lines;
  const std::string prompt_id = record.question.value_or(record.id);
  for (const ContrastStep& step : record.steps) {
    Ordered tokens = Ordered::array();
    for (int64_t id : step.ids) tokens.push_back(decode({id}));
    Ordered line = Ordered::object();  // keys in the official script's order
    line["prompt_id"] = prompt_id;
    line["step"] = step.t;
    line["prefix"] = decode(head(record.completion_ids, step.t));
    line["tokens"] = std::move(tokens);
    line["token_ids"] = step.ids;
    line["weights"] = step.p;
    line["kl_divergence"] = step.kl;
    lines.push_back(std::move(line));
  }
  return lines;
}

OfficialExportStats export_official(const std::filesystem::path& contrast_path, const std::filesystem::path& out_path,
                                    const DecodeFn& decode) {
  OfficialExportStats stats;
  ContrastReader reader(contrast_path);
  AtomicFileWriter out(out_path);
  ContrastRecord record;
  while (reader.next(record)) {
    ++stats.records;
    if (!record.question) ++stats.records_without_question;
    for (const auto& line : to_official_lines(record, decode)) {
      out.write(line.dump() + "\n");
      ++stats.steps;
    }
  }
  out.commit();
  if (stats.records_without_question > 0)
    spdlog::warn("{} of {} records in {} have no 'question': their prompt_id is the record id, which the official "
                 "fine-tuning script would read as the question",
                 stats.records_without_question, stats.records, contrast_path.string());
  return stats;
}

std::vector<ContrastRecord> import_official(const std::filesystem::path& official_path, const EncodeFn& encode,
                                            const DecodeFn& decode, const PromptIdsFn& prompt_ids_of,
                                            OfficialImportStats* stats_out) {
  OfficialImportStats stats;
  std::vector<std::string> order;
  std::unordered_map<std::string, std::vector<OfficialStep>> by_prompt;
  io::JsonlReader reader(official_path, io::BadRecordPolicy::kStop);
  io::JsonlRecord line;
  while (reader.next(line)) {
    ++stats.lines;
    const std::string prompt_id = line.string_field("prompt_id");
    LR_CHECK(!prompt_id.empty(), line.where() << ": field 'prompt_id' is empty");
    auto [it, inserted] = by_prompt.try_emplace(prompt_id);
    if (inserted) order.push_back(prompt_id);
    it->second.push_back(parse_official_line(line));
  }

  std::vector<ContrastRecord> records;
  for (const std::string& prompt_id : order) {
    std::vector<OfficialStep>& steps = by_prompt[prompt_id];
    std::stable_sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
    for (size_t i = 1; i < steps.size(); ++i)
      LR_CHECK(steps[i].step != steps[i - 1].step,
               steps[i].where << ": step " << steps[i].step << " of this prompt already appeared at " << steps[i - 1].where);
    ContrastRecord record;
    record.id = prompt_id;
    record.question = prompt_id;
    record.prompt_ids = prompt_ids_of(prompt_id);
    LR_CHECK(!record.prompt_ids.empty(), steps[0].where << ": the prompt of this prompt_id encodes to no tokens");
    record.completion = steps.back().prefix;
    record.completion_ids = encode(record.completion);
    for (OfficialStep& s : steps) {
      const bool consistent = s.step <= static_cast<int64_t>(record.completion_ids.size()) &&
                              decode(head(record.completion_ids, s.step)) == s.prefix;
      if (!consistent) {
        if (stats.steps_dropped++ == 0) stats.first_dropped = s.where;
        continue;
      }
      ContrastStep step;
      step.t = s.step;
      step.kl = s.kl;
      step.ids = std::move(s.token_ids);
      step.p = std::move(s.weights);
      record.steps.push_back(std::move(step));
    }
    stats.steps += static_cast<int64_t>(record.steps.size());
    records.push_back(std::move(record));
  }
  stats.records = static_cast<int64_t>(records.size());
  if (stats.steps_dropped > 0)
    spdlog::warn("{}: dropped {} of {} steps whose prefix does not match the tokens of the longest prefix of the same "
                 "prompt (first at {})",
                 official_path.string(), stats.steps_dropped, stats.lines, stats.first_dropped);
  if (stats_out) *stats_out = stats;
  return records;
}

OfficialImportStats import_official_to(const std::filesystem::path& official_path,
                                       const std::filesystem::path& contrast_path, const EncodeFn& encode,
                                       const DecodeFn& decode, const PromptIdsFn& prompt_ids_of) {
  OfficialImportStats stats;
  std::vector<std::string> lines;
  for (const ContrastRecord& record : import_official(official_path, encode, decode, prompt_ids_of, &stats))
    lines.push_back(record_to_json(record).dump());
  write_lines_atomic(contrast_path, lines);
  return stats;
}

}  // namespace lightreasoner::contrast
