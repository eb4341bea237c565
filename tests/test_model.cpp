// The decoder against a real checkpoint (stories260K, golden logits and greedy ids from llama2.c)
// and the invariants on tiny random Qwen2 / Llama / Qwen3 models: KV-cache decode = full forward,
// left-padded batch = each prompt alone, attention paths agree, bf16 close to fp32.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/attention.h"
#include "lightreasoner/model/cpu_kernels.h"
#include "lightreasoner/model/layers.h"
#include "lightreasoner/model/rope.h"
#include "model_support.h"

namespace {

using namespace lightreasoner;
using lrtest::max_abs_diff;

torch::Tensor ids_tensor(const std::vector<int64_t>& ids) {
  return torch::tensor(ids, torch::kInt64).unsqueeze(0);  // [1, T]
}

// Full-sequence logits [T, V] for one prompt.
torch::Tensor full_logits(model::CausalLM& lm, const std::vector<int64_t>& ids) {
  torch::NoGradGuard no_grad;
  return lm.logits(lm.forward(ids_tensor(ids))).squeeze(0).to(torch::kFloat32);
}

std::vector<int64_t> greedy(model::CausalLM& lm, const std::vector<int64_t>& prompt, int64_t n) {
  generate::GenerationOptions options;
  options.max_new_tokens = n;
  return generate::generate(lm, {prompt}, options).completions.at(0).ids;
}

// ---------------- stories260K: a real checkpoint with golden outputs ----------------

// Through every attention backend: SDPA is the default on LibTorch >= 2 (skipped, allow-listed, on 1.13).
class Stories260K : public ::testing::TestWithParam<model::AttentionBackend> {};

TEST_P(Stories260K, LogitsAndGreedyIdsMatchLlama2c) {
  const auto backend = GetParam();
  if (backend == model::AttentionBackend::kSdpa && !model::sdpa_available())
    GTEST_SKIP() << "LibTorch < 2.0: no fused scaled_dot_product_attention";
  const auto dir = lrtest::fixture_dir() / "stories260K/hf";
  auto reference = nlohmann::json::parse(read_file(dir / "reference_logits.json"));
  const auto prompt = reference["prompt_ids"].get<std::vector<int64_t>>();
  const auto expected_ids = reference["greedy_ids"].get<std::vector<int64_t>>();
  std::vector<torch::Tensor> rows;
  for (const auto& row : reference["logits"]) rows.push_back(torch::tensor(row.get<std::vector<float>>()));
  auto expected = torch::stack(rows);  // [5, 512]

  auto lm = model::load_model(dir);
  EXPECT_EQ(lm->dtype(), torch::kFloat32);
  EXPECT_TRUE(lm->config().tie_word_embeddings);
  EXPECT_EQ(lm->lm_head, nullptr);
  lm->set_attention_backend(backend);
  auto logits = full_logits(*lm, prompt);
  ASSERT_EQ(logits.sizes(), expected.sizes());
  EXPECT_LT(max_abs_diff(logits, expected), 1e-4);
  EXPECT_EQ(greedy(*lm, prompt, static_cast<int64_t>(expected_ids.size())), expected_ids);
}

INSTANTIATE_TEST_SUITE_P(Backend, Stories260K,
                         ::testing::Values(model::AttentionBackend::kReference, model::AttentionBackend::kGrouped,
                                           model::AttentionBackend::kSdpa),
                         [](const auto& info) { return std::string(model::attention_backend_name(info.param)); });

// ---------------- invariants on generated tiny models ----------------

class TinyModel : public ::testing::TestWithParam<std::string> {};

TEST_P(TinyModel, KvCacheDecodeEqualsFullForward) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  const std::vector<int64_t> ids = {5, 77, 300, 12, 9, 401, 33, 250, 18, 64, 101, 7};
  auto full = full_logits(*lm, ids);  // [12, V]

