// KL, selection, α-mask and soft targets against hand-computed values (docs/method.md#kl-and-selection), the
// official ε-formula, extreme logits, unequal vocabularies, and chunked = unchunked.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "lightreasoner/contrast/builder.h"
#include "lightreasoner/contrast/divergence.h"
#include "lightreasoner/contrast/targets.h"
#include "lightreasoner/pipeline/options.h"
#include "support.h"

namespace lr = lightreasoner::contrast;

namespace {

// One row of logits whose softmax is exactly `probs` (log p is a valid logit vector).
torch::Tensor logits_of(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (double p : probs) logits.push_back(static_cast<float>(std::log(p)));
  return torch::tensor(logits).unsqueeze(0);  // [1, V]
}

double kl_by_hand(const std::vector<double>& pe, const std::vector<double>& pa) {
  double kl = 0;
  for (size_t i = 0; i < pe.size(); ++i) kl += pe[i] * std::log(pe[i] / pa[i]);
  return kl;
}

lr::ContrastOptions options_with(lr::TargetKind kind, double alpha = 0.2, double beta = 0.4) {
  lr::ContrastOptions options;
  options.kind = kind;
  options.alpha = alpha;
  options.selection.beta = beta;
  return options;
}

// The worked example of docs/method.md (Targets): expert top-1 0.6 vs amateur 0.5 (ratio 1.2) and
// expert 0.15 vs amateur 0.001 (ratio 150). α = 0.2 → threshold 0.12 → mask {0, 1}.
const std::vector<double> kExampleExpert = {0.6, 0.15, 0.1, 0.1, 0.05};
const std::vector<double> kExampleAmateur = {0.5, 0.001, 0.2, 0.2, 0.099};

}  // namespace

TEST(ContrastMath, WorkedExampleMovesMassToTheContrastiveToken) {
  auto result = lr::build_contrast(logits_of(kExampleExpert), logits_of(kExampleAmateur), {},
                                   options_with(lr::TargetKind::kContrast));
  ASSERT_EQ(result.kl.size(), 1u);
  EXPECT_NEAR(result.kl[0], kl_by_hand(kExampleExpert, kExampleAmateur), 1e-5);
  ASSERT_EQ(result.selected.size(), 1u);  // KL ≈ 0.72 >= 0.4
  const auto& step = result.selected[0];
  ASSERT_EQ(step.ids, (std::vector<int64_t>{0, 1}));
  // softmax(log 1.2, log 150) = (1.2, 150) / 151.2
  EXPECT_NEAR(step.probs[0], 1.2 / 151.2, 1e-6);
  EXPECT_NEAR(step.probs[1], 150.0 / 151.2, 1e-6);
  EXPECT_GT(step.probs[1], 0.99);
  EXPECT_NEAR(step.expert_probs[1], 0.15, 1e-6);
  EXPECT_NEAR(step.amateur_probs[1], 0.001, 1e-7);
  EXPECT_EQ(step.amateur_top_id, 0);
  EXPECT_NEAR(step.amateur_top_prob, 0.5, 1e-6);
}

TEST(ContrastMath, ExpertAndOnehotTargetsOnTheWorkedExample) {
  auto expert = lr::build_contrast(logits_of(kExampleExpert), logits_of(kExampleAmateur), {},
                                   options_with(lr::TargetKind::kExpert));
  ASSERT_EQ(expert.selected.size(), 1u);
  ASSERT_EQ(expert.selected[0].ids, (std::vector<int64_t>{0, 1}));
  EXPECT_NEAR(expert.selected[0].probs[0], 0.6 / 0.75, 1e-6);
  EXPECT_NEAR(expert.selected[0].probs[1], 0.15 / 0.75, 1e-6);

  auto onehot = lr::build_contrast(logits_of(kExampleExpert), logits_of(kExampleAmateur), {},
                                   options_with(lr::TargetKind::kOnehot));
  ASSERT_EQ(onehot.selected.size(), 1u);
  EXPECT_EQ(onehot.selected[0].ids, (std::vector<int64_t>{0}));
  EXPECT_EQ(onehot.selected[0].probs, (std::vector<float>{1.0f}));
}

