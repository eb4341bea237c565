// The lineage world's general / math / instruct corpora (see corpora.h): text assembled from the
// generator's problems plus seeded arithmetic facts. No file I/O here.
#include "lightreasoner/world/corpora.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "lightreasoner/core/error.h"
#include "lightreasoner/core/shuffle.h"

namespace lightreasoner::world {
namespace {

// core/shuffle.h's splitmix64 stream (std:: distributions differ between platforms).
uint64_t mix(uint64_t& state) { return splitmix64(state); }
int64_t between(uint64_t& state, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(mix(state) % static_cast<uint64_t>(hi - lo + 1));
}

// Fisher–Yates with modulo draws from the running stream. Not core/shuffle.h's seeded_shuffle
// (unbiased draws, its own seed): the published lineage-world results were made with these draws.
template <class T>
void shuffle_in_place(std::vector<T>& items, uint64_t& state) {
  for (size_t i = items.size(); i-- > 1;) std::swap(items[i], items[static_cast<size_t>(mix(state) % (i + 1))]);
}
std::vector<size_t> shuffled_indices(size_t n, uint64_t& state) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  shuffle_in_place(order, state);
  return order;
}

// One step of the stories' arithmetic: operands and results in the stories' ranges (two digits,
// small counts 2..9 for products and quotients).
std::string fact(uint64_t& state) {
  const std::string s[] = {" + ", " - ", " * ", " / "};
  const int64_t op = between(state, 0, 3);
  int64_t a = 0, b = 0, c = 0;
  if (op == 0) {
    a = between(state, 10, 89), b = between(state, 10, 99 - a), c = a + b;
  } else if (op == 1) {
    a = between(state, 20, 99), b = between(state, 10, a - 10), c = a - b;
  } else if (op == 2) {
    a = between(state, 2, 9), b = between(state, 10, 99 / a), c = a * b;
    if (mix(state) % 2) std::swap(a, b);
  } else {
    b = between(state, 2, 9), c = between(state, 10, 99 / b), a = b * c;
  }
  return std::to_string(a) + s[op] + std::to_string(b) + " = " + std::to_string(c) + ".";
}

}  // namespace

std::string worked_solution(const WorldProblem& problem) {
  const auto cut = problem.answer.rfind("#### ");
  LR_CHECK(cut != std::string::npos, "world problem '" << problem.id << "': answer without '#### N'");
  return problem.answer.substr(0, cut) + "The answer is " + std::to_string(problem.result) + ".";
}

LineageCorpora lineage_corpora(const std::vector<WorldProblem>& train, const LineageOptions& options) {
  LR_CHECK(options.fact_documents >= 0, "world corpora: fact documents must be >= 0");
  LR_CHECK(options.math_general_share >= 0 && options.math_general_share < 1,
           "world corpora: the general share of the math corpus must be in [0, 1), got " << options.math_general_share);
  LR_CHECK(options.reasoned_answer_share >= 0 && options.reasoned_answer_share <= 1,
           "world corpora: the reasoned share of the question/answer documents must be in [0, 1], got "
               << options.reasoned_answer_share);
  // Which question/answer documents carry a worked answer: the first round(share * count) of a
  // seeded order of them (its own stream, so the facts and shuffles below do not move with it).
  const size_t qa_count = (train.size() + 1) / 2;
  std::vector<bool> reasoned(qa_count, false);
  uint64_t pick = options.seed * 0x9E3779B97F4A7C15ULL + 29;
  const auto picked = shuffled_indices(qa_count, pick);
  const auto k = static_cast<size_t>(std::llround(options.reasoned_answer_share * static_cast<double>(qa_count)));
  for (size_t j = 0; j < k; ++j) reasoned[picked[j]] = true;
  LineageCorpora c;
  for (size_t i = 0; i < train.size(); ++i) {
    const auto& p = train[i];
    c.general.push_back({p.id + "-story", "", p.question});
    if (i % 2 == 0) {
      const bool worked = reasoned[i / 2];
      const std::string answer = worked ? worked_solution(p) : std::to_string(p.result);
      // A document, trained whole, in either corpus.
      auto& corpus = worked && options.reasoned_answers_in == ReasonedAnswersIn::math ? c.math : c.general;
      corpus.push_back({p.id + "-qa", "", "Question: " + p.question + "\nAnswer: " + answer});
    } else {
      // The question framed as in the general corpus, the worked solution after "Solution:"; only the
      // solution is supervised (what the expert must learn is solving, not the questions).
      c.math.push_back({p.id + "-solution", "Question: " + p.question + "\nSolution:", " " + worked_solution(p)});
      c.instruct.push_back({p.id + "-instruct", "Question: " + p.question + "\nAnswer:", " " + worked_solution(p)});
    }
  }
  uint64_t state = options.seed * 0x9E3779B97F4A7C15ULL + 17;
  for (int64_t d = 0; d < options.fact_documents; ++d) {
    std::string text;
    for (int k = 0; k < 5; ++k) text += (k ? " " : "") + fact(state);
    c.general.push_back({"fact-" + std::to_string(d), "", text});
  }
  // The math corpus: its solutions (and, with ReasonedAnswersIn::math, the worked question/answer
  // documents) plus general documents making up math_general_share of it, drawn without replacement
  // in a seeded order.
  const auto own = static_cast<double>(c.math.size());
  auto wanted = static_cast<int64_t>(own * options.math_general_share / (1.0 - options.math_general_share));
  wanted = std::min<int64_t>(wanted, static_cast<int64_t>(c.general.size()));
  const auto order = shuffled_indices(c.general.size(), state);
  for (int64_t j = 0; j < wanted; ++j) c.math.push_back(c.general[order[static_cast<size_t>(j)]]);
  // Interleave: a seeded shuffle, so a prefix of the file is a fair sample (the trainer shuffles too).
  for (auto* corpus : {&c.general, &c.math}) shuffle_in_place(*corpus, state);
  return c;
}

}  // namespace lightreasoner::world