  torch::NoGradGuard no_grad;
  auto cache = lm->make_cache(1, 16);
  const int64_t prefill = 5;
  std::vector<int64_t> head(ids.begin(), ids.begin() + prefill);
  auto cached = lm->logits(lm->forward(ids_tensor(head), {}, {}, &cache)).squeeze(0);  // [5, V]
  EXPECT_LT(max_abs_diff(cached, full.narrow(0, 0, prefill)), 1e-5);
  for (size_t t = prefill; t < ids.size(); ++t) {
    auto step = lm->logits(lm->forward(ids_tensor({ids[t]}), {}, {}, &cache)).squeeze(0);  // [1, V]
    EXPECT_LT(max_abs_diff(step, full.narrow(0, static_cast<int64_t>(t), 1)), 1e-5) << "position " << t;
  }
  EXPECT_EQ(cache.length(), static_cast<int64_t>(ids.size()));
}

TEST_P(TinyModel, LeftPaddedBatchEqualsEachPromptAlone) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  const std::vector<std::vector<int64_t>> prompts = {{3, 17, 250}, {8, 90, 91, 400, 5, 6, 7}, {300, 2, 44, 45, 46}};
  generate::GenerationOptions options;
  options.max_new_tokens = 12;
  options.return_logits = true;
  auto batched = generate::generate(*lm, prompts, options);
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto alone = generate::generate(*lm, {prompts[i]}, options);
    const auto& a = alone.completions[0];
    const auto& b = batched.completions[i];
    EXPECT_EQ(b.ids, a.ids) << "prompt " << i;
    ASSERT_EQ(b.logits.sizes(), a.logits.sizes());
    EXPECT_LT(max_abs_diff(b.logits, a.logits), 1e-4) << "prompt " << i;
    // The first step's logits are the prompt's last position of a plain full forward.
    EXPECT_LT(max_abs_diff(a.logits[0], full_logits(*lm, prompts[i])[-1]), 1e-5);
  }
  // Greedy ids must not be trivially constant, or this test would prove little.
  std::set<int64_t> distinct(batched.completions[1].ids.begin(), batched.completions[1].ids.end());
  EXPECT_GT(distinct.size(), 2u);
}

// Full-sequence logits and a cached decode of the same tokens agree with the reference path.
void expect_backend_matches_reference(const std::string& arch, model::AttentionBackend backend) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(arch));
  const std::vector<int64_t> ids = {1, 2, 3, 400, 500, 6, 7, 8, 9};
  lm->set_attention_backend(model::AttentionBackend::kReference);
  auto reference = full_logits(*lm, ids);
  auto reference_greedy = greedy(*lm, ids, 8);
  lm->set_attention_backend(backend);
  EXPECT_LT(max_abs_diff(full_logits(*lm, ids), reference), 1e-5);
  EXPECT_EQ(greedy(*lm, ids, 8), reference_greedy);
}

TEST_P(TinyModel, GroupedAttentionEqualsReference) {
  expect_backend_matches_reference(GetParam(), model::AttentionBackend::kGrouped);
}

TEST_P(TinyModel, SdpaAttentionEqualsReference) {
  if (!model::sdpa_available()) GTEST_SKIP() << "LibTorch < 2.0: no fused scaled_dot_product_attention to compare";
  expect_backend_matches_reference(GetParam(), model::AttentionBackend::kSdpa);
}

