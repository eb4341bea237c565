// Parity with Hugging Face transformers (eager attention, fp32) on tiny random Qwen2, Llama and
// Qwen3 models whose logits and greedy continuations were recorded by transformers itself on a
// machine that has it (tests/fixtures/hf_parity/<arch>/reference.json). Skips when absent.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/generate/generator.h"
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

class HfParity : public ::testing::TestWithParam<std::string> {};

TEST_P(HfParity, LogitsAndGreedyIdsMatchTransformers) {
  const auto dir = parity_dir(GetParam());
  if (!fs::exists(dir / "reference.json")) {
    GTEST_SKIP() << dir.string() << " not present (recorded on the GPU machine with transformers)";
  }
  auto reference = nlohmann::json::parse(read_file(dir / "reference.json"));
  const auto prompts = reference.at("prompts").get<std::vector<std::vector<int64_t>>>();
  auto lm = model::load_model(dir, {torch::kFloat32, torch::kCPU});
  lm->set_attention_backend(model::AttentionBackend::kReference);
  const auto eos = model::load_generation_defaults(dir, lm->config()).eos_token_ids;

  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::vector<torch::Tensor> rows;
    for (const auto& row : reference.at("logits")[i]) rows.push_back(torch::tensor(row.get<std::vector<float>>()));
    auto expected = torch::stack(rows);  // [T, V]
    auto ids = torch::tensor(prompts[i], torch::kInt64).unsqueeze(0);
    auto logits = lm->logits(lm->forward(ids)).squeeze(0);
    ASSERT_EQ(logits.sizes(), expected.sizes()) << "prompt " << i;
    EXPECT_LT(lrtest::max_abs_diff(logits, expected), 1e-4) << GetParam() << " prompt " << i;
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
      EXPECT_EQ(ours[i], until_eos(expected[i], eos)) << GetParam() << " " << key << " prompt " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Arch, HfParity, ::testing::Values("qwen2", "llama", "qwen3"),
                         [](const auto& info) { return info.param; });

}  // namespace
