// The lineage world's corpora (scripts/lineage_world.sh), made from the world's train problems:
//  - general: question/answer documents ("Question: ...\nAnswer: 57"; a chosen share of them carries a
//    worked solution after "Answer:" instead, as web text now and then does), story documents (the
//    problems' text, no solution) and one-step arithmetic facts ("34 + 21 = 55.") — what a general
//    base model G is trained on;
//  - math: worked solutions after "Solution:" ("Question: ...\nSolution:" → " ...\nThe answer is
//    N.", the solution supervised), mixed with a share of the general documents — what the expert
//    E = G continued sees. Outside the reasoned share, no document puts a worked solution after
//    "Answer:". With ReasonedAnswersIn::math the reasoned question/answer documents are moved from
//    the general corpus to the math corpus: G never sees a worked answer after "Answer:", E does
//    (the paper's setting where the ancestor lacks the expert's reasoning mode);
//  - instruct: the question in the evaluation format with the worked solution as the completion
//    ("Question: ...\nAnswer:" → " ...\nThe answer is N.") — the stronger, format-tuned amateur's data.
// Every record is (prompt, text) for `sft` with the `plain` template: an empty prompt makes a
// document trained as a whole. Writes nothing; world_cmd.cpp writes the jsonl files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lightreasoner/world/problems.h"

namespace lightreasoner::world {

struct CorpusRecord {
  std::string id;
  std::string prompt;  // "" for a document
  std::string text;    // the supervised completion
};

// Which corpus holds the question/answer documents answered with a worked solution.
enum class ReasonedAnswersIn { general, math };

struct LineageOptions {
  uint64_t seed = 0;
  int64_t fact_documents = 4000;       // documents of 5 arithmetic facts each
  double math_general_share = 0.25;    // general documents mixed into the math corpus, as a share of it
  // Question/answer documents of the general corpus whose answer is a worked solution, as a share of
  // them. 0: every answer is the bare number (then nothing the expert learns makes it start a worked
  // solution after "Answer:", and LightReasoner has no latent mode to bring out; see docs/worlds.md).
  double reasoned_answer_share = 0;
  ReasonedAnswersIn reasoned_answers_in = ReasonedAnswersIn::general;
};

struct LineageCorpora {
  std::vector<CorpusRecord> general, math, instruct;
};

// The worked solution of a world problem without its "#### N" line, then "The answer is N."
std::string worked_solution(const WorldProblem& problem);

// Deterministic for (train, options). Question/answer documents use the even-indexed train problems,
// solution documents the odd-indexed ones (a question is never seen both answered and worked).
LineageCorpora lineage_corpora(const std::vector<WorldProblem>& train, const LineageOptions& options);

}  // namespace lightreasoner::world