TEST_P(TinyModel, Bf16StaysWithinItsToleranceOfFp32) {
  const auto dir = lrtest::make_tiny_model(GetParam());
  auto f32 = lrtest::load_tiny(dir, torch::kFloat32);
  auto bf16 = lrtest::load_tiny(dir, torch::kBFloat16);
  EXPECT_EQ(bf16->model->embed_tokens->weight.scalar_type(), torch::kBFloat16);
  const std::vector<int64_t> ids = {11, 22, 33, 44, 55, 66, 77, 88};
  auto a = full_logits(*f32, ids), b = full_logits(*bf16, ids);  // [T, V]
  // Every logit within the rounding bound of bf16 on this path (lrtest::logit_rounding_bound: about
  // 44 bf16 roundings adding in quadrature, 5σ, plus the logit's own rounding), and not equal to
  // fp32 (the bf16 path really ran in bf16).
  auto bound = lrtest::logit_rounding_bound(*f32, ids_tensor(ids), torch::kBFloat16);  // [T, V]
  auto error = (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs();
  EXPECT_TRUE((error <= bound).all().item<bool>())
      << "worst error/bound " << (error / bound).max().item<double>() << ", largest error " << error.max().item<double>();
  std::cout << "bf16 vs fp32: largest error/bound " << (error / bound).max().item<double>() << "\n";
  EXPECT_GT(error.max().item<double>(), 0.0);
  // The top token agrees wherever fp32's top-2 gap exceeds the two logits' bounds together; those
  // positions must exist (else the check says nothing).
  auto top = a.topk(2, -1);
  auto top_ids = std::get<1>(top);                                                        // [T, 2]
  auto gap = (std::get<0>(top).select(1, 0) - std::get<0>(top).select(1, 1)).to(torch::kFloat64);  // [T]
  auto clear = gap > bound.gather(1, top_ids).sum(1);                                      // [T]
  EXPECT_GT(clear.sum().item<int64_t>(), 0);
  EXPECT_TRUE((a.argmax(-1) == b.argmax(-1)).masked_select(clear).all().item<bool>());
}

TEST_P(TinyModel, ForwardReturnsHiddenStatesAndLogitsOnlyWhereAsked) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  torch::NoGradGuard no_grad;
  auto ids = torch::tensor({{1, 2, 3, 4}, {5, 6, 7, 8}}, torch::kInt64);
  auto hidden = lm->forward(ids);  // [2, 4, d]
  EXPECT_EQ(hidden.sizes(), torch::IntArrayRef({2, 4, lm->config().hidden_size}));
  auto all = lm->logits(hidden);                 // [2, 4, V]
  auto picked = lm->logits(hidden.select(1, 2));  // [2, V]
  EXPECT_LT(max_abs_diff(all.select(1, 2), picked), 1e-6);
  // Causality: changing a later token leaves earlier positions untouched.
  auto changed = ids.clone();
  changed[0][3] = 99;
  auto hidden2 = lm->forward(changed);
  EXPECT_LT(max_abs_diff(hidden2.narrow(1, 0, 3), hidden.narrow(1, 0, 3)), 1e-6);
  EXPECT_GT(max_abs_diff(hidden2.narrow(1, 3, 1), hidden.narrow(1, 3, 1)), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Arch, TinyModel, ::testing::Values("qwen2", "llama", "qwen3"),
                         [](const auto& info) { return info.param; });

// Sequences laid end to end in rows (training's packing, CausalLM::forward_packed) give each
// sequence the logits of a forward over it alone, through every attention backend, on both the
// fast path (attention per sequence) and the reference (whole rows under a block-diagonal mask).
class PackedForward : public ::testing::TestWithParam<std::tuple<std::string, model::AttentionBackend>> {};

TEST_P(PackedForward, SequencesPackedInARowEqualEachSequenceAlone) {
  const auto& [arch, backend] = GetParam();
  if (backend == model::AttentionBackend::kSdpa && !model::sdpa_available())
    GTEST_SKIP() << "LibTorch < 2.0: no fused scaled_dot_product_attention";
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(arch));
  lm->set_attention_backend(backend);
  const std::vector<std::vector<int64_t>> sequences = {{5, 77, 300, 12, 9}, {401, 33, 250, 18, 64, 101, 7}, {8, 90, 91}};
  // Row 0: sequences 0 and 1 (12 tokens); row 1: sequence 2 and 9 tokens of padding.
  const int64_t L = 12;
  const auto rows = model::packed_rows({{5, 7}, {3}}, L, torch::kCPU);
  EXPECT_EQ(rows.sequences, 3);
  EXPECT_EQ(rows.longest, 7);
  struct Place {
    int64_t row, offset;
  };
  const std::vector<Place> places = {{0, 0}, {0, 5}, {1, 0}};
  auto ids = torch::zeros({2, L}, torch::kInt64);
  for (size_t i = 0; i < sequences.size(); ++i)
    ids[places[i].row].narrow(0, places[i].offset, static_cast<int64_t>(sequences[i].size()))
        .copy_(torch::tensor(sequences[i], torch::kInt64));
  torch::NoGradGuard no_grad;
  auto causal_only = lm->logits(lm->forward(ids)).to(torch::kFloat32);  // the same rows with one causal mask
  for (bool fast : {true, false}) {
    lm->set_fast_paths(fast);
    auto packed = lm->logits(lm->forward_packed(ids, rows)).to(torch::kFloat32);  // [2, L, V]
    for (size_t i = 0; i < sequences.size(); ++i) {
      const auto n = static_cast<int64_t>(sequences[i].size());
      auto alone = full_logits(*lm, sequences[i]);  // [n, V]
      auto got = packed[places[i].row].narrow(0, places[i].offset, n);
      EXPECT_LT(max_abs_diff(got, alone), 1e-5) << "sequence " << i << (fast ? " (fast)" : " (reference)");
      if (places[i].offset > 0)  // without the packing it reads its neighbour: the check can fail
        EXPECT_GT(max_abs_diff(causal_only[places[i].row].narrow(0, places[i].offset, n), alone), 1e-3);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    ArchBackend, PackedForward,
    ::testing::Combine(::testing::Values("qwen2", "llama", "qwen3"),
                       ::testing::Values(model::AttentionBackend::kReference, model::AttentionBackend::kGrouped,
                                         model::AttentionBackend::kSdpa)),
    [](const auto& info) {
      return std::get<0>(info.param) + "_" + model::attention_backend_name(std::get<1>(info.param));
    });

// Sliding-window attention is not implemented: every forward refuses a sequence beyond the window
// (one check, CausalLM::check_sliding_window) instead of attending fully where the model would not.
TEST(TinyModelShapes, EveryForwardRefusesSequencesBeyondTheSlidingWindow) {
  auto dir = lrtest::make_tiny_model("qwen2");
  auto config = nlohmann::json::parse(lightreasoner::read_file(dir / "config.json"));
  config["use_sliding_window"] = true;
  config["sliding_window"] = 4;
  lightreasoner::write_file_atomic(dir / "config.json", config.dump());
  auto lm = lrtest::load_tiny(dir);
  torch::NoGradGuard no_grad;
  EXPECT_NO_THROW(lm->forward(torch::ones({1, 4}, torch::kInt64)));
  const std::string refusal = "sequence of 5 tokens exceeds the sliding window of 4";
  EXPECT_LR_ERROR(lm->forward(torch::ones({1, 5}, torch::kInt64)), refusal);
  EXPECT_LR_ERROR(lm->forward_packed(torch::ones({1, 8}, torch::kInt64), model::packed_rows({{5, 3}}, 8, torch::kCPU)),
                  refusal);
  auto slots = lm->make_slot_cache(1, 8);
  EXPECT_LR_ERROR(lm->prefill_slots(torch::ones({1, 5}, torch::kInt64), {0}, {5}, slots), refusal);
}

TEST(TinyModelShapes, PackingRefusesTheDynamicRopeWhoseBaseFollowsTheLength) {
  auto dir = lrtest::make_tiny_model("llama");
  auto config = nlohmann::json::parse(lightreasoner::read_file(dir / "config.json"));
  config["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2.0}};
  lightreasoner::write_file_atomic(dir / "config.json", config.dump());
  auto lm = lrtest::load_tiny(dir);
  EXPECT_LR_ERROR(lm->forward_packed(torch::ones({1, 4}, torch::kInt64), model::packed_rows({{4}}, 4, torch::kCPU)),
                  "set train.pack_tokens to 0");
}

TEST(TinyModelShapes, Qwen3HeadDimDiffersFromHiddenOverHeads) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model("qwen3"));
  const auto& config = lm->config();
  EXPECT_NE(config.head_dim(), config.hidden_size / config.num_attention_heads);
  auto& attn = *lm->model->layers[0]->self_attn;
  EXPECT_EQ(attn.q_proj->weight.sizes(), torch::IntArrayRef({config.num_attention_heads * config.head_dim(),
                                                             config.hidden_size}));
  EXPECT_EQ(attn.o_proj->weight.sizes(), torch::IntArrayRef({config.hidden_size,
                                                             config.num_attention_heads * config.head_dim()}));
  ASSERT_NE(attn.q_norm, nullptr);
  EXPECT_EQ(attn.q_norm->weight.size(0), config.head_dim());
  EXPECT_EQ(attn.q_proj->bias.defined(), false);
}

TEST(TinyModelShapes, ParameterNamesAreHuggingFaceNames) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model("qwen2"));
  auto params = lm->named_parameters();
  for (const char* name : {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                           "model.layers.0.self_attn.q_proj.bias", "model.layers.1.mlp.down_proj.weight",
                           "model.layers.1.post_attention_layernorm.weight", "model.norm.weight"}) {
    EXPECT_TRUE(params.contains(name)) << name;
  }
  EXPECT_FALSE(params.contains("model.layers.0.self_attn.o_proj.bias"));  // Qwen2: no o_proj bias
  EXPECT_FALSE(params.contains("lm_head.weight"));                        // tied
  int64_t count = 0;
  for (const auto& p : params) count += p.value().numel();
  EXPECT_EQ(count, lm->config().num_parameters());
}

}  // namespace

