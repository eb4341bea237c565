// Problem jsonl reading for the training commands: the id rule, question/solution fields,
// empty-question and duplicate-id checks, the portable seeded shuffle.
#include "lightreasoner/contrast/problems.h"

#include <unordered_set>

#include "lightreasoner/core/error.h"
#include "lightreasoner/core/shuffle.h"

namespace lightreasoner::contrast {

std::string problem_id(const io::JsonlRecord& record) {
  for (const char* key : {"id", "idx"}) {
    if (!record.has(key)) continue;
    const auto& v = record.value.at(key);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    LR_FAIL(record.where() << ": field '" << key << "' must be a string or an integer (got " << v.dump() << ")");
  }
  return "line-" + std::to_string(record.line);
}

ProblemSet load_problems(const std::filesystem::path& path, int64_t max_problems, bool shuffle, uint64_t seed,
                         io::BadRecordPolicy policy) {
  ProblemSet set;
  io::JsonlReader reader(path, policy);
  io::JsonlRecord record;
  std::unordered_set<std::string> seen;
  while (reader.next(record)) {
    try {
      Problem p;
      p.question = record.first_string_field({"question", "problem", "input"});
      LR_CHECK(p.question.find_first_not_of(" \t\r\n") != std::string::npos, record.where() << ": empty question");
      for (const char* key : {"answer", "solution"}) {
        if (record.has(key) && record.field(key).is_string()) {
          p.solution = record.string_field(key);
          break;
        }
      }
      p.id = problem_id(record);
      LR_CHECK(seen.insert(p.id).second, record.where() << ": duplicate problem id '" << p.id
                                                        << "' (ids key the contrast dataset, resume and training order)");
      p.record = record;
      set.problems.push_back(std::move(p));
    } catch (const Error& e) {
      if (policy == io::BadRecordPolicy::kStop) throw;
      if (set.skipped++ == 0) set.skip_summary = e.what();
    }
    // Without shuffling, stop reading once enough problems are in hand.
    if (!shuffle && max_problems > 0 && static_cast<int64_t>(set.problems.size()) >= max_problems) break;
  }
  set.skipped += reader.bad_records();
  if (set.skip_summary.empty()) set.skip_summary = reader.summary();
  if (shuffle) seeded_shuffle(set.problems, seed);
  if (max_problems > 0 && static_cast<int64_t>(set.problems.size()) > max_problems) set.problems.resize(max_problems);
  return set;
}

ProblemSet load_problems(const config::DataConfig& data, int64_t seed) {
  LR_CHECK(!data.path.empty(), "data.path is not set (a problems .jsonl file)");
  return load_problems(data.path, data.max_problems, data.shuffle, static_cast<uint64_t>(seed),
                       io::parse_bad_record_policy(data.on_bad_record));
}

}  // namespace lightreasoner::contrast