TEST(ContrastMath, MaskWithOnlyTheArgmaxGivesTheDegenerateLabel) {
  const std::vector<double> expert = {0.05, 0.9, 0.05};  // threshold 0.18: only id 1
  const std::vector<double> amateur = {0.8, 0.1, 0.1};
  for (auto kind : {lr::TargetKind::kContrast, lr::TargetKind::kExpert}) {
    auto result = lr::build_contrast(logits_of(expert), logits_of(amateur), {}, options_with(kind));
    ASSERT_EQ(result.selected.size(), 1u);
    EXPECT_EQ(result.selected[0].ids, (std::vector<int64_t>{1}));
    EXPECT_FLOAT_EQ(result.selected[0].probs[0], 1.0f);
  }
}

TEST(ContrastMath, MaskThresholdIsRelativeToTheExpertMaximum) {
  // max 0.5, α = 0.2 → keep p >= 0.1: ids 0 (0.5), 2 (0.11), 3 (0.3); not 1 (0.09).
  const std::vector<double> expert = {0.5, 0.09, 0.11, 0.3};
  torch::Tensor lp = logits_of(expert).log_softmax(-1);
  torch::Tensor mask = lr::plausibility_mask(lp, 0.2);
  EXPECT_TRUE(torch::equal(mask[0], torch::tensor({true, false, true, true})));
  EXPECT_TRUE(torch::equal(lr::plausibility_mask(lp, 1.0)[0], torch::tensor({true, false, false, false})));
  EXPECT_TRUE(torch::equal(lr::plausibility_mask(lp, 0.0)[0], torch::tensor({true, true, true, true})));
  EXPECT_LR_ERROR(lr::plausibility_mask(lp, 1.5), "alpha must be in [0, 1]");
}

TEST(ContrastMath, IdenticalDistributionsHaveZeroKl) {
  const std::vector<double> probs = {0.4, 0.3, 0.2, 0.1};  // mask (>= 0.08): all four
  auto contrast = lr::build_contrast(logits_of(probs), logits_of(probs), {},
                                     options_with(lr::TargetKind::kContrast, 0.2, /*beta=*/0.0));
  EXPECT_NEAR(contrast.kl[0], 0.0, 1e-7);
  ASSERT_EQ(contrast.selected.size(), 1u);
  // log πE − log πA = 0 on the mask: the contrast target is uniform there (nothing to amplify).
  for (float p : contrast.selected[0].probs) EXPECT_NEAR(p, 0.25, 1e-6);
  // The `expert` kind is the renormalised expert on the mask (here the whole distribution).
  auto expert = lr::build_contrast(logits_of(probs), logits_of(probs), {},
                                   options_with(lr::TargetKind::kExpert, 0.2, 0.0));
  for (size_t i = 0; i < probs.size(); ++i) EXPECT_NEAR(expert.selected[0].probs[i], probs[i], 1e-6);
  // Below β = 0.4 nothing is selected.
  EXPECT_TRUE(lr::build_contrast(logits_of(probs), logits_of(probs), {}, options_with(lr::TargetKind::kContrast))
                  .selected.empty());
}

TEST(ContrastMath, KlMatchesTheOfficialEpsilonFormulaOnRandomRows) {
  torch::manual_seed(3);
  torch::Tensor expert_logits = torch::randn({6, 500}) * 3;
  torch::Tensor amateur_logits = torch::randn({6, 500}) * 3;
  auto [lpe, lpa] = lr::shared_log_probs(expert_logits, amateur_logits);
  torch::Tensor kl = lr::kl_per_step(lpe, lpa);
  // Official: Σ pE · log((pE + ε) / (pA + ε)), computed here in double.
  torch::Tensor pe = expert_logits.to(torch::kFloat64).softmax(-1), pa = amateur_logits.to(torch::kFloat64).softmax(-1);
  torch::Tensor official = (pe * ((pe + 1e-12).log() - (pa + 1e-12).log())).sum(-1);
  EXPECT_TRUE(torch::allclose(kl.to(torch::kFloat64), official, 1e-5, 1e-5)) << kl << official;
}