// The fused bf16 kernels (model/cpu_kernels.h) against the reference op sequences they replace: the
// same cast points, so at most one bf16 unit apart (where a sum's order or our exp moves a value
// across a rounding boundary), and nearly always bitwise equal.
namespace {
// Per element, how many bf16 units apart two bf16 tensors are (their bit patterns as ordered integers).
torch::Tensor bf16_units_apart(const torch::Tensor& a, const torch::Tensor& b) {
  auto ordered = [](const torch::Tensor& t) {
    auto bits = t.contiguous().view(torch::kInt16).to(torch::kInt32);
    return torch::where(bits < 0, -(bits + 32768), bits);  // sign-magnitude → a monotone integer line
  };
  return (ordered(a) - ordered(b)).abs();
}

// For tests that run the kernels with their AVX-512 rows off: on again when the test ends.
struct Avx512RowsAllowedAgain {
  ~Avx512RowsAllowedAgain() { model::bf16_kernels_allow_avx512(true); }
};
}  // namespace

TEST(Bf16Kernels, TheFusedRmsNormIsTheReferenceWithinOneBf16Unit) {
  torch::manual_seed(3);
  torch::NoGradGuard no_grad;
  const int64_t d = 100;  // not a multiple of the 16 lanes: the tail is summed too
  model::RMSNorm norm(d, 1e-6, torch::TensorOptions().dtype(torch::kBFloat16));
  norm.weight.copy_(torch::randn({d}) * 2);
  // Rows from 1e-3 to 1e3 in scale, and a strided view (a slice of a wider tensor).
  auto scales = torch::logspace(-3, 3, 12).view({4, 3, 1});
  auto wide = (torch::randn({4, 3, d + 7}) * scales).to(torch::kBFloat16);
  for (const auto& x : {wide.narrow(-1, 0, d).contiguous(), wide.narrow(-1, 7, d)}) {
    ASSERT_TRUE(model::bf16_kernels_apply(x));
    norm.fast = true;
    auto fused = norm.forward(x);
    norm.fast = false;
    auto reference = norm.forward(x);
    ASSERT_EQ(fused.sizes(), reference.sizes());
    ASSERT_EQ(fused.scalar_type(), torch::kBFloat16);
    auto apart = bf16_units_apart(fused, reference);
    EXPECT_LE(apart.max().item<int64_t>(), 1);
    EXPECT_GE((apart == 0).to(torch::kFloat32).mean().item<double>(), 0.99);
  }
}

