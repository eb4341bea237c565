// Batched generation on a tiny random Qwen2: eos ends a row (and only that row), compaction and
// the check interval do not change results, log-probs equal a teacher-forced forward, seeded
// sampling is reproducible, the stop hook works, bad prompts are clear errors; plus the `init`
// and `generate` commands end to end.
#include <gtest/gtest.h>

#include "lightreasoner/generate/generator.h"
#include "model_support.h"

namespace {

using namespace lightreasoner;
using lrtest::max_abs_diff;

const std::vector<std::vector<int64_t>> kPrompts = {{3, 17, 250}, {8, 90, 91, 400, 5, 6, 7}, {300, 2, 44, 45, 46}};

class Generate : public ::testing::Test {
 protected:
  void SetUp() override { lm_ = lrtest::load_tiny(lrtest::make_tiny_model("qwen2")); }
  generate::GenerationResult run(const std::vector<std::vector<int64_t>>& prompts, generate::GenerationOptions options) {
    return generate::generate(*lm_, prompts, options);
  }
  std::shared_ptr<model::CausalLM> lm_;
};

TEST_F(Generate, EosEndsOnlyItsRowAndCompactionKeepsTheOthersExact) {
  generate::GenerationOptions options;
  options.max_new_tokens = 10;
  auto free_run = run(kPrompts, options);
  for (const auto& c : free_run.completions) EXPECT_EQ(c.finish, generate::FinishReason::kLength);
  // Use the 4th token of row 1 as eos: row 1 must stop right there, the other rows are untouched
  // unless they emit that id themselves.
  const int64_t eos = free_run.completions[1].ids[3];
  options.eos_token_ids = {eos};
  auto stopped = run(kPrompts, options);
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    const auto& before = free_run.completions[i].ids;
    auto end = std::find(before.begin(), before.end(), eos);
    std::vector<int64_t> expected(before.begin(), end == before.end() ? end : end + 1);
    EXPECT_EQ(stopped.completions[i].ids, expected) << "row " << i;
    EXPECT_EQ(stopped.completions[i].finish,
              end == before.end() ? generate::FinishReason::kLength : generate::FinishReason::kEos);
  }
  EXPECT_EQ(stopped.completions[1].ids.size(), 4u);
  EXPECT_LT(stopped.stats.new_tokens, free_run.stats.new_tokens);
  // Checking for finished rows only every 4 steps (as on a GPU) gives the same ids.
  options.check_every = 4;
  auto lazy = run(kPrompts, options);
  for (size_t i = 0; i < kPrompts.size(); ++i) EXPECT_EQ(lazy.completions[i].ids, stopped.completions[i].ids);
}

TEST_F(Generate, LogprobsEqualATeacherForcedForward) {
  generate::GenerationOptions options;
  options.max_new_tokens = 6;
  options.return_logprobs = true;
  options.sampling.temperature = 0.8;  // sampled ids; log-probs are still the raw temperature-1 ones
  options.seed = 5;
  auto result = run(kPrompts, options);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    const auto& c = result.completions[i];
    std::vector<int64_t> all = kPrompts[i];
    all.insert(all.end(), c.ids.begin(), c.ids.end());
    auto logp = lm_->logits(lm_->forward(torch::tensor(all, torch::kInt64).unsqueeze(0))).squeeze(0).log_softmax(-1);
    ASSERT_EQ(c.logprobs.size(), c.ids.size());
    for (size_t t = 0; t < c.ids.size(); ++t) {
      const int64_t position = static_cast<int64_t>(kPrompts[i].size() + t) - 1;  // predicts token t
      EXPECT_NEAR(c.logprobs[t], logp[position][c.ids[t]].item<double>(), 1e-4) << "row " << i << " step " << t;
    }
  }
}

TEST_F(Generate, SeededSamplingIsReproducible) {
  generate::GenerationOptions options;
  options.max_new_tokens = 12;
  options.sampling = {1.0, 50, 0.95, 0.0};
  options.seed = 11;
  auto a = run(kPrompts, options), b = run(kPrompts, options);
  options.seed = 12;
  auto c = run(kPrompts, options);
  bool any_difference = false;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(a.completions[i].ids, b.completions[i].ids);
    any_difference |= a.completions[i].ids != c.completions[i].ids;
  }
  EXPECT_TRUE(any_difference);
  options.sampling = {};
  auto greedy = run(kPrompts, options);
  bool differs_from_greedy = false;
  for (size_t i = 0; i < kPrompts.size(); ++i) differs_from_greedy |= a.completions[i].ids != greedy.completions[i].ids;
  EXPECT_TRUE(differs_from_greedy);
}