TEST(ContrastMath, ExtremeLogitsStayFinite) {
  const float inf = std::numeric_limits<float>::infinity();
  torch::Tensor expert = torch::tensor({{1e4f, -1e4f, 0.0f, -inf}, {-inf, 5.0f, -inf, -inf}, {0.f, 0.f, 0.f, 0.f}});
  torch::Tensor amateur = torch::tensor({{-1e4f, 1e4f, -inf, 0.0f}, {0.0f, -inf, 0.0f, 0.0f}, {0.f, 0.f, 0.f, 0.f}});
  for (auto kind : {lr::TargetKind::kContrast, lr::TargetKind::kExpert, lr::TargetKind::kOnehot}) {
    auto result = lr::build_contrast(expert, amateur, {}, options_with(kind, 0.2, 0.0));
    ASSERT_EQ(result.kl.size(), 3u);
    for (float kl : result.kl) EXPECT_TRUE(std::isfinite(kl)) << kl;
    // Rows 0 and 1: the expert is certain of a token the amateur rules out: the floored log-ratio
    // bounds KL at -log(1e-12) ≈ 27.63 instead of +inf. Row 2: identical, KL 0.
    EXPECT_NEAR(result.kl[0], -std::log(1e-12), 1e-3);
    EXPECT_NEAR(result.kl[1], -std::log(1e-12), 1e-3);
    EXPECT_NEAR(result.kl[2], 0.0, 1e-6);
    ASSERT_EQ(result.selected.size(), 3u);
    EXPECT_EQ(result.selected[0].ids, (std::vector<int64_t>{0}));
    EXPECT_EQ(result.selected[1].ids, (std::vector<int64_t>{1}));
    for (const auto& step : result.selected) {
      float sum = 0;
      for (float p : step.probs) {
        EXPECT_TRUE(std::isfinite(p));
        sum += p;
      }
      EXPECT_NEAR(sum, 1.0f, 1e-6);
    }
  }
}