TEST(Bf16Kernels, TheFusedSiluTimesUpIsTheReferenceWithinOneBf16Unit) {
  torch::manual_seed(4);
  torch::NoGradGuard no_grad;
  const int64_t n = 37;
  auto gate_up = (torch::randn({4, 3, 2 * n}) * 6).to(torch::kBFloat16);  // one [.., 2n] GEMM output
  gate_up[0][0].narrow(0, 0, 6).copy_(torch::tensor({-100.0, -30.0, 0.0, 1e-30, 30.0, 100.0}));  // exp's ends
  auto halves = gate_up.split(n, -1);
  auto fused = model::silu_mul_bf16(halves[0], halves[1]);
  // Hugging Face's act_fn(gate) * up on PyTorch 2.x: silu in fp32, rounded to bf16, times up in fp32,
  // rounded. (LibTorch 1.13's own bf16 silu rounds after each of its four steps instead, and lands up
  // to a few bf16 units away from both.)
  auto reference = (torch::silu(halves[0].to(torch::kFloat32)).to(torch::kBFloat16).to(torch::kFloat32) *
                    halves[1].to(torch::kFloat32))
                       .to(torch::kBFloat16);
  ASSERT_EQ(fused.sizes(), reference.sizes());
  auto apart = bf16_units_apart(fused, reference);
  EXPECT_LE(apart.max().item<int64_t>(), 1);
  EXPECT_GE((apart == 0).to(torch::kFloat32).mean().item<double>(), 0.99);
  EXPECT_EQ(bf16_units_apart(fused[0][0].narrow(0, 0, 6), reference[0][0].narrow(0, 0, 6)).max().item<int64_t>(), 0)
      << "saturated and zero inputs exactly";
}

