// The decode engine's fast paths against their references on tiny random Qwen2 / Llama / Qwen3
// models: the slot cache (per-row lengths) = the shared-length cache = a full forward; fused
// q/k/v and gate/up GEMMs = one GEMM per projection, with and without LoRA (B = 0 = base, trained
// B: same logits and same gradients); the causal-only training mask = the padded-mask path;
// continuous batching = static batching = one prompt at a time (greedy ids bitwise).
#include <gtest/gtest.h>

#include <set>

#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/lora.h"
#include "model_support.h"

namespace {

using namespace lightreasoner;
using lrtest::max_abs_diff;

torch::Tensor ids_tensor(const std::vector<int64_t>& ids) { return torch::tensor(ids, torch::kInt64).unsqueeze(0); }

torch::Tensor full_logits(model::CausalLM& lm, const std::vector<int64_t>& ids) {
  torch::NoGradGuard no_grad;
  return lm.logits(lm.forward(ids_tensor(ids))).squeeze(0).to(torch::kFloat32);  // [T, V]
}

class Engine : public ::testing::TestWithParam<std::string> {};

TEST_P(Engine, SlotCacheDecodeEqualsTheSharedCacheAndAFullForward) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  const std::vector<int64_t> ids = {5, 77, 300, 12, 9, 401, 33, 250, 18, 64, 101, 7};
  const int64_t prefill = 5;
  auto full = full_logits(*lm, ids);  // [12, V]
  torch::NoGradGuard no_grad;

  // The old shared-length cache, one row.
  auto old_cache = lm->make_cache(1, 16);
  std::vector<int64_t> head(ids.begin(), ids.begin() + prefill);
  std::vector<torch::Tensor> old_steps;
  (void)lm->forward(ids_tensor(head), {}, {}, &old_cache);
  for (size_t t = prefill; t < ids.size(); ++t) {
    old_steps.push_back(lm->logits(lm->forward(ids_tensor({ids[t]}), {}, {}, &old_cache)).squeeze(0).squeeze(0));
  }

  // The slot cache: our sequence in row 1 of 3, the other rows holding prompts of other lengths,
  // all rows decoding together (each at its own position).
  auto cache = lm->make_slot_cache(3, 20);
  auto group = torch::zeros({3, prefill}, torch::kInt64);
  group[0].narrow(0, 0, 2).copy_(torch::tensor({40, 41}));
  group[1].copy_(torch::tensor(head));
  group[2].narrow(0, 0, 4).copy_(torch::tensor({100, 200, 300, 400}));
  auto hidden = lm->prefill_slots(group, {0, 1, 2}, {2, prefill, 4}, cache);  // [3, 5, d]
  EXPECT_LT(max_abs_diff(lm->logits(hidden[1]), full.narrow(0, 0, prefill)), 1e-5);
  EXPECT_EQ(cache.host_lengths(), (std::vector<int64_t>{2, prefill, 4}));
  for (size_t t = prefill; t < ids.size(); ++t) {
    auto tokens = torch::tensor({int64_t{3}, ids[t], int64_t{4}}, torch::kInt64);
    auto step = lm->logits(lm->decode_slots(tokens, cache))[1];  // [V]
    EXPECT_LT(max_abs_diff(step, full[static_cast<int64_t>(t)]), 1e-5) << "position " << t;
    EXPECT_LT(max_abs_diff(step, old_steps[t - prefill]), 1e-5) << "position " << t;
  }
  EXPECT_EQ(cache.host_lengths()[1], static_cast<int64_t>(ids.size()));
  EXPECT_EQ(cache.lengths()[1].item<int64_t>(), static_cast<int64_t>(ids.size()));

  // A row moved to another slot decodes on exactly as before.
  cache.move_row(1, 0);
  auto moved = lm->logits(lm->decode_slots(torch::tensor({int64_t{9}}), cache))[0];
  auto expected = full_logits(*lm, [&] {
    auto longer = ids;
    longer.push_back(9);
    return longer;
  }());
  EXPECT_LT(max_abs_diff(moved, expected[-1]), 1e-5);
}

TEST_P(Engine, FusedProjectionsEqualOneGemmPerProjection) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  const std::vector<int64_t> ids = {1, 2, 3, 400, 500, 6, 7, 8, 9};
  auto fused = full_logits(*lm, ids);
  lm->set_fused_projections(false);
  auto unfused = full_logits(*lm, ids);
  lm->set_fused_projections(true);
  EXPECT_LT(max_abs_diff(fused, unfused), 1e-5);
  EXPECT_GT(fused.abs().max().item<double>(), 0.1);  // not a trivially zero output
  // The parts are views of the fused buffer: HF names, shapes and loaded values are unchanged.
  auto params = lm->named_parameters();
  EXPECT_TRUE(params.contains("model.layers.0.self_attn.k_proj.weight"));
  EXPECT_TRUE(params.contains("model.layers.0.mlp.up_proj.weight"));
  {
    torch::NoGradGuard no_grad;  // loaded weights require grad: the fused GEMM serves no-grad forwards
    EXPECT_TRUE(lm->model->layers[0]->self_attn->qkv.fused_usable());
    EXPECT_TRUE(lm->model->layers[1]->mlp->gate_up.fused_usable());
  }
  EXPECT_FALSE(lm->model->layers[0]->self_attn->qkv.fused_usable());  // ... and a forward with grads runs per part
}

