// Problem jsonl reading for `sample`: question/id fields, empty-question checks, seeded shuffle.
#include "lightreasoner/contrast/problems.h"

#include <algorithm>
#include <random>
#include <unordered_set>

#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

namespace {
std::string id_of(const io::JsonlRecord& record) {
  for (const char* key : {"id", "idx"}) {
    if (!record.has(key)) continue;
    const auto& v = record.value.at(key);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    LR_FAIL(record.where() << ": field '" << key << "' must be a string or an integer (got " << v.dump() << ")");
  }
  return "line-" + std::to_string(record.line);
}
}  // namespace

ProblemSet load_problems(const std::filesystem::path& path, int64_t max_problems, bool shuffle, uint64_t seed,
                         io::BadRecordPolicy policy) {
  ProblemSet set;
  io::JsonlReader reader(path, policy);
  io::JsonlRecord record;
  std::unordered_set<std::string> seen;
  while (reader.next(record)) {
    try {
      Problem p;
      p.where = record.where();
      p.question = record.first_string_field({"question", "problem", "input"});
      LR_CHECK(p.question.find_first_not_of(" \t\r\n") != std::string::npos, p.where << ": empty question");
      p.id = id_of(record);
      LR_CHECK(seen.insert(p.id).second, p.where << ": duplicate problem id '" << p.id
                                                 << "' (ids key the contrast dataset and resume)");
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
  if (shuffle) {
    std::mt19937_64 rng(seed);
    std::shuffle(set.problems.begin(), set.problems.end(), rng);
  }
  if (max_problems > 0 && static_cast<int64_t>(set.problems.size()) > max_problems) set.problems.resize(max_problems);
  return set;
}

}  // namespace lightreasoner::contrast