TEST_F(Generate, StopCheckHookEndsARow) {
  generate::GenerationOptions options;
  options.max_new_tokens = 10;
  auto free_run = run(kPrompts, options);
  // A fake "decoder": ids joined by spaces. Stop row 0 once its third token appears.
  const std::string needle = " " + std::to_string(free_run.completions[0].ids[2]) + " ";
  options.stop_check = generate::stop_strings_check({needle}, [](const std::vector<int64_t>& ids) {
    std::string text = " ";
    for (auto id : ids) text += std::to_string(id) + " ";
    return text;
  });
  auto stopped = run(kPrompts, options);
  EXPECT_EQ(stopped.completions[0].finish, generate::FinishReason::kStop);
  EXPECT_LE(stopped.completions[0].ids.size(), 3u);
  EXPECT_EQ(stopped.completions[0].ids,
            std::vector<int64_t>(free_run.completions[0].ids.begin(),
                                 free_run.completions[0].ids.begin() + stopped.completions[0].ids.size()));
  // Checked in windows (as on an accelerator: every 4 steps) the rows end at the same token.
  for (int64_t every : {2, 4, 7}) {
    options.check_every = every;
    auto windowed = run(kPrompts, options);
    for (size_t i = 0; i < kPrompts.size(); ++i) {
      EXPECT_EQ(windowed.completions[i].ids, stopped.completions[i].ids) << "row " << i << ", every " << every;
      EXPECT_EQ(windowed.completions[i].finish, stopped.completions[i].finish) << "row " << i << ", every " << every;
    }
  }
}

TEST_F(Generate, BadPromptsAreClearErrors) {
  generate::GenerationOptions options;
  EXPECT_LR_ERROR(run({}, options), "at least one prompt");
  EXPECT_LR_ERROR(run({{1, 2}, {}}, options), "prompt 1 is empty");
  EXPECT_LR_ERROR(run({{1, 512}}, options), "prompt 0 token 1 has id 512, outside the vocabulary [0, 512)");
  options.max_new_tokens = 0;
  EXPECT_LR_ERROR(run({{1}}, options), "max_new_tokens must be > 0");
}

TEST(GenerateCli, InitThenGenerate) {
  const auto dir = lrtest::temp_dir("model");
  auto init = lrtest::run_binary("init --arch qwen3 --size tiny --seed 3 --std 0.1 --dtype bf16 --out '" + dir.string() + "'");
  ASSERT_EQ(init.exit_code, 0) << init.output;
  auto config = model::load_model_config(dir);
  EXPECT_EQ(config.architecture, "Qwen3ForCausalLM");
  EXPECT_EQ(config.torch_dtype, "bfloat16");
  auto lm = model::load_model(dir, {torch::kFloat32, torch::kCPU});
  generate::GenerationOptions options;
  options.max_new_tokens = 5;
  options.eos_token_ids = model::load_generation_defaults(dir, config).eos_token_ids;
  auto expected = generate::generate(*lm, {{1, 2, 3}}, options).completions[0].ids;
  std::string expected_text;
  for (auto id : expected) expected_text += (expected_text.empty() ? "" : " ") + std::to_string(id);

  auto gen = lrtest::run_binary("--threads 2 generate --model '" + dir.string() +
                                "' --dtype f32 --prompt-ids '1 2 3' --prompt-ids '7' --max-new-tokens 5");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  EXPECT_NE(gen.output.find("[0] "), std::string::npos) << gen.output;
  EXPECT_NE(gen.output.find(": " + expected_text + "\n"), std::string::npos) << gen.output;
  EXPECT_NE(gen.output.find("tokens/s"), std::string::npos) << gen.output;

  auto bad = lrtest::run_binary("generate --model '" + dir.string() + "' --prompt-ids '1 two'");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("'two' is not an integer token id"), std::string::npos) << bad.output;
  auto bad_size = lrtest::run_binary("init --size enormous --out '" + dir.string() + "/x'");
  EXPECT_NE(bad_size.exit_code, 0);
  auto wrong_arch = lrtest::run_binary("init --arch llama --size qwen2.5-0.5b --out '" + dir.string() + "/y'");
  EXPECT_NE(wrong_arch.exit_code, 0);
  EXPECT_NE(wrong_arch.output.find("is a qwen2 model"), std::string::npos) << wrong_arch.output;
}

}  // namespace
