// Parity with Hugging Face transformers (eager attention, fp32) on tiny random Qwen2, Llama and
// Qwen3 models whose logits and greedy continuations were recorded by transformers itself on a
// machine that has it (tests/fixtures/hf_parity/<arch>/reference.json), through every attention
// backend: reference, grouped and SDPA (the default on LibTorch >= 2; skipped, allow-listed, on 1.13).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/rope.h"
#include "model_support.h"

namespace {

using namespace lightreasoner;
namespace fs = std::filesystem;

fs::path parity_dir(const std::string& arch) { return fs::path(LR_SOURCE_DIR) / "tests/fixtures/hf_parity" / arch; }

// HF output ids up to and including the first eos (HF pads finished rows of a batch after it).
std::vector<int64_t> until_eos(const std::vector<int64_t>& ids, const std::vector<int64_t>& eos) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (std::find(eos.begin(), eos.end(), ids[i]) != eos.end()) return {ids.begin(), ids.begin() + i + 1};
  }
  return ids;
}

// (architecture, attention backend)
class HfParity : public ::testing::TestWithParam<std::tuple<std::string, model::AttentionBackend>> {
 protected:
  std::string arch() const { return std::get<0>(GetParam()); }
  model::AttentionBackend backend() const { return std::get<1>(GetParam()); }
  std::string label() const { return arch() + " " + model::attention_backend_name(backend()); }
};

#define LR_SKIP_WITHOUT_SDPA()                                               \
  if (backend() == model::AttentionBackend::kSdpa && !model::sdpa_available()) \
  GTEST_SKIP() << "LibTorch < 2.0: no fused scaled_dot_product_attention"

TEST_P(HfParity, LogitsAndGreedyIdsMatchTransformers) {
  LR_SKIP_WITHOUT_SDPA();
  const auto dir = parity_dir(arch());
  if (!fs::exists(dir / "reference.json")) {
    GTEST_SKIP() << dir.string() << " not present (recorded on the GPU machine with transformers)";
  }
  auto reference = nlohmann::json::parse(read_file(dir / "reference.json"));
  const auto prompts = reference.at("prompts").get<std::vector<std::vector<int64_t>>>();
  auto lm = model::load_model(dir, {torch::kFloat32, torch::kCPU});
  lm->set_attention_backend(backend());
  const auto eos = model::load_generation_defaults(dir, lm->config()).eos_token_ids;

  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::vector<torch::Tensor> rows;
    for (const auto& row : reference.at("logits")[i]) rows.push_back(torch::tensor(row.get<std::vector<float>>()));
    auto expected = torch::stack(rows);  // [T, V]
    auto ids = torch::tensor(prompts[i], torch::kInt64).unsqueeze(0);
    auto logits = lm->logits(lm->forward(ids)).squeeze(0);
    ASSERT_EQ(logits.sizes(), expected.sizes()) << "prompt " << i;
    EXPECT_LT(lrtest::max_abs_diff(logits, expected), 1e-4) << label() << " prompt " << i;
  }

  generate::GenerationOptions options;
  options.eos_token_ids = eos;
  for (const char* key : {"greedy", "batched_greedy"}) {
    const auto expected = reference.at(key).get<std::vector<std::vector<int64_t>>>();
    options.max_new_tokens = 0;
    for (const auto& ids : expected) options.max_new_tokens = std::max<int64_t>(options.max_new_tokens, ids.size());
    std::vector<std::vector<int64_t>> ours;
    if (std::string(key) == "greedy") {
      for (const auto& prompt : prompts) ours.push_back(generate::generate(*lm, {prompt}, options).completions[0].ids);
    } else {
      for (const auto& c : generate::generate(*lm, prompts, options).completions) ours.push_back(c.ids);
    }
    for (size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_EQ(ours[i], until_eos(expected[i], eos)) << label() << " " << key << " prompt " << i;
    }
  }
}