TEST(Bf16Kernels, TheFusedSoftmaxIsTheReferenceWithinOneBf16Unit) {
  torch::manual_seed(5);
  torch::NoGradGuard no_grad;
  // Attention scores with a causal mask of the most negative bf16 (masked positions are exactly 0),
  // a fully masked row (uniform, as HF's masking gives), rows of 19 (a tail past the 16 lanes) and 128;
  // the AVX-512 path (where this CPU has it) and the portable loop.
  Avx512RowsAllowedAgain restore;
  for (const bool avx512 : {true, false}) {
    for (int64_t n : {19, 128}) {
      SCOPED_TRACE(avx512 ? "AVX-512 allowed" : "portable loop");
      model::bf16_kernels_allow_avx512(avx512);
      auto scores = (torch::randn({3, 2 * n, n}) * 4).to(torch::kBFloat16);
      const float lowest = static_cast<float>(std::numeric_limits<c10::BFloat16>::lowest());
      auto masked = torch::ones({2 * n, n}, torch::kBool).triu(1);
      scores.masked_fill_(masked, lowest);
      scores[1][0].fill_(lowest);
      auto fused = model::softmax_bf16(scores);
      auto reference = torch::softmax(scores, -1, torch::kFloat32).to(torch::kBFloat16);
      auto apart = bf16_units_apart(fused, reference);
      EXPECT_LE(apart.max().item<int64_t>(), 1) << "rows of " << n;
      EXPECT_GE((apart == 0).to(torch::kFloat32).mean().item<double>(), 0.99) << "rows of " << n;
      for (int64_t b : {0, 2})  // (batch 1 holds the fully masked row, uniform by design)
        EXPECT_TRUE(fused[b].masked_select(masked).eq(0).all().item<bool>()) << "masked positions are 0";
      EXPECT_EQ(bf16_units_apart(fused[1][0], reference[1][0]).max().item<int64_t>(), 0) << "a fully masked row";
    }
  }
}