TEST_P(Engine, LoraOnFusedProjectionsEqualsUnfusedInLogitsAndGradients) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  const std::vector<int64_t> ids = {1, 2, 3, 400, 500, 6, 7, 8, 9};
  auto base = full_logits(*lm, ids);
  model::LoraSpec spec;
  spec.targets = {"q_proj", "k_proj", "v_proj", "gate_proj", "up_proj"};
  spec.dropout = 0.0;
  auto modules = model::attach_lora(*lm, spec, 11);
  EXPECT_LT(max_abs_diff(full_logits(*lm, ids), base), 1e-6);  // B = 0: the base model
  {
    torch::NoGradGuard no_grad;
    for (auto& m : modules) m.adapter->B.normal_(0.0, 0.05);
  }
  auto with_lora = full_logits(*lm, ids);
  EXPECT_GT(max_abs_diff(with_lora, base), 1e-3);  // the adapters matter
  lm->set_fused_projections(false);
  EXPECT_LT(max_abs_diff(full_logits(*lm, ids), with_lora), 1e-5);

  // Gradients of the adapters through the fused and the unfused path.
  auto grads = [&](bool fused) {
    lm->set_fused_projections(fused);
    for (auto& m : modules) {
      m.adapter->A.mutable_grad() = torch::Tensor();
      m.adapter->B.mutable_grad() = torch::Tensor();
    }
    EXPECT_EQ(lm->model->layers[0]->self_attn->qkv.fused_usable(), fused);
    auto loss = lm->logits(lm->forward(ids_tensor(ids))).to(torch::kFloat32).log_softmax(-1).select(-1, 5).mean();
    loss.backward();
    std::vector<torch::Tensor> out;
    for (auto& m : modules) {
      out.push_back(m.adapter->A.grad().clone());
      out.push_back(m.adapter->B.grad().clone());
    }
    return out;
  };
  auto g_fused = grads(true), g_unfused = grads(false);
  ASSERT_EQ(g_fused.size(), g_unfused.size());
  for (size_t i = 0; i < g_fused.size(); ++i) {
    EXPECT_LT(max_abs_diff(g_fused[i], g_unfused[i]), 1e-5) << "tensor " << i;
  }
  EXPECT_GT(g_fused[1].abs().max().item<double>(), 0.0);
}

TEST_P(Engine, FullFineTuningStillReachesEveryProjectionWeight) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  for (auto& p : lm->parameters()) p.set_requires_grad(true);
  EXPECT_FALSE(lm->model->layers[0]->self_attn->qkv.fused_usable());  // grads needed: one GEMM per part
  auto loss = lm->logits(lm->forward(ids_tensor({3, 4, 5, 6}))).to(torch::kFloat32).log_softmax(-1).select(-1, 2).mean();
  loss.backward();
  for (const char* name : {"model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.v_proj.weight",
                           "model.layers.1.mlp.gate_proj.weight", "model.layers.1.mlp.up_proj.weight"}) {
    auto grad = lm->named_parameters()[name].grad();
    ASSERT_TRUE(grad.defined()) << name;
    EXPECT_GT(grad.abs().max().item<double>(), 0.0) << name;
  }
}

TEST_P(Engine, CausalOnlyMaskEqualsThePaddedMaskPath) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  torch::NoGradGuard no_grad;
  auto ids = torch::tensor({{5, 6, 7, 8, 9, 0, 0}, {10, 11, 12, 13, 14, 15, 16}}, torch::kInt64);  // right-padded
  auto causal = lm->forward(ids);  // no validity: the [1, 1, T, T] mask, positions from the table
  auto positions = torch::arange(7, torch::kInt64).unsqueeze(0).expand({2, 7});
  auto reference = lm->forward(ids, positions, torch::ones({2, 7}, torch::kBool));  // [B, 1, T, T] mask
  EXPECT_LT(max_abs_diff(causal, reference), 1e-6);
}

TEST_P(Engine, FastPathsOffRunThe2835eeaPathsWithTheSameResults) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  const std::vector<int64_t> ids = {1, 2, 3, 400, 500, 6, 7, 8, 9};
  auto fast = full_logits(*lm, ids);
  lm->set_fast_paths(false);
  {
    torch::NoGradGuard no_grad;
    EXPECT_FALSE(lm->model->layers[0]->self_attn->qkv.fused_usable());
  }
  EXPECT_FALSE(lm->model->norm->fast);
  EXPECT_LT(max_abs_diff(full_logits(*lm, ids), fast), 1e-5);
}

std::vector<std::vector<int64_t>> engine_prompts() {
  return {{3, 17, 250}, {8, 90, 91, 400, 5, 6, 7}, {300, 2, 44, 45, 46}, {9},
          {11, 12, 13, 14, 15, 16, 17, 18, 19}, {200, 201}, {7, 7, 7, 7}};
}

