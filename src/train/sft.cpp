// SFT examples: the problems with reference solutions (the recipe is pipeline/sft.cpp).
#include "lightreasoner/train/sft.h"

#include <spdlog/spdlog.h>

#include "lightreasoner/contrast/problems.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::train {

std::vector<SftExample> load_sft_examples(const config::DataConfig& data, int64_t seed) {
  LR_CHECK(!data.path.empty(), "sft needs data.path (a problems .jsonl file with reference solutions)");
  const contrast::ProblemSet set = contrast::load_problems(data, seed);
  const bool skip_bad = data.on_bad_record == "skip";
  std::vector<SftExample> examples;
  int64_t skipped = 0;
  for (const auto& problem : set.problems) {
    if (!problem.solution || problem.solution->empty()) {
      const std::string why = problem.where() + (problem.solution ? ": empty reference solution"
                                                                  : ": no reference solution (field 'answer' or 'solution')");
      LR_CHECK(skip_bad, why);
      if (skipped++ == 0) spdlog::warn("sft: skipping bad record: {}", why);
      continue;
    }
    examples.push_back({problem.id, problem.question, *problem.solution, problem.where()});
  }
  if (skipped > 0 || set.skipped > 0)
    spdlog::warn("sft: {} record(s) without a usable question/solution skipped; {}", skipped + set.skipped,
                 set.skip_summary);
  return examples;
}

}  // namespace lightreasoner::train
