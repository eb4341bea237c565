// The worlds' data (docs/worlds.md): a seeded generator of GSM8K-style multi-step arithmetic word problems
// (several story templates, 2–4 reasoning steps, multi-digit numbers) with step-by-step
// solutions ending in "#### N", split into train and test by a hash of the question text so the
// splits are disjoint for every seed, plus a validation split from the train side (for choosing
// sizes and steps without looking at test). Writes nothing; world_cmd.cpp writes the jsonl files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lightreasoner::world {

struct WorldProblem {
  std::string id;          // "<split>-<n>"
  std::string question;    // the story and its question
  std::string answer;      // solution lines, then "#### N" (GSM8K's "answer" field)
  int64_t result = 0;      // N
  int steps = 0;           // arithmetic steps in the solution (2–4)
  std::string story;       // the template's name
};

struct WorldSplits {
  std::vector<WorldProblem> train, valid, test;
};

struct WorldOptions {
  uint64_t seed = 0;
  int64_t train_count = 4000;
  int64_t valid_count = 200;  // train-side questions not in train
  int64_t test_count = 300;
  int test_percent = 10;  // share of the question space that belongs to the test split
};

// Story templates, in the order the generator cycles through them.
std::vector<std::string> story_names();

// Deterministic for a seed (own PRNG and integer draws, no std:: distributions, so every platform
// gives the same files). A question lands in test iff hash(question) % 100 < test_percent; no
// question appears twice in the output; train-side questions fill train first, then valid. Throws Error when the counts cannot be reached.
WorldSplits generate_world(const WorldOptions& options);

// Every result of the arithmetic in `answer` ("a op b = c" lines) recomputed; returns the first
// mismatch as text, or "" when all lines and the final "#### N" agree. The generator's self-check.
std::string check_solution(const WorldProblem& problem);

}  // namespace lightreasoner::world