TEST_P(Engine, ContinuousBatchingEqualsStaticBatchingEqualsOnePromptAtATime) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  const auto prompts = engine_prompts();
  generate::GenerationOptions options;
  options.max_new_tokens = 12;
  auto free_run = generate::generate_static(*lm, prompts, options);
  // An eos that some rows emit early and others never: rows finish at different steps.
  options.eos_token_ids = {free_run.completions[1].ids[3], free_run.completions[4].ids[6]};
  auto reference = generate::generate_static(*lm, prompts, options);
  std::set<size_t> lengths;
  for (const auto& c : reference.completions) lengths.insert(c.ids.size());
  ASSERT_GE(lengths.size(), 2u) << "every row finished at the same step: the test would prove little";
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto alone = generate::generate_static(*lm, {prompts[i]}, options);
    EXPECT_EQ(alone.completions[0].ids, reference.completions[i].ids) << "prompt " << i;
  }
  for (int64_t max_batch : {0, 1, 2, 3}) {
    for (int64_t check_every : {1, 3}) {
      auto o = options;
      o.max_batch = max_batch;
      o.check_every = check_every;
      auto continuous = generate::generate(*lm, prompts, o);
      for (size_t i = 0; i < prompts.size(); ++i) {
        EXPECT_EQ(continuous.completions[i].ids, reference.completions[i].ids)
            << "prompt " << i << " max_batch " << max_batch << " check_every " << check_every;
        EXPECT_EQ(continuous.completions[i].finish, reference.completions[i].finish) << "prompt " << i;
      }
      if (max_batch > 0) EXPECT_GT(continuous.stats.prefills, 1);  // newcomers were admitted mid-run
    }
  }
}

TEST_P(Engine, ContinuousBatchingKeepsLogprobsLogitsAndStopChecks) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  const auto prompts = engine_prompts();
  generate::GenerationOptions options;
  options.max_new_tokens = 8;
  options.return_logprobs = true;
  options.return_logits = true;
  auto reference = generate::generate_static(*lm, prompts, options);
  // Stop each row after it emits the id its reference row emitted third.
  options.stop_check = [&](int64_t row, const std::vector<int64_t>& ids) {
    return ids.back() == reference.completions[static_cast<size_t>(row)].ids[2];
  };
  auto stopped_ref = generate::generate_static(*lm, prompts, options);
  options.max_batch = 3;
  auto stopped = generate::generate(*lm, prompts, options);
  options.stop_check = nullptr;
  auto plain = generate::generate(*lm, prompts, options);
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(plain.completions[i].ids, reference.completions[i].ids);
    ASSERT_EQ(plain.completions[i].logprobs.size(), reference.completions[i].logprobs.size());
    for (size_t t = 0; t < plain.completions[i].logprobs.size(); ++t) {
      EXPECT_NEAR(plain.completions[i].logprobs[t], reference.completions[i].logprobs[t], 1e-5);
    }
    EXPECT_LT(max_abs_diff(plain.completions[i].logits, reference.completions[i].logits), 1e-4);
    EXPECT_EQ(stopped.completions[i].ids, stopped_ref.completions[i].ids) << "prompt " << i;
    EXPECT_EQ(stopped.completions[i].finish, generate::FinishReason::kStop) << "prompt " << i;
  }
}

TEST_P(Engine, OneNewTokenAndMoreSlotsThanPromptsWork) {
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  const auto prompts = engine_prompts();
  generate::GenerationOptions options;
  options.max_new_tokens = 1;
  auto reference = generate::generate_static(*lm, prompts, options);
  options.max_batch = 2;
  auto one = generate::generate(*lm, prompts, options);
  options.max_batch = 100;
  auto wide = generate::generate(*lm, prompts, options);
  for (size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_EQ(reference.completions[i].ids.size(), 1u);
    EXPECT_EQ(one.completions[i].ids, reference.completions[i].ids);
    EXPECT_EQ(wide.completions[i].ids, reference.completions[i].ids);
  }
}

TEST_P(Engine, TheGraphPathsFixedShapeStepGivesTheSameIds) {
  // What a CUDA graph captures (every slot read, masked on the device, positions clamped); on a
  // CPU, or without LR_WITH_CUDA_GRAPHS, it runs eagerly: this checks its results.
  auto lm = lrtest::load_tiny(lrtest::make_tiny_model(GetParam()));
  const auto prompts = engine_prompts();
  generate::GenerationOptions options;
  options.max_new_tokens = 10;
  auto reference = generate::generate_static(*lm, prompts, options);
  options.eos_token_ids = {reference.completions[2].ids[4]};
  reference = generate::generate_static(*lm, prompts, options);
  options.cuda_graphs = true;
  options.max_batch = 3;
  auto fixed = generate::generate(*lm, prompts, options);
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(fixed.completions[i].ids, reference.completions[i].ids) << i;
}

INSTANTIATE_TEST_SUITE_P(Arch, Engine, ::testing::Values("qwen2", "llama", "qwen3"),
                         [](const auto& info) { return info.param; });

}  // namespace