TEST(Bf16Kernels, ASoftmaxCutAtEachRowsLiveLengthIsTheMaskedRowsSoftmaxBitForBit) {
  torch::manual_seed(8);
  torch::NoGradGuard no_grad;
  // Causal rows (live length t + 1 + earlier keys) of 19 and 128 keys, lengths on and off the 16-lane
  // blocks; the masked entries hold the most negative bf16 for the whole-row softmax and other scores
  // for the cut one (which must not read them); both the AVX-512 row and the portable loop.
  Avx512RowsAllowedAgain restore;
  const float lowest = static_cast<float>(std::numeric_limits<c10::BFloat16>::lowest());
  for (const bool avx512 : {true, false}) {
    for (const int64_t keys : {19, 128}) {
      SCOPED_TRACE(std::string(avx512 ? "AVX-512 allowed" : "portable loop") + ", rows of " + std::to_string(keys));
      model::bf16_kernels_allow_avx512(avx512);
      const int64_t T = keys - 3, earlier = 3;  // 3 keys before the first query
      std::vector<int64_t> live;
      for (int64_t t = 0; t < T; ++t) live.push_back(earlier + t + 1);
      auto masked = torch::arange(keys).view({1, keys}) >= torch::tensor(live).view({T, 1});  // [T, keys]
      // Enough rows (3M scores at 128 keys) that a sum added up in another order shows as a few flipped
      // roundings (~1 in 2^16 outputs where the order moves the sum's last bit).
      const int64_t groups = keys == 128 ? 64 : 2;
      auto scores = (torch::randn({groups, 3 * T, keys}) * 4).to(torch::kBFloat16);  // 3 heads' rows per group
      auto whole = scores.masked_fill(masked.repeat({3, 1}), lowest);
      auto cut = model::softmax_bf16(scores, live);
      auto reference = model::softmax_bf16(whole);
      EXPECT_TRUE(torch::equal(cut, reference)) << "largest difference "
                                                << (cut.to(torch::kFloat32) - reference.to(torch::kFloat32)).abs().max();
      EXPECT_TRUE(cut.masked_select(masked.repeat({groups, 3, 1})).eq(0).all().item<bool>()) << "masked entries are 0";
    }
  }
  auto scores = torch::zeros({4, 8}, torch::kBFloat16);
  EXPECT_THROW(model::softmax_bf16(scores, {3, 3, 3}), Error) << "3 lengths for 4 rows";
  EXPECT_THROW(model::softmax_bf16(scores, {0}), Error) << "an empty row";
  EXPECT_THROW(model::softmax_bf16(scores, {9}), Error) << "longer than the row";
}

TEST(Bf16Kernels, GroupedAttentionUnderACausalMaskIsTheMaskedPathBitForBit) {
  torch::manual_seed(9);
  torch::InferenceMode inference;
  // bf16 inference under a shared causal mask takes the live-length path (no mask in the GEMM); a
  // mask with -inf where the causal one has the most negative bf16 is not recognised as causal and
  // takes the masked baddbmm path, whose probabilities are the same. Prefill (no earlier keys) and
  // a chunk after 5 cached keys; 2 kv heads of 3 query heads each.
  const int64_t B = 2, H = 6, KV = 2, T = 21, D = 16;
  for (const int64_t past : {0, 5}) {
    SCOPED_TRACE("earlier keys: " + std::to_string(past));
    const int64_t S = past + T;
    auto q = (torch::randn({B, H, T, D}) * 2).to(torch::kBFloat16);
    auto k = (torch::randn({B, KV, S, D}) * 2).to(torch::kBFloat16);
    auto v = torch::randn({B, KV, S, D}).to(torch::kBFloat16);
    auto causal = model::attention_mask(torch::ones({1, S}, torch::kBool), past, T, torch::kBFloat16);  // [1, 1, T, S]
    auto minus_inf = causal.masked_fill(causal != 0, -std::numeric_limits<float>::infinity());
    std::vector<int64_t> live;
    for (int64_t t = 0; t < T; ++t) live.push_back(past + t + 1);
    ASSERT_EQ(model::mask_live_lengths(causal), live) << "the causal mask is read as its live lengths";
    ASSERT_TRUE(model::mask_live_lengths(minus_inf).empty()) << "a mask of other values is not";
    ASSERT_TRUE(model::mask_live_lengths(causal.expand({B, 1, T, S})).empty()) << "nor one mask per row";
    auto gap = causal.clone();
    gap[0][0][T - 1][0] = std::numeric_limits<c10::BFloat16>::lowest();
    ASSERT_TRUE(model::mask_live_lengths(gap).empty()) << "nor a row whose masked keys are not all at its end";
    auto live_path = model::attention_grouped(q, k, v, causal);
    auto masked_path = model::attention_grouped(q, k, v, minus_inf);
    EXPECT_TRUE(torch::equal(live_path, masked_path))
        << "largest difference " << (live_path.to(torch::kFloat32) - masked_path.to(torch::kFloat32)).abs().max();
    auto reference = model::attention_reference(q, k, v, causal);
    EXPECT_LT((live_path.to(torch::kFloat32) - reference.to(torch::kFloat32)).abs().max().item<double>(), 0.05);
  }
}