TEST(ContrastMath, NanLogitsAreAnErrorNamingThePosition) {
  torch::Tensor expert = torch::zeros({4, 8});
  expert[2][3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_LR_ERROR(lr::build_contrast(expert, torch::zeros({4, 8}), {}, options_with(lr::TargetKind::kContrast)),
                  "KL is NaN at position 2");
}

TEST(ContrastMath, UnequalVocabulariesUseTheSharedColumns) {
  torch::manual_seed(5);
  torch::Tensor expert = torch::randn({5, 12}) * 2;  // V_E = 12
  torch::Tensor amateur = torch::randn({5, 9}) * 2;  // V_A = 9
  auto options = options_with(lr::TargetKind::kContrast, 0.2, 0.0);
  auto wide = lr::build_contrast(expert, amateur, {}, options);
  auto narrow = lr::build_contrast_reference(expert.narrow(1, 0, 9).contiguous(), amateur, {}, options);
  // By hand for row 0: softmax over the first 9 expert columns only.
  torch::Tensor pe = expert[0].narrow(0, 0, 9).to(torch::kFloat64).softmax(0);
  torch::Tensor pa = amateur[0].to(torch::kFloat64).softmax(0);
  EXPECT_NEAR(wide.kl[0], (pe * (pe.log() - pa.log())).sum().item<double>(), 1e-5);
  ASSERT_EQ(wide.selected.size(), narrow.selected.size());
  for (size_t s = 0; s < wide.selected.size(); ++s) {
    EXPECT_EQ(wide.selected[s].ids, narrow.selected[s].ids);
    for (int64_t id : wide.selected[s].ids) EXPECT_LT(id, 9);
  }
  // The amateur being the wider one works too.
  EXPECT_EQ(lr::build_contrast(amateur, expert, {}, options).kl.size(), 5u);
}

TEST(ContrastMath, SelectionThresholdAndFirstStepOption) {
  torch::Tensor kl = torch::tensor({0.5f, 0.39f, 0.4f, 2.0f});
  torch::Tensor t = torch::tensor({0, 1, 2, 0}, torch::kInt64);
  lr::SelectionOptions options;
  EXPECT_TRUE(torch::equal(lr::select_steps(kl, t, options), torch::tensor({true, false, true, true})));
  options.skip_first_step = true;
  EXPECT_TRUE(torch::equal(lr::select_steps(kl, t, options), torch::tensor({false, false, true, false})));
  options.enabled = false;
  EXPECT_TRUE(torch::equal(lr::select_steps(kl, t, options), torch::tensor({false, true, true, false})));
  options.skip_first_step = false;
  EXPECT_TRUE(torch::equal(lr::select_steps(kl, t, options), torch::tensor({true, true, true, true})));
}

namespace {

void expect_same_result(const lr::ContrastResult& a, const lr::ContrastResult& b) {
  ASSERT_EQ(a.kl.size(), b.kl.size());
  for (size_t n = 0; n < a.kl.size(); ++n) EXPECT_NEAR(a.kl[n], b.kl[n], 1e-6) << "position " << n;
  ASSERT_EQ(a.selected.size(), b.selected.size());
  for (size_t s = 0; s < a.selected.size(); ++s) {
    const auto &x = a.selected[s], &y = b.selected[s];
    EXPECT_EQ(x.position, y.position);
    ASSERT_EQ(x.ids, y.ids) << "position " << x.position;
    for (size_t k = 0; k < x.ids.size(); ++k) {
      EXPECT_NEAR(x.probs[k], y.probs[k], 1e-6);
      EXPECT_NEAR(x.expert_probs[k], y.expert_probs[k], 1e-6);
      EXPECT_NEAR(x.amateur_probs[k], y.amateur_probs[k], 1e-6);
    }
    EXPECT_EQ(x.amateur_top_id, y.amateur_top_id);
    EXPECT_NEAR(x.amateur_top_prob, y.amateur_top_prob, 1e-6);
  }
}

}  // namespace

TEST(ContrastMath, ChunkedEqualsUnchunkedForEveryKind) {
  torch::manual_seed(11);
  const int64_t positions = 37, vocab = 1000;
  // Peaked rows (scale 4) so masks hold a few tokens and some KLs exceed β.
  torch::Tensor expert = torch::randn({positions, vocab}) * 4;
  torch::Tensor amateur = expert * 0.5 + torch::randn({positions, vocab}) * 2;
  torch::Tensor steps = torch::arange(positions, torch::kInt64).remainder(10);  // several rollouts
  for (auto kind : {lr::TargetKind::kContrast, lr::TargetKind::kExpert, lr::TargetKind::kOnehot}) {
    auto options = options_with(kind);
    options.selection.skip_first_step = true;
    options.memory_budget_bytes = 3 * 7 * vocab * 4;  // 3 positions per chunk
    ASSERT_EQ(lr::positions_per_chunk(vocab, options, torch::kCPU), 3);
    auto reference = lr::build_contrast_reference(expert, amateur, steps, options);
    ASSERT_GT(reference.selected.size(), 3u);
    ASSERT_LT(reference.selected.size(), static_cast<size_t>(positions));
    for (const auto& step : reference.selected) EXPECT_NE(steps[step.position].item<int64_t>(), 0);
    expect_same_result(lr::build_contrast(expert, amateur, steps, options), reference);
    // The callback path, with bf16 logits as a model would hand them over.
    torch::Tensor expert_bf16 = expert.to(torch::kBFloat16), amateur_bf16 = amateur.to(torch::kBFloat16);
    int calls = 0;
    auto chunked = lr::build_contrast_chunked(
        positions, vocab, torch::kCPU,
        [&](int64_t begin, int64_t end) {
          ++calls;
          return std::make_pair(expert_bf16.slice(0, begin, end), amateur_bf16.slice(0, begin, end));
        },
        steps, options);
    EXPECT_EQ(calls, 13);  // ceil(37 / 3)
    expect_same_result(chunked, lr::build_contrast_reference(expert_bf16, amateur_bf16, steps, options));
  }
}

TEST(ContrastMath, ChunkSizeFollowsTheBudgetAndTheCpuCache) {
  const int64_t vocab = 151936, per_position = 7 * vocab * 4;  // 7 fp32 rows live per position
  const torch::Device cuda(torch::kCUDA, 0);                  // only its type matters here
  lr::ContrastOptions options;
  options.memory_budget_bytes = int64_t{1} << 30;
  EXPECT_EQ(lr::positions_per_chunk(vocab, options, cuda), (int64_t{1} << 30) / per_position);
  EXPECT_EQ(lr::positions_per_chunk(vocab, options, torch::kCPU), 1);  // one 4.25 MB position > 4 MB cache cap
  EXPECT_EQ(lr::positions_per_chunk(1000, options, torch::kCPU), (int64_t{4} << 20) / (7 * 1000 * 4));
  options.cpu_cache_bytes = 0;  // budget only
  EXPECT_EQ(lr::positions_per_chunk(vocab, options, torch::kCPU), (int64_t{1} << 30) / per_position);
  options.memory_budget_bytes = 10 * per_position;
  EXPECT_EQ(lr::positions_per_chunk(vocab, options, cuda), 10);
  options.memory_budget_bytes = 1;
  EXPECT_EQ(lr::positions_per_chunk(vocab, options, cuda), 1);  // never zero
  EXPECT_LR_ERROR(lr::positions_per_chunk(0, options, torch::kCPU), "vocabulary size must be positive");
}

TEST(ContrastMath, OptionsComeFromTheRunConfig) {
  auto config = lightreasoner::config::load_run_config(
      "", {"selection.enabled=false", "selection.beta=0.7", "sample.skip_first_step=true", "target.kind=onehot",
           "target.alpha=0.1", "sample.memory_budget_mb=64"});
  auto options = lightreasoner::pipeline::contrast_options(config);
  EXPECT_FALSE(options.selection.enabled);
  EXPECT_EQ(options.selection.beta, 0.7);
  EXPECT_TRUE(options.selection.skip_first_step);
  EXPECT_EQ(options.kind, lr::TargetKind::kOnehot);
  EXPECT_EQ(options.alpha, 0.1);
  EXPECT_EQ(options.memory_budget_bytes, int64_t{64} << 20);
  auto defaults = lightreasoner::pipeline::contrast_options(lightreasoner::config::RunConfig{});
  EXPECT_EQ(defaults.selection.beta, 0.4);
  EXPECT_EQ(defaults.alpha, 0.2);
  EXPECT_EQ(defaults.kind, lr::TargetKind::kContrast);
}

TEST(ContrastMath, ShapeErrorsAreNamed) {
  EXPECT_LR_ERROR(lr::build_contrast(torch::zeros({3, 5}), torch::zeros({4, 5}), {}, {}), "[3, 5] and [4, 5]");
  EXPECT_LR_ERROR(lr::build_contrast(torch::zeros({3, 5}), torch::zeros({3, 5}), torch::zeros({2}), {}),
                  "step_index must be [3]");
  EXPECT_LR_ERROR(lr::parse_target_kind("soft"), "contrast, expert, onehot");
}