// The rotary tables (llama3 and yarn scaling in these fixtures) and the bf16 forward.
TEST_P(HfParity, RopeAndBf16MatchTransformers) {
  LR_SKIP_WITHOUT_SDPA();
  const auto dir = parity_dir(arch());
  if (!fs::exists(dir / "reference.json")) GTEST_SKIP() << dir.string() << " not present";
  auto reference = nlohmann::json::parse(read_file(dir / "reference.json"));
  const auto config = model::load_model_config(dir);
  auto expected = torch::tensor(reference.at("inv_freq").get<std::vector<double>>(), torch::kFloat64);
  auto ours = model::rope_inv_freq(config).to(torch::kFloat64);
  ASSERT_EQ(ours.sizes(), expected.sizes());
  EXPECT_LT(((ours - expected).abs() / expected).max().item<double>(), 1e-6) << model::rope_type_name(config.rope.type);
  EXPECT_NEAR(model::rope_attention_scaling(config), reference.at("attention_scaling").get<double>(), 1e-9);

  if (!reference.contains("logits_bf16")) return;
  const auto prompt = reference.at("prompts")[0].get<std::vector<int64_t>>();
  std::vector<torch::Tensor> rows, rows_f32;
  for (const auto& row : reference.at("logits_bf16")[0]) rows.push_back(torch::tensor(row.get<std::vector<float>>()));
  for (const auto& row : reference.at("logits")[0]) rows_f32.push_back(torch::tensor(row.get<std::vector<float>>()));
  auto hf_bf16 = torch::stack(rows), hf_f32 = torch::stack(rows_f32);  // [T, V]
  auto lm = model::load_model(dir, {torch::kBFloat16, torch::kCPU});
  lm->set_attention_backend(backend());
  torch::NoGradGuard no_grad;
  auto ours_bf16 = lm->logits(lm->forward(torch::tensor(prompt, torch::kInt64).unsqueeze(0))).squeeze(0);
  // bf16 logits are themselves rounded to bf16, so a difference of one unit in the last place (ulp)
  // at the largest logit is unavoidable. Allow 2 ulps at most, and require that on average we are
  // closer to HF's bf16 than HF's bf16 is to fp32 (our rounding follows HF's cast points).
  const double largest = hf_bf16.abs().max().item<double>();
  const double ulp = std::ldexp(1.0, static_cast<int>(std::floor(std::log2(largest))) - 7);
  const double ours_vs_hf = lrtest::max_abs_diff(ours_bf16, hf_bf16);
  if (backend() != model::AttentionBackend::kSdpa) {
    EXPECT_LE(ours_vs_hf, 2 * ulp) << label() << ": largest logit " << largest;
  } else {
    // HF's references come from its eager attention (scripts/hf_parity_fixtures.py), whose bf16
    // rounding points a fused SDPA kernel does not share (it keeps the scores and softmax in fp32
    // inside): ours and HF's bf16 then round apart (LibTorch 2.6 CPU: 2.5 ulp on llama). The bound
    // for this backend is against fp32 instead: our bf16 logits no farther from HF's fp32 ones than
    // HF's own bf16 logits are, plus the one ulp of rounding the final cast adds.
    const double ours_vs_f32 = lrtest::max_abs_diff(ours_bf16, hf_f32), hf_bf16_vs_f32 = lrtest::max_abs_diff(hf_bf16, hf_f32);
    EXPECT_LE(ours_vs_f32, hf_bf16_vs_f32 + ulp)
        << label() << ": max |ours - HF fp32| " << ours_vs_f32 << ", max |HF bf16 - HF fp32| " << hf_bf16_vs_f32
        << ", ulp " << ulp << " (max |ours - HF bf16| " << ours_vs_hf << ")";
  }
  auto mean_abs = [](const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().mean().item<double>();
  };
  const double mean_ours = mean_abs(ours_bf16, hf_bf16), mean_noise = mean_abs(hf_bf16, hf_f32);
  EXPECT_LT(mean_ours, mean_noise) << label() << ": mean |ours - HF bf16| " << mean_ours << ", mean |HF bf16 - fp32| " << mean_noise;
}

INSTANTIATE_TEST_SUITE_P(ArchBackend, HfParity,
                         ::testing::Combine(::testing::Values("qwen2", "llama", "qwen3"),
                                            ::testing::Values(model::AttentionBackend::kReference,
                                                              model::AttentionBackend::kGrouped,
                                                              model::AttentionBackend::kSdpa)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" +
                                  model::attention_backend_name(std::get<1>(info.param));
                         });

}  // namespace