TEST(Bf16Kernels, TheFusedRopeIsTheReferenceOpSequenceBitForBit) {
  torch::manual_seed(6);
  torch::NoGradGuard no_grad;
  const int64_t B = 3, T = 5, H = 4, KV = 2, D = 16;
  // q and k as SelfAttention sees them: strided views of one [B, T, (H + 2 KV) D] GEMM output.
  auto qkv = (torch::randn({B, T, (H + 2 * KV) * D}) * 5).to(torch::kBFloat16);
  auto parts = qkv.split({H * D, KV * D, KV * D}, -1);
  auto q = parts[0].view({B, T, H, D}), k = parts[1].view({B, T, KV, D});
  q[0][0][0].narrow(0, 0, 3).copy_(torch::tensor({3e38, -1e-39, 0.0}));  // near the largest, subnormal, zero
  q[0][0][0][D / 2] = -3e38;  // a rotation pair of near-largest values of both signs
  auto inv_freq = 1.0 / torch::pow(10000.0, torch::arange(0, D, 2).to(torch::kFloat32) / D);
  auto per_row = model::rope_tables(inv_freq, torch::arange(B * T).view({B, T}) * 7, 1.0, torch::kBFloat16);
  auto shared = model::rope_tables(inv_freq, torch::arange(T).unsqueeze(0), 1.3, torch::kBFloat16);  // [1, T, D]
  for (const auto& tables : {per_row, shared}) {
    for (const auto& x : {q, k}) {
      ASSERT_TRUE(model::bf16_kernels_apply(x));
      auto fused = model::rope_bf16(x, tables.cos, tables.sin);
      auto reference = model::apply_rope(x.transpose(1, 2), tables);
      ASSERT_EQ(fused.sizes(), reference.sizes());
      EXPECT_TRUE(fused.is_contiguous()) << "the layout attention reads";
      EXPECT_TRUE(torch::equal(fused, reference)) << "largest difference "
                                                  << (fused.to(torch::kFloat32) - reference.to(torch::kFloat32)).abs().max();
    }
  }
}

// Python's F.linear (so HF's models) folds a [B, T, in] input's bias into the GEMM: one rounding.
// The C++ frontend's functional::linear adds it after the matmul, rounding twice in bf16, and the
// bf16 HF parity of the Qwen2 fixture (q/k/v bias) was then further from HF (mean 0.048 against 0.041).
TEST(TinyModelShapes, ALinearWithBiasRoundsOnceAsPythonsLinearDoes) {
  torch::manual_seed(7);
  torch::NoGradGuard no_grad;
  model::Linear linear(64, 48, /*bias=*/true, torch::TensorOptions().dtype(torch::kBFloat16));
  linear.weight.copy_(torch::randn({48, 64}) * 0.2);
  linear.bias.copy_(torch::randn({48}) * 3);
  auto x = (torch::randn({3, 5, 64}) * 2).to(torch::kBFloat16);
  auto once = at::addmm(linear.bias, x.view({-1, 64}), linear.weight.t()).view({3, 5, 48});
  EXPECT_TRUE(torch::equal(linear.forward(x), once));
  auto twice = torch::matmul(x, linear.weight.t()) + linear.bias;  // the check can fail: these differ
  EXPECT_FALSE(torch::equal(twice, once));
}

TEST(Bf16Kernels, ApplyOnlyToBf16InferenceOnTheCpu) {
  auto x = torch::ones({2, 8}, torch::kBFloat16);
  {
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(model::bf16_kernels_apply(x));
    EXPECT_FALSE(model::bf16_kernels_apply(x.to(torch::kFloat32)));
    EXPECT_FALSE(model::bf16_kernels_apply(x.t())) << "a strided last dimension";
  }
  EXPECT_FALSE(model::bf16_kernels_apply(x)) << "gradients on: training takes the autograd ops";
}
