// The one problem loader of the training commands (contrast/problems.h) and its portable seeded
// shuffle (core/shuffle.h): splitmix64's published first output, a fixed permutation computed by
// an independent implementation (Python, same algorithm), the id rule, and data.shuffle honoured
// in the same order by sample's loader, sft's reference examples and sft's rejection sampling.
#include <algorithm>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/contrast/problems.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/shuffle.h"
#include "lightreasoner/pipeline/rejection.h"
#include "lightreasoner/train/sft.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;

namespace {

fs::path write_problems(const fs::path& dir, int n) {
  std::string text;
  for (int i = 0; i < n; ++i)
    text += nlohmann::json{{"question", "Lily had " + std::to_string(i) + " apples and found 4 more."},
                           {"answer", "She has " + std::to_string(i + 4) + ".\n#### " + std::to_string(i + 4)},
                           {"id", "p" + std::to_string(i)}}
                .dump() +
            "\n";
  write_file_atomic(dir / "problems.jsonl", text);
  return dir / "problems.jsonl";
}

}  // namespace

TEST(Shuffle, SplitMix64AndTheSeededPermutationAreFixedNumbers) {
  uint64_t state = 0;
  EXPECT_EQ(splitmix64(state), 0xE220A8397B1DCDAFULL);  // the reference implementation's first output for seed 0
  EXPECT_EQ(seeded_permutation(10, 42), (std::vector<int64_t>{0, 9, 5, 8, 6, 4, 7, 2, 1, 3}));
  EXPECT_EQ(seeded_permutation(10, 7), (std::vector<int64_t>{8, 1, 5, 9, 0, 4, 3, 2, 6, 7}));
  // Bounded draws stay in range and reach every value.
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 700; ++i) ++seen[bounded_draw(state, 7)];
  for (int count : seen) EXPECT_GT(count, 50);
}

TEST(Problems, OneIdRuleAndErrorsNameTheLine) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "p.jsonl", "{\"question\": \"a\", \"id\": \"x\"}\n{\"problem\": \"b\", \"idx\": 7}\n"
                                     "{\"input\": \"c\", \"answer\": \"#### 1\"}\n");
  auto set = contrast::load_problems(dir / "p.jsonl", 0, false, 0, io::BadRecordPolicy::kStop);
  ASSERT_EQ(set.problems.size(), 3u);
  EXPECT_EQ(set.problems[0].id, "x");
  EXPECT_EQ(set.problems[1].id, "7");
  EXPECT_EQ(set.problems[2].id, "line-3");
  EXPECT_FALSE(set.problems[0].solution);
  EXPECT_EQ(set.problems[2].solution, "#### 1");
  write_file_atomic(dir / "dup.jsonl", "{\"question\": \"a\", \"id\": 1}\n{\"question\": \"b\", \"idx\": \"1\"}\n");
  EXPECT_LR_ERROR(contrast::load_problems(dir / "dup.jsonl", 0, false, 0, io::BadRecordPolicy::kStop),
                  "dup.jsonl:2: duplicate problem id '1'");
  write_file_atomic(dir / "float.jsonl", "{\"question\": \"a\", \"id\": 1.5}\n");
  EXPECT_LR_ERROR(contrast::load_problems(dir / "float.jsonl", 0, false, 0, io::BadRecordPolicy::kStop),
                  "float.jsonl:1: field 'id' must be a string or an integer");
}

TEST(Problems, DataShuffleGivesTheSameOrderToSampleSftAndRejectionSampling) {
  auto dir = lrtest::temp_dir();
  auto path = write_problems(dir, 10);
  auto config = config::load_run_config("", {"data.path=" + path.string(), "data.shuffle=true", "data.max_problems=4",
                                             "seed=42", "prompt.template=question-answer", "expert.path=" + dir.string(),
                                             "output_dir=" + (dir / "run").string()});
  // The permutation of seed 42 above: 0, 9, 5, 8, ...
  const std::vector<std::string> expected = {"p0", "p9", "p5", "p8"};
  std::vector<std::string> ids;
  for (const auto& p : contrast::load_problems(config.data, config.seed).problems) ids.push_back(p.id);
  EXPECT_EQ(ids, expected);
  ids.clear();
  for (const auto& ex : train::load_sft_examples(config.data, config.seed)) ids.push_back(ex.id);
  EXPECT_EQ(ids, expected);
  // Rejection sampling: every scripted rollout is right, so every problem is kept, in order.
  eval::CompletionSource source;
  source.name = "scripted";
  source.batch_size = 3;
  source.complete = [](const std::vector<const eval::EvalItem*>& batch) {
    std::vector<eval::Completion> out;
    for (const auto* item : batch) {
      eval::Completion c;
      c.text = "so the answer is " + item->example->gold;
      c.finish_reason = "stop";
      out.push_back(c);
    }
    return out;
  };
  auto report = pipeline::rejection_sample_from(source, config);
  ids.clear();
  for (const auto& ex : report.examples) ids.push_back(ex.id);
  EXPECT_EQ(ids, expected);
  // Without shuffling: file order.
  config.data.shuffle = false;
  ids.clear();
  for (const auto& ex : train::load_sft_examples(config.data, config.seed)) ids.push_back(ex.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"p0", "p1", "p2", "p3"}));
}
