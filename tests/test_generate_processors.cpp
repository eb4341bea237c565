// Each logits processor on tiny hand-computed distributions, the HF order of the chain, and the
// selectors (greedy; seeded sampling: deterministic per seed, frequencies follow the probabilities).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "lightreasoner/generate/logits_processors.h"
#include "support.h"

namespace {

using namespace lightreasoner::generate;

// logits = log p for p = [0.5, 0.25, 0.15, 0.1] (one row).
torch::Tensor four_token_logits() { return torch::tensor({0.5, 0.25, 0.15, 0.1}).log().unsqueeze(0); }

std::vector<bool> kept(const torch::Tensor& logits) {
  std::vector<bool> out;
  for (int64_t i = 0; i < logits.size(-1); ++i) out.push_back(std::isfinite(logits[0][i].item<double>()));
  return out;
}

TEST(LogitsProcessors, TemperatureScalesLogits) {
  auto logits = torch::tensor({{2.0, -4.0, 1.0}});
  EXPECT_TRUE(torch::allclose(apply_temperature(logits, 2.0), torch::tensor({{1.0, -2.0, 0.5}})));
  EXPECT_TRUE(torch::equal(apply_temperature(logits, 1.0), logits));
  // T = 0.5 sharpens: softmax([4, -8, 2]) puts e^4 / (e^4 + e^-8 + e^2) = 0.8808 on the first token.
  EXPECT_NEAR(apply_temperature(logits, 0.5).softmax(-1)[0][0].item<double>(), 0.880797, 1e-5);
  EXPECT_LR_ERROR(apply_temperature(logits, 0.0), "temperature must be > 0");
}

TEST(LogitsProcessors, TopKKeepsTies) {
  auto logits = torch::tensor({{1.0, 3.0, 3.0, 2.0}});
  EXPECT_EQ(kept(apply_top_k(logits, 1)), std::vector<bool>({false, true, true, false}));  // both 3s tie
  EXPECT_EQ(kept(apply_top_k(logits, 3)), std::vector<bool>({false, true, true, true}));
  EXPECT_EQ(kept(apply_top_k(logits, 0)), std::vector<bool>({true, true, true, true}));   // off
  EXPECT_EQ(kept(apply_top_k(logits, 9)), std::vector<bool>({true, true, true, true}));   // k >= V
}

TEST(LogitsProcessors, TopPKeepsSmallestSetReachingP) {
  // ascending p = [.1, .15, .25, .5], cumulative [.1, .25, .5, 1]; drop cumulative <= 1 - top_p.
  auto logits = four_token_logits();
  EXPECT_EQ(kept(apply_top_p(logits, 0.8)), std::vector<bool>({true, true, true, false}));   // drop <= .2
  EXPECT_EQ(kept(apply_top_p(logits, 0.6)), std::vector<bool>({true, true, false, false}));  // drop <= .4
  EXPECT_EQ(kept(apply_top_p(logits, 0.3)), std::vector<bool>({true, false, false, false})); // drop <= .7
  EXPECT_EQ(kept(apply_top_p(logits, 0.01)), std::vector<bool>({true, false, false, false})); // top always stays
  EXPECT_EQ(kept(apply_top_p(logits, 1.0)), std::vector<bool>({true, true, true, true}));
  // Rows are independent: a second row with reversed order keeps its own nucleus.
  auto two = torch::cat({logits, logits.flip(-1)});
  auto out = apply_top_p(two, 0.6);
  EXPECT_TRUE(std::isinf(out[1][0].item<double>()) && std::isfinite(out[1][3].item<double>()) &&
              std::isfinite(out[1][2].item<double>()) && std::isinf(out[1][1].item<double>()));
}

TEST(LogitsProcessors, MinPScalesWithTopProbability) {
  auto logits = four_token_logits();
  EXPECT_EQ(kept(apply_min_p(logits, 0.4)), std::vector<bool>({true, true, false, false}));  // threshold .2
  EXPECT_EQ(kept(apply_min_p(logits, 0.6)), std::vector<bool>({true, false, false, false})); // threshold .3
  EXPECT_EQ(kept(apply_min_p(logits, 0.1)), std::vector<bool>({true, true, true, true}));    // threshold .05
}

TEST(LogitsProcessors, ChainRunsInHuggingFaceOrder) {
  // Temperature first: at T = 0.5 the probabilities become ∝ p² = [.25, .0625, .0225, .01] / .345
  // = [.7246, .1812, .0652, .0290]; then top-p 0.85 drops cumulative ascending (.029, .094) <= .15.
  SamplingParams params;
  params.temperature = 0.5;
  params.top_p = 0.85;
  EXPECT_EQ(kept(process_logits(four_token_logits(), params)), std::vector<bool>({true, true, false, false}));
  // Without the temperature, top-p 0.85 keeps three tokens (cumulative .1 <= .15, .25 is not).
  params.temperature = 1.0;
  EXPECT_EQ(kept(process_logits(four_token_logits(), params)), std::vector<bool>({true, true, true, false}));
  params.top_k = 1;
  EXPECT_EQ(kept(process_logits(four_token_logits(), params)), std::vector<bool>({true, false, false, false}));
}

TEST(LogitsProcessors, ValidateNamesTheField) {
  SamplingParams params;
  params.top_p = 0.0;
  EXPECT_LR_ERROR(params.validate(), "top_p must be in (0, 1]");
  params = {};
  params.min_p = 2.0;
  EXPECT_LR_ERROR(params.validate(), "min_p must be in [0, 1]");
  params = {};
  params.top_k = -1;
  EXPECT_LR_ERROR(params.validate(), "top_k must be >= 0");
}

TEST(Selectors, GreedyIsArgmaxPerRow) {
  auto logits = torch::tensor({{0.1, 2.0, -1.0}, {5.0, 2.0, 4.9}});
  EXPECT_TRUE(torch::equal(select_greedy(logits), torch::tensor({1, 0}, torch::kInt64)));
}

TEST(Selectors, SeededSamplingIsDeterministicAndFollowsTheDistribution) {
  const int64_t n = 20000;
  auto logits = four_token_logits().expand({n, 4}).contiguous();
  auto gen_a = make_generator(torch::kCPU, 1234);
  auto gen_b = make_generator(torch::kCPU, 1234);
  auto a = select_sample(logits, gen_a);
  auto b = select_sample(logits, gen_b);
  EXPECT_TRUE(torch::equal(a, b));  // same seed, same draws
  auto counts = torch::bincount(a, {}, 4).to(torch::kFloat64) / static_cast<double>(n);
  const std::vector<double> p = {0.5, 0.25, 0.15, 0.1};
  for (int64_t i = 0; i < 4; ++i) {
    // 5 standard errors: sqrt(p(1-p)/n) <= 0.0036.
    EXPECT_NEAR(counts[i].item<double>(), p[static_cast<size_t>(i)], 0.018) << "token " << i;
  }
  // Masked tokens are never drawn.
  SamplingParams params;
  params.temperature = 1.0;
  params.top_k = 2;
  auto gen_c = make_generator(torch::kCPU, 99);
  auto restricted = next_tokens(logits, params, gen_c);
  EXPECT_EQ(restricted.max().item<int64_t>(), 1);
  auto gen_d = make_generator(torch::kCPU, 4321);
  EXPECT_FALSE(torch::equal(select_sample(logits, gen_d), a));  // another seed, other draws
}

}  // namespace
