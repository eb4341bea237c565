// The training objective and loop, in-process on tiny random models: ∂loss/∂logits = (softmax − target)/N
// (autograd and central differences), sparse KL = dense reference, token CE = KL to a one-hot target,
// gathered positions are the real ones, `trajectory` and `step` packing give the same loss and LoRA
// gradients, an update holds train.batch_size examples whatever the packing, accumulation and rank
// count (and the trained adapter is the same), configs/default.json resolves to the official
// 16 x 1000 supervised steps, the LR schedules, overfitting a handful of steps reaches the target
// entropy, and a NaN loss stops with the last good checkpoint kept.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <iomanip>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/train/adamw.h"
#include "lightreasoner/train/batch.h"
#include "lightreasoner/pipeline/checkpoints.h"
#include "lightreasoner/pipeline/options.h"
#include "lightreasoner/pipeline/training.h"
#include "lightreasoner/train/checkpoint.h"
#include "lightreasoner/train/loss.h"
#include "lightreasoner/train/trainer.h"
#include "model_support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;
using train::Packing;

namespace {

// Random sparse soft targets: K distinct ascending ids < vocab with probabilities summing to 1.
train::SupervisedStep random_step(int64_t t, int64_t vocab, int64_t K, std::mt19937_64& rng) {
  train::SupervisedStep s;
  s.t = t;
  std::set<int64_t> ids;
  while (static_cast<int64_t>(ids.size()) < K) ids.insert(static_cast<int64_t>(rng() % static_cast<uint64_t>(vocab)));
  s.ids.assign(ids.begin(), ids.end());
  double total = 0;
  std::vector<double> w;
  for (int64_t k = 0; k < K; ++k) {
    w.push_back(0.2 + static_cast<double>(rng() % 1000) / 1000.0);
    total += w.back();
  }
  for (double x : w) s.p.push_back(static_cast<float>(x / total));
  return s;
}

// Rows with prompts/completions of different lengths and 1–3 selected steps each.
std::vector<train::TrainRow> random_rows(int n, int64_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<train::TrainRow> rows;
  for (int i = 0; i < n; ++i) {
    train::TrainRow row;
    row.id = "r" + std::to_string(i);
    const int64_t P = 2 + static_cast<int64_t>(rng() % 5), C = 4 + static_cast<int64_t>(rng() % 6);
    for (int64_t j = 0; j < P; ++j) row.prompt_ids.push_back(static_cast<int64_t>(rng() % vocab));
    for (int64_t j = 0; j < C; ++j) row.completion_ids.push_back(static_cast<int64_t>(rng() % vocab));
    std::set<int64_t> ts = {0};
    const int64_t extra = static_cast<int64_t>(rng() % 3);
    for (int64_t k = 0; k < extra; ++k) ts.insert(1 + static_cast<int64_t>(rng() % (C - 1)));
    for (int64_t t : ts) row.steps.push_back(random_step(t, vocab, 1 + static_cast<int64_t>(rng() % 4), rng));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<const train::TrainRow*> pointers(const std::vector<train::TrainRow>& rows) {
  std::vector<const train::TrainRow*> out;
  for (const auto& r : rows) out.push_back(&r);
  return out;
}

pipeline::TrainingOptions quick_options(const fs::path& dir, int64_t vocab) {
  pipeline::TrainingOptions o;
  o.trainer.vocab = vocab;
  o.trainer.train.batch_size = 2;
  o.trainer.train.grad_accum = 1;
  o.trainer.train.max_steps = 10;
  o.trainer.train.checkpoint_every = 0;
  o.trainer.train.log_every = 1;
  o.run_dir = dir;
  return o;
}

}  // namespace

TEST(TrainLoss, GradientWrtLogitsIsSoftmaxMinusTarget) {
  torch::manual_seed(0);
  const int64_t N = 5, V = 40, vocab = 32;  // logits wider than the shared vocabulary
  auto logits = (torch::randn({N, V}) * 3).requires_grad_(true);
  std::mt19937_64 rng(1);
  std::vector<train::TrainRow> rows(1);
  rows[0].prompt_ids = {1};
  rows[0].completion_ids.assign(N, 2);
  for (int64_t n = 0; n < N; ++n) rows[0].steps.push_back(random_step(n, vocab, 1 + n % 4, rng));
  auto batch = train::pack_rows(pointers(rows), Packing::kTrajectory, torch::kCPU);
  auto loss = train::soft_target_kl(logits, batch.target_ids, batch.target_p, vocab);
  loss.backward();

  auto dense = torch::zeros({N, vocab}).scatter_add(1, batch.target_ids, batch.target_p);  // [N, vocab]
  auto expected = torch::zeros({N, V});
  expected.slice(1, 0, vocab).copy_((torch::softmax(logits.detach().slice(1, 0, vocab), -1) - dense) / N);
  // Autograd's fp32 gradient against the formula evaluated in fp32: both are (softmax − p)/N with a
  // handful of roundings each, so they differ by a few units of fp32 rounding (ε32 = 1.19e-7) of
  // the largest entry (≤ 1/N): 8·ε32/N bounds it.
  const double eps32 = std::numeric_limits<float>::epsilon(), eps64 = std::numeric_limits<double>::epsilon();
  EXPECT_LT(lrtest::max_abs_diff(logits.grad(), expected), 8 * eps32 / N);
  EXPECT_EQ(logits.grad().slice(1, vocab, V).abs().max().item<double>(), 0.0);  // outside the shared vocabulary

  // The formula is the loss's derivative: central differences of the same loss written out in fp64
  // here, f(z) = mean_n [Σ_k p log p − Σ_k p·log_softmax(z_n)[id_k]], on every entry of the shared
  // vocabulary (soft_target_kl computes in fp32, whose rounding ÷ h would swamp entries ~1e-6).
  auto z = logits.detach().slice(1, 0, vocab).to(torch::kFloat64);  // [N, vocab]
  auto p64 = batch.target_p.to(torch::kFloat64);
  auto f = [&](const torch::Tensor& x) {
    auto log_q = torch::log_softmax(x, -1).gather(1, batch.target_ids);                                    // [N, K]
    auto neg_entropy = torch::where(p64 > 0, p64 * torch::log(torch::where(p64 > 0, p64, torch::ones_like(p64))),
                                    torch::zeros_like(p64));
    return (neg_entropy - p64 * log_q).sum(-1).mean().item<double>();
  };
  // soft_target_kl's fp32 value is this f up to fp32 rounding: log_softmax rounds each log q to a
  // few ε32·(|z| + log vocab), and the sum over K targets with Σp = 1 keeps that scale.
  const double z_max = z.abs().max().item<double>();
  EXPECT_NEAR(loss.item<double>(), f(z), 8 * eps32 * (z_max + std::log(static_cast<double>(vocab))));
  // f's exact gradient is (q·Σ_k p_k − p)/N: the fp32 targets sum to 1 only within ~ε32, which
  // (softmax − p)/N assumes exactly (that difference, ≤ ε32·q/N, is covered by the last check).
  // Central-difference error at step h: truncation h²/6·|∂³f| with |∂³f| ≤ 0.1/N (log-softmax's
  // third derivatives are q(1−q)(1−2q) ≤ 0.1), plus the rounding of two fp64 evaluations of f,
  // ≈ ε64·Σ|terms| ≤ 2.2e-16·100, divided by 2h. h = 1e-4: < 1e-10 + 1.1e-10, so 1e-9 bounds it
  // (measured: 3.7e-11), far below the 2e-4 this check used to allow.
  auto expected64 =
      (torch::softmax(z, -1) * p64.sum(-1, /*keepdim=*/true) - dense.to(torch::kFloat64)) / N;  // [N, vocab]
  const double h = 1e-4, tol = 1e-9;
  ASSERT_LT(std::abs(f(z)), 100.0);
  double worst = 0;
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t a = 0; a < vocab; ++a) {
      auto plus = z.clone(), minus = z.clone();
      plus.accessor<double, 2>()[n][a] += h;
      minus.accessor<double, 2>()[n][a] -= h;
      const double numeric = (f(plus) - f(minus)) / (2 * h);
      const double analytic = expected64[n][a].item<double>();
      worst = std::max(worst, std::abs(numeric - analytic));
      EXPECT_NEAR(numeric, analytic, tol) << "entry " << n << "," << a;
    }
  }
  std::cout << "largest central-difference error " << worst << " (bound " << tol << ", ε64 " << eps64 << ")\n";
  // And the fp32 formula (softmax − p)/N is the exact gradient up to fp32 rounding and Σp − 1:
  // within 4·ε32 of the largest entry's scale 1/N.
  EXPECT_LT(lrtest::max_abs_diff(expected.slice(1, 0, vocab).to(torch::kFloat64), expected64), 4 * eps32 / N);
}

TEST(TrainLoss, SparseEqualsDenseReferenceAndCeIsOneHotKl) {
  torch::manual_seed(3);
  auto rows = random_rows(6, 50, 5);
  auto batch = train::pack_rows(pointers(rows), Packing::kTrajectory, torch::kCPU);
  auto logits = torch::randn({batch.steps, 64}) * 2;
  auto sparse = train::soft_target_kl(logits, batch.target_ids, batch.target_p, 50).item<double>();
  auto dense = train::soft_target_kl_reference(logits, batch.target_ids, batch.target_p, 50).item<double>();
  EXPECT_NEAR(sparse, dense, 1e-5);
  EXPECT_GT(sparse, 0.1);

  auto sft = train::sft_row("x", {1, 2, 3}, {4, 5, 6, 7});
  auto one_hot = train::pack_rows({&sft}, Packing::kTrajectory, torch::kCPU);
  auto l2 = torch::randn({one_hot.steps, 64});
  EXPECT_NEAR(train::token_cross_entropy(l2, one_hot.target_ids, 50).item<double>(),
              train::soft_target_kl(l2, one_hot.target_ids, one_hot.target_p, 50).item<double>(), 1e-5);
}

TEST(TrainBatch, PositionsAreTheRealPredictingPositions) {
  auto rows = random_rows(5, 100, 11);
  for (auto packing : {Packing::kTrajectory, Packing::kStep}) {
    auto batch = train::pack_rows(pointers(rows), packing, torch::kCPU);
    const int64_t L = batch.input_ids.size(1);
    int64_t n = 0;
    for (const auto& row : rows) {
      const auto P = static_cast<int64_t>(row.prompt_ids.size());
      for (const auto& step : row.steps) {
        const int64_t pos = batch.positions[n].item<int64_t>();
        const int64_t b = pos / L, j = pos % L;
        // The input at the supervised position is the token just before completion[t].
        const int64_t before = step.t == 0 ? row.prompt_ids.back() : row.completion_ids[static_cast<size_t>(step.t - 1)];
        EXPECT_EQ(batch.input_ids[b][j].item<int64_t>(), before);
        EXPECT_EQ(j, P + step.t - 1);
        if (packing == Packing::kStep) EXPECT_EQ(j + 1, P + step.t);  // the last real token of its row
        EXPECT_EQ(batch.target_ids[n][0].item<int64_t>(), step.ids[0]);
        ++n;
      }
    }
    EXPECT_EQ(n, batch.steps);
  }
}

TEST(TrainLoss, TrajectoryAndStepPackingGiveTheSameLossAndLoraGradients) {
  auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen2"));
  model::LoraSpec spec;
  spec.dropout = 0.0;
  spec.targets = model::lora_target_names();
  auto modules = model::attach_lora(*model, spec, 4);
  {
    torch::NoGradGuard no_grad;
    torch::manual_seed(5);
    for (const auto& m : modules) m.adapter->B.normal_(0.0, 0.1);  // non-zero: A gets gradients too
  }
  const int64_t vocab = model->config().vocab_size;
  auto rows = random_rows(6, vocab, 21);
  auto params = model::lora_parameters(modules);
  // Each sequence a row of its own (pack_tokens 0), then laid end to end: 24 tokens per row (a
  // few sequences share a row) and 4096 (every sequence in one row).
  struct Variant {
    Packing packing;
    int64_t pack_tokens;
  };
  const std::vector<Variant> variants = {{Packing::kTrajectory, 0},  {Packing::kStep, 0},
                                         {Packing::kTrajectory, 24}, {Packing::kStep, 24},
                                         {Packing::kTrajectory, 4096}, {Packing::kStep, 4096}};
  std::vector<model::AttentionBackend> backends = {model::AttentionBackend::kReference, model::AttentionBackend::kGrouped};
  if (model::sdpa_available()) backends.push_back(model::AttentionBackend::kSdpa);
  for (auto backend : backends) {
    model->set_attention_backend(backend);
    std::vector<std::vector<torch::Tensor>> grads;
    std::vector<double> losses;
    std::vector<int64_t> rows_used;
    for (const auto& v : variants) {
      for (auto& [name, p] : params) p.mutable_grad() = torch::Tensor();
      auto batch = train::pack_rows(pointers(rows), v.packing, torch::kCPU, v.pack_tokens);
      auto loss = train::batch_loss(*model, batch, train::LossKind::kSoftTargetKL, vocab);
      loss.backward();
      losses.push_back(loss.item<double>());
      rows_used.push_back(batch.input_ids.size(0));
      grads.emplace_back();
      for (auto& [name, p] : params) grads.back().push_back(p.grad().clone());
    }
    // fp32 sums over ~10 terms of magnitude <= 1 in another order differ by ~1e-7 each: 1e-5 is slack
    // for rounding and far below a wrong mask or position (which moves the loss by ~1e-2).
    double max_grad = 0;
    for (size_t v = 1; v < variants.size(); ++v) {
      const auto label = std::string(model::attention_backend_name(backend)) + " variant " + std::to_string(v);
      EXPECT_NEAR(losses[v], losses[0], 1e-5) << label;
      for (size_t k = 0; k < params.size(); ++k) {
        EXPECT_LT(lrtest::max_abs_diff(grads[0][k], grads[v][k]), 1e-5) << label << " " << params[k].first;
        max_grad = std::max(max_grad, grads[0][k].abs().max().item<double>());
      }
    }
    EXPECT_GT(max_grad, 1e-4);
    // The packed variants really share rows: 6 trajectories in one row at 4096 tokens, fewer rows than sequences at 24.
    EXPECT_EQ(rows_used[0], 6);
    EXPECT_EQ(rows_used[4], 1);
    EXPECT_EQ(rows_used[5], 1);
    EXPECT_LT(rows_used[2], rows_used[0]);
    EXPECT_LT(rows_used[3], rows_used[1]);
  }
}

TEST(TrainBatch, PackedRowsHoldEachSequenceWholeWithItsOwnPositionsAndNoRowOverTheLimit) {
  const auto rows = random_rows(9, 64, 17);
  for (auto packing : {Packing::kTrajectory, Packing::kStep}) {
    const auto plain = train::pack_rows(pointers(rows), packing, torch::kCPU);
    for (int64_t pack_tokens : {1, 14, 30}) {
      const auto batch = train::pack_rows(pointers(rows), packing, torch::kCPU, pack_tokens);
      ASSERT_TRUE(batch.packed());
      EXPECT_FALSE(plain.packed());
      EXPECT_EQ(batch.steps, plain.steps);
      EXPECT_EQ(batch.tokens, plain.tokens);
      EXPECT_TRUE(torch::equal(batch.target_ids, plain.target_ids));
      EXPECT_TRUE(torch::equal(batch.target_p, plain.target_p));
      const int64_t B = batch.input_ids.size(0), L = batch.input_ids.size(1);
      const int64_t plain_L = plain.input_ids.size(1);
      EXPECT_LE(L, std::max(pack_tokens, batch.rows.longest));
      EXPECT_EQ(batch.rows.longest, plain_L);
      auto ids = batch.input_ids.accessor<int64_t, 2>();
      auto pos = batch.rows.position_ids.accessor<int64_t, 2>();
      auto seg = batch.rows.segment_ids.accessor<int64_t, 2>();
      // Every supervised position sees the same token at the same in-sequence position as unpacked,
      // and the tokens of its sequence before it are the unpacked row's, in order.
      for (int64_t n = 0; n < batch.steps; ++n) {
        const int64_t flat = batch.positions[n].item<int64_t>(), b = flat / L, j = flat % L;
        const int64_t plain_flat = plain.positions[n].item<int64_t>(), pb = plain_flat / plain_L, pj = plain_flat % plain_L;
        ASSERT_EQ(pos[b][j], pj) << "step " << n;
        for (int64_t back = 0; back <= pj; ++back) {
          ASSERT_EQ(seg[b][j - back], seg[b][j]) << "step " << n;
          ASSERT_EQ(pos[b][j - back], pj - back);
          ASSERT_EQ(ids[b][j - back], plain.input_ids[pb][pj - back].item<int64_t>()) << "step " << n;
        }
        if (j - pj - 1 >= 0) EXPECT_NE(seg[b][j - pj - 1], seg[b][j]) << "a sequence starts at position 0";
      }
      // Segments number 0, 1, ... along a row (the padding after them), and rows are shared (even
      // at pack_tokens 1: a row holds up to the longest sequence's length).
      std::map<int64_t, std::set<int64_t>> sequences_in_row;
      for (int64_t n = 0; n < batch.steps; ++n) {
        const int64_t flat = batch.positions[n].item<int64_t>();
        sequences_in_row[flat / L].insert(seg[flat / L][flat % L]);
      }
      size_t most = 0;
      for (int64_t b = 0; b < B; ++b) {
        EXPECT_EQ(seg[b][0], 0);
        for (int64_t j = 1; j < L; ++j) EXPECT_GE(seg[b][j], seg[b][j - 1]);
        most = std::max(most, sequences_in_row[b].size());
      }
      EXPECT_LT(B, plain.input_ids.size(0));
      EXPECT_GT(most, 1u);
    }
  }
}

namespace {
// The (row index, step index) pairs of one update, over every micro-batch and rank, sorted.
std::vector<std::pair<int64_t, int64_t>> update_examples(train::UpdateSchedule& schedule,
                                                         const std::vector<train::TrainRow>& rows, int64_t update,
                                                         int64_t batch, int64_t accum, int64_t world, Packing packing,
                                                         int64_t* sequences = nullptr) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t rank = 0; rank < world; ++rank) {
    for (const auto& micro : schedule.update(update, batch, accum, world, rank, packing)) {
      int64_t steps = 0;
      for (const auto& segment : micro.segments) {
        if (sequences) ++*sequences;
        for (size_t i : segment.steps) out.emplace_back(segment.row - rows.data(), static_cast<int64_t>(i));
        steps += static_cast<int64_t>(segment.steps.size());
      }
      EXPECT_EQ(steps, micro.steps);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST(TrainSchedule, AnUpdateHoldsBatchSizeStepsWhateverThePackingAccumulationAndRanks) {
  auto rows = random_rows(13, 50, 3);  // 1–3 steps each: updates cut rows and cross epochs
  int64_t total_steps = 0;
  for (const auto& r : rows) total_steps += static_cast<int64_t>(r.steps.size());
  for (auto order : {train::Order::kSteps, train::Order::kRollouts}) {
    SCOPED_TRACE(train::order_name(order));
    train::UpdateSchedule reference(rows, order, /*rows_are_examples=*/false, 7);
    EXPECT_EQ(reference.examples(), total_steps);
    const int64_t batch = 6;
    std::map<std::pair<int64_t, int64_t>, int> seen;  // over one epoch's worth of updates
    int64_t sequences_trajectory = 0, sequences_step = 0;
    for (int64_t u = 0; u < 9; ++u) {
      auto expected = update_examples(reference, rows, u, batch, 1, 1, Packing::kStep, &sequences_step);
      ASSERT_EQ(static_cast<int64_t>(expected.size()), batch);
      if ((u + 1) * batch <= total_steps)
        for (const auto& e : expected) ++seen[e];
      for (auto packing : {Packing::kTrajectory, Packing::kStep})
        for (auto [accum, world] : {std::pair<int64_t, int64_t>{1, 1}, {2, 1}, {3, 2}, {1, 3}}) {
          train::UpdateSchedule other(rows, order, false, 7);  // fresh: as a resumed process would be
          int64_t* counter = packing == Packing::kTrajectory && accum == 1 && world == 1 ? &sequences_trajectory : nullptr;
          EXPECT_EQ(update_examples(other, rows, u, batch, accum, world, packing, counter), expected)
              << "update " << u << " accum " << accum << " ranks " << world;
        }
    }
    // Every step once per epoch.
    for (const auto& [example, count] : seen) EXPECT_EQ(count, 1);
    EXPECT_EQ(static_cast<int64_t>(seen.size()), (total_steps / batch) * batch);
    // Trajectory packing shares sequences between a row's steps (most with the rollout order).
    EXPECT_LT(sequences_trajectory, sequences_step);
  }
  // SFT: an example is a whole row.
  train::UpdateSchedule sft(rows, train::Order::kSteps, /*rows_are_examples=*/true, 7);
  EXPECT_EQ(sft.examples(), 13);
  auto micros = sft.update(0, 4, 2, 1, 0, Packing::kTrajectory);
  ASSERT_EQ(micros.size(), 2u);
  EXPECT_EQ(micros[0].segments.size() + micros[1].segments.size(), 4u);
  EXPECT_LR_ERROR(sft.update(0, 3, 2, 2, 0, Packing::kStep), "fewer than train.grad_accum x ranks = 2 x 2");
}

TEST(TrainLoop, PackingAndAccumulationChangeTheSpeedNotTheTrainedAdapter) {
  auto dir = lrtest::make_tiny_model("qwen2");
  const auto rows = random_rows(8, 64, 31);
  std::vector<std::vector<torch::Tensor>> adapters;
  std::vector<double> final_losses;
  int64_t supervised = -1;
  struct Variant {
    std::string packing;
    int64_t accum, pack_tokens;
  };
  for (const auto& [packing, accum, pack_tokens] : std::vector<Variant>{
           {"trajectory", 1, 0}, {"step", 1, 0}, {"step", 3, 0}, {"step", 1, 64}, {"trajectory", 2, 64}}) {
    auto model = lrtest::load_tiny(dir);
    model::LoraSpec spec;
    spec.dropout = 0.0;
    auto modules = model::attach_lora(*model, spec, 5);
    auto o = quick_options(lrtest::temp_dir(std::to_string(adapters.size())), model->config().vocab_size);
    o.trainer.train.packing = packing;
    o.trainer.train.grad_accum = accum;
    o.trainer.train.pack_tokens = pack_tokens;
    o.trainer.train.batch_size = 5;
    o.trainer.train.max_steps = 6;
    o.trainer.optim.lr = 1e-2;
    auto summary = pipeline::run_training(*model, model::lora_parameters(modules), rows, o, dist::Group());
    EXPECT_EQ(summary.supervised_steps, 30);  // 6 updates x 5 steps
    if (supervised >= 0) EXPECT_EQ(summary.supervised_steps, supervised);
    supervised = summary.supervised_steps;
    final_losses.push_back(summary.final_loss);
    std::vector<torch::Tensor> tensors;
    for (const auto& [name, t] : model::lora_parameters(modules)) tensors.push_back(t.detach().clone());
    adapters.push_back(std::move(tensors));
  }
  double largest = 0.0;
  for (size_t k = 0; k < adapters[0].size(); ++k) {
    largest = std::max(largest, adapters[0][k].abs().max().item<double>());
    for (size_t v = 1; v < adapters.size(); ++v)
      EXPECT_LT(lrtest::max_abs_diff(adapters[0][k], adapters[v][k]), 1e-5) << "variant " << v << " tensor " << k;
  }
  EXPECT_GT(largest, 0.0);
  for (size_t v = 1; v < final_losses.size(); ++v) EXPECT_NEAR(final_losses[v], final_losses[0], 1e-5);
}

TEST(TrainConfig, TheDefaultConfigIsTheOfficialRunSixteenStepsPerUpdateAndSixteenThousandInAll) {
  const auto config = config::load_run_config(fs::path(LR_SOURCE_DIR) / "configs" / "default.json");
  // The official scripts' prompt, first step and decoding (docs/method.md#differences).
  EXPECT_EQ(config.prompt.template_name, "qwen-chat");
  EXPECT_EQ(config.prompt.system.value_or(""), "Please reason step by step.");
  EXPECT_TRUE(config.sample.skip_first_step);
  EXPECT_EQ(config.sample.decoding, "generation_config");
  EXPECT_EQ(config.sample.max_new_tokens, 128);
  EXPECT_EQ(config.data.max_problems, 1000);
  EXPECT_FALSE(config.data.shuffle);
  EXPECT_EQ(config.data.path, "data/gsm8k_openai/train.jsonl");
  const auto o = pipeline::trainer_options(config, train::LossKind::kSoftTargetKL, 151643);
  EXPECT_EQ(o.order(), train::Order::kSteps);  // every step shuffled independently, as HF's sampler
  // The resolved run on a dataset the size of the official one (1000 rollouts, ~20 selected
  // steps each): every update holds 16 supervised steps (8 + 8 over the two micro-batches),
  // 1000 updates, 16000 in all (LightR_finetuning.py: 8 x 2 accumulation, max_steps 1000).
  std::vector<train::TrainRow> rows(1000);
  std::mt19937_64 rng(1);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].prompt_ids = {1, 2, 3};
    rows[i].completion_ids.assign(128, 4);
    const int64_t n = 10 + static_cast<int64_t>(rng() % 21);
    for (int64_t k = 0; k < n; ++k) rows[i].steps.push_back({1 + k * 4, {5}, {1.0f}});
  }
  train::UpdateSchedule schedule(rows, o.order(), o.rows_are_examples, o.seed);
  const int64_t updates = train::total_updates(o, schedule.examples());
  EXPECT_EQ(updates, 1000);
  int64_t total = 0;
  for (auto packing : {Packing::kTrajectory, Packing::kStep}) {
    total = 0;
    for (int64_t u = 0; u < updates; ++u) {
      int64_t in_update = 0;
      for (const auto& micro : schedule.update(u, o.train.batch_size, o.train.grad_accum, 1, 0, packing)) {
        EXPECT_EQ(micro.steps, 8);
        in_update += micro.steps;
      }
      ASSERT_EQ(in_update, 16) << "update " << u;
      total += in_update;
    }
    EXPECT_EQ(total, 16000);
  }
  // The paper's SFT baseline: 16 sequences per update for one epoch (steps = N / 16).
  const auto sft = config::load_run_config(fs::path(LR_SOURCE_DIR) / "configs" / "sft-rejection.json");
  const auto so = pipeline::trainer_options(sft, train::LossKind::kTokenCrossEntropy, 151643);
  EXPECT_TRUE(so.rows_are_examples);
  EXPECT_EQ(so.train.batch_size, 16);
  EXPECT_EQ(train::total_updates(so, 3952), 247);  // 3952 kept rollouts (Math-1.5B) / 16
}

TEST(TrainLoop, LrSchedules) {
  EXPECT_DOUBLE_EQ(train::lr_factor("linear", 0, 0, 100), 1.0);
  EXPECT_DOUBLE_EQ(train::lr_factor("linear", 50, 0, 100), 0.5);
  EXPECT_NEAR(train::lr_factor("linear", 99, 0, 100), 0.01, 1e-12);
  EXPECT_DOUBLE_EQ(train::lr_factor("linear", 5, 10, 110), 0.5);    // warmup
  EXPECT_DOUBLE_EQ(train::lr_factor("linear", 60, 10, 110), 0.5);
  EXPECT_DOUBLE_EQ(train::lr_factor("constant", 60, 10, 110), 1.0);
  EXPECT_NEAR(train::lr_factor("cosine", 50, 0, 100), 0.5, 1e-12);
}

TEST(TrainLoop, OverfittingAHandfulOfStepsReachesTheTargetEntropy) {
  auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen2"));
  const int64_t vocab = model->config().vocab_size;
  model::LoraSpec spec;
  spec.r = 8;
  spec.dropout = 0.0;
  spec.targets = model::lora_target_names();
  // Reachable soft targets: the full next-token distributions of the same base with another
  // (random) adapter, at a handful of steps. The KL's minimum, 0, is then attainable.
  auto rows = random_rows(3, vocab, 99);
  {
    auto teacher = model::attach_lora(*model, spec, 7);
    torch::NoGradGuard no_grad;
    torch::manual_seed(8);
    for (const auto& m : teacher) m.adapter->B.normal_(0.0, 0.3);
    auto batch = train::pack_rows(pointers(rows), Packing::kTrajectory, torch::kCPU);
    auto probs = torch::softmax(train::supervised_logits(*model, batch).to(torch::kFloat32), -1);  // [N, V]
    int64_t n = 0;
    for (auto& row : rows)
      for (auto& step : row.steps) {
        step.ids.clear();
        step.p.clear();
        for (int64_t a = 0; a < vocab; ++a) {
          step.ids.push_back(a);
          step.p.push_back(probs[n][a].item<float>());
        }
        ++n;
      }
    model::detach_lora(*model);
  }
  auto modules = model::attach_lora(*model, spec, 42);
  auto dir = lrtest::temp_dir();
  auto o = quick_options(dir, vocab);
  o.trainer.train.batch_size = 3;
  o.trainer.train.max_steps = 150;
  o.trainer.optim.lr = 1e-2;
  o.trainer.optim.schedule = "constant";
  auto summary = pipeline::run_training(*model, model::lora_parameters(modules), rows, o, dist::Group());
  // KL = CE − H(target): the soft cross-entropy approaches the target entropy.
  auto batch = train::pack_rows(pointers(rows), Packing::kTrajectory, torch::kCPU);
  torch::NoGradGuard no_grad;
  const double kl = train::batch_loss(*model, batch, train::LossKind::kSoftTargetKL, vocab).item<double>();
  const double entropy = train::mean_target_entropy(rows);
  EXPECT_GT(summary.first_loss, 0.1);
  EXPECT_LT(kl, 0.05 * summary.first_loss) << "soft CE " << kl + entropy << " vs target entropy " << entropy
                                           << "; first loss " << summary.first_loss;
  EXPECT_LT(kl, 0.01);
  EXPECT_TRUE(fs::exists(dir / "metrics.jsonl"));
}

// The building block alone (no output directory): update k depends on (seed, k) and the state
// a checkpoint holds, nothing else — so three updates, a checkpoint's files, a fresh Trainer on a
// differently initialised adapter and three more equal six uninterrupted updates bit for bit,
// LoRA dropout (reseeded per micro-batch) included.
TEST(Trainer, UpdatesContinuedFromACheckpointsFilesEqualAnUninterruptedRunBitwise) {
  const auto dir = lrtest::make_tiny_model("qwen2");
  const auto rows = random_rows(6, 64, 17);
  model::LoraSpec spec;
  spec.dropout = 0.1;
  auto make = [&](uint64_t lora_seed) {
    auto model = lrtest::load_tiny(dir);
    auto modules = model::attach_lora(*model, spec, lora_seed);
    model->train();
    return std::make_pair(model, modules);
  };
  train::TrainerOptions o;
  o.vocab = 64;
  o.train.batch_size = 3;
  o.train.grad_accum = 2;
  o.train.max_steps = 6;
  o.optim.lr = 1e-2;

  auto [whole_model, whole_modules] = make(5);
  train::Trainer whole(*whole_model, model::lora_parameters(whole_modules), rows, o, dist::Group());
  std::vector<double> whole_losses;
  for (int64_t step = 0; step < 6; ++step) whole_losses.push_back(whole.update(step, false).loss.item<double>());

  const fs::path saved = lrtest::temp_dir("trainer-checkpoint");
  {
    auto [model, modules] = make(5);
    train::Trainer first(*model, model::lora_parameters(modules), rows, o, dist::Group());
    for (int64_t step = 0; step < 3; ++step) EXPECT_EQ(first.update(step, false).loss.item<double>(), whole_losses[step]);
    auto state = first.describe();
    state.step = 3;
    train::write_checkpoint(saved, state, first.trainable(), first.optimizer());
  }
  auto [model, modules] = make(99);  // another initial adapter: the checkpoint must replace it all
  train::Trainer second(*model, model::lora_parameters(modules), rows, o, dist::Group());
  EXPECT_EQ(train::load_checkpoint(saved, second.trainable(), second.optimizer()).step, 3);
  for (int64_t step = 3; step < 6; ++step) EXPECT_EQ(second.update(step, false).loss.item<double>(), whole_losses[step]) << step;
  const auto expected = model::lora_parameters(whole_modules), actual = model::lora_parameters(modules);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t k = 0; k < expected.size(); ++k)
    EXPECT_TRUE(torch::equal(actual[k].second, expected[k].second)) << expected[k].first;
}

TEST(Trainer, ACheckpointStateOfTheWrongShapeIsRefusedNamingTheFileAndKey) {
  auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen2"));
  auto modules = model::attach_lora(*model, {}, 1);
  const auto rows = random_rows(2, model->config().vocab_size, 1);
  train::TrainerOptions o;
  o.vocab = model->config().vocab_size;
  o.train.batch_size = 1;
  o.train.max_steps = 1;
  train::Trainer trainer(*model, model::lora_parameters(modules), rows, o, dist::Group());
  const fs::path dir = lrtest::temp_dir("state");
  train::write_checkpoint(dir, trainer.describe(), trainer.trainable(), trainer.optimizer());
  const fs::path state = dir / train::kTrainerStateFile;
  const io::Json good = io::Json::parse(read_file(state));
  for (const auto& [key, value, refusal] : std::vector<std::tuple<std::string, io::Json, std::string>>{
           {"seed", -3, "key 'seed' must be a non-negative integer (got -3)"},
           {"step", "7", "key 'step' must be an integer (got \"7\")"},
           {"units", nullptr, "missing key 'units'"}}) {
    io::Json bad = good;
    bad[key] = value;
    write_file_atomic(state, bad.dump());
    EXPECT_LR_ERROR(train::load_checkpoint(dir, trainer.trainable(), trainer.optimizer()), state.string() + ": " + refusal);
  }
}

// train.batch_size counts selected steps in a contrast run and whole sequences in SFT; the trainer's
// first log line says which, with the passes over the data it makes.
TEST(Trainer, SaysInWhatUnitBatchSizeCountsAndHowManyPassesOverTheDataItMakes) {
  auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen2"));
  auto modules = model::attach_lora(*model, {}, 1);
  const auto rows = random_rows(3, model->config().vocab_size, 1);
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto logger = spdlog::default_logger();
  const auto level = logger->level();
  logger->sinks().push_back(sink);
  logger->set_level(spdlog::level::info);
  for (bool sequences : {false, true}) {
    train::TrainerOptions o;
    o.label = sequences ? "sft" : "train";
    o.vocab = model->config().vocab_size;
    o.rows_are_examples = sequences;
    o.train.batch_size = 2;
    o.train.max_steps = 5;
    train::Trainer trainer(*model, model::lora_parameters(modules), rows, o, dist::Group());
    int64_t examples = 0;  // a whole row each (SFT), or each of its steps (contrast)
    for (const auto& row : rows) examples += sequences ? 1 : static_cast<int64_t>(row.steps.size());
    EXPECT_EQ(trainer.describe().units, examples);
    const std::string unit = sequences ? "sequences" : "selected steps";
    std::ostringstream expected;
    expected << o.label << ": 5 updates of 2 " << unit << " each (train.batch_size), " << std::fixed
             << std::setprecision(2) << 10.0 / static_cast<double>(examples) << " passes over the " << examples << " "
             << unit;
    EXPECT_NE(log.str().find(expected.str()), std::string::npos) << "log:\n" << log.str() << "expected: " << expected.str();
  }
  logger->sinks().pop_back();
  logger->set_level(level);
}

// Updates leave their loss on the device; one read of many finds the first non-finite one and
// names it by update and micro-batch, as a check after every update would have.
TEST(Trainer, ANonFiniteLossIsFoundAtTheNextReadNamingItsUpdateAndMicroBatch) {
  auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen2"));
  model::LoraSpec spec;
  spec.dropout = 0.0;
  auto modules = model::attach_lora(*model, spec, 3);
  const int64_t vocab = model->config().vocab_size;
  auto rows = random_rows(4, vocab, 7);
  // NaN targets in one row (what overflowing weights produce, made deterministic).
  for (auto& step : rows[2].steps) step.p.assign(step.ids.size(), std::nanf(""));
  train::TrainerOptions o;
  o.vocab = vocab;
  o.train.batch_size = 2;
  o.train.grad_accum = 2;  // one step per micro-batch
  o.train.max_steps = 4;
  o.seed = 11;
  // Where the schedule puts rows[2]'s first step: the update and micro-batch the error must name.
  train::UpdateSchedule schedule(rows, o.order(), o.rows_are_examples, o.seed);
  int64_t bad_update = -1, bad_micro = -1;
  for (int64_t u = 0; u < 4 && bad_update < 0; ++u) {
    const auto micros = schedule.update(u, 2, 2, 1, 0, o.packing());
    for (int64_t m = 0; m < 2 && bad_update < 0; ++m)
      if (micros[static_cast<size_t>(m)].segments[0].row == &rows[2]) bad_update = u, bad_micro = m;
  }
  ASSERT_GE(bad_update, 0) << "the seed puts no step of the NaN row in the first 4 updates";

  train::Trainer trainer(*model, model::lora_parameters(modules), rows, o, dist::Group());
  model->train();
  std::vector<train::UpdateResult> results;
  for (int64_t step = 0; step < 4; ++step) results.push_back(trainer.update(step, false));
  const std::vector<train::UpdateResult> before(results.begin(), results.begin() + bad_update);
  const auto values = trainer.read(before);  // the updates before it are finite
  ASSERT_EQ(values.size(), static_cast<size_t>(bad_update));
  for (size_t k = 0; k < values.size(); ++k) {
    EXPECT_EQ(values[k].step, static_cast<int64_t>(k));
    EXPECT_EQ(values[k].loss, results[k].loss.item<double>());
    EXPECT_GT(values[k].grad_norm, 0.0);
  }
  try {
    trainer.read(results);
    ADD_FAILURE() << "a NaN loss was not found";
  } catch (const train::NonFiniteUpdate& e) {
    EXPECT_EQ(e.problem(), "train: the loss is nan at step " + std::to_string(bad_update + 1) + " (micro-batch " +
                               std::to_string(bad_micro) + ")");
    EXPECT_NE(std::string(e.what()).find("Lower optim.lr"), std::string::npos) << e.what();
  }
}

// train.activation_checkpointing recomputes each layer in the backward pass: the loss and every
// gradient are those of the plain forward, bit for bit — with LoRA dropout drawing its masks (the
// RNG is replayed for the recompute) and with every weight trainable (full fine-tuning).
TEST(ActivationCheckpointing, GivesTheSameLossAndGradientsBitwisePackedOrNot) {
  for (const bool full_finetune : {false, true}) {
    auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen2", full_finetune ? "full" : "lora"));
    const int64_t vocab = model->config().vocab_size;
    io::NamedTensors trainable;
    std::vector<model::LoraModule> modules;
    if (full_finetune) {
      for (const auto& item : model->named_parameters()) {
        item.value().set_requires_grad(true);
        trainable.emplace_back(item.key(), item.value());
      }
    } else {
      model::LoraSpec spec;
      spec.dropout = 0.1;
      modules = model::attach_lora(*model, spec, 3);
      torch::NoGradGuard no_grad;
      torch::manual_seed(4);
      for (const auto& m : modules) m.adapter->B.normal_(0.0, 0.1);  // B = 0 would leave A's gradients 0
      trainable = model::lora_parameters(modules);
    }
    const auto rows = random_rows(3, vocab, 5);
    for (const int64_t pack_tokens : {0, 64}) {  // rows of their own, and packed (attention per sequence)
      const auto batch = train::pack_rows(pointers(rows), Packing::kTrajectory, torch::kCPU, pack_tokens);
      model->train();
      auto run = [&](bool recompute) {
        model->set_activation_checkpointing(recompute);
        for (auto& item : trainable) item.second.mutable_grad() = torch::Tensor();
        torch::manual_seed(77);
        auto loss = train::batch_loss(*model, batch, train::LossKind::kSoftTargetKL, vocab);
        loss.backward();
        std::vector<torch::Tensor> grads;
        for (const auto& item : trainable) grads.push_back(item.second.grad().clone());
        return std::make_tuple(loss.item<double>(), grads, torch::randint(1 << 30, {1}).item<int64_t>());
      };
      const auto [plain_loss, plain_grads, plain_next] = run(false);
      const auto [loss, grads, next] = run(true);
      EXPECT_EQ(loss, plain_loss) << (full_finetune ? "full" : "lora") << " pack_tokens " << pack_tokens;
      EXPECT_EQ(next, plain_next) << "the global RNG was not left where the plain run leaves it";
      double largest = 0.0;
      for (size_t k = 0; k < grads.size(); ++k) {
        EXPECT_TRUE(torch::equal(grads[k], plain_grads[k])) << trainable[k].first << " pack_tokens " << pack_tokens;
        largest = std::max(largest, plain_grads[k].abs().max().item<double>());
      }
      EXPECT_GT(largest, 0.0);
      model->set_activation_checkpointing(false);
    }
  }
}

// The multi-tensor AdamW against torch::optim::AdamW, its reference: bitwise on the CPU, over
// steps with weight decay, a parameter that misses an update (so step counts differ), and an
// optimizer state saved by one and loaded by the other (the checkpoint's optimizer.pt).
TEST(ForeachAdamW, EqualsTorchsAdamWBitwiseAndReadsItsCheckpoints) {
  torch::manual_seed(5);
  std::vector<torch::Tensor> start;
  for (auto shape : std::vector<std::vector<int64_t>>{{8, 3}, {5}, {2, 2, 2}}) start.push_back(torch::randn(shape));
  auto make_params = [&] {
    std::vector<torch::Tensor> params;
    for (const auto& t : start) params.push_back(t.clone().requires_grad_(true));
    return params;
  };
  const auto options = torch::optim::AdamWOptions(3e-2).betas({0.9, 0.99}).eps(1e-6).weight_decay(0.1);
  auto reference_params = make_params(), fast_params = make_params();
  torch::optim::AdamW reference(reference_params, options);
  train::ForeachAdamW fast(fast_params, options);
  auto step_both = [&](torch::optim::Optimizer& a, std::vector<torch::Tensor>& pa, torch::optim::Optimizer& b,
                       std::vector<torch::Tensor>& pb, int64_t k) {
    a.zero_grad();
    b.zero_grad();
    for (size_t i = 0; i < pa.size(); ++i) {
      if (k == 2 && i == 1) continue;  // parameter 1 gets no gradient in update 2
      auto g = torch::randn(pa[i].sizes());
      pa[i].mutable_grad() = g.clone();
      pb[i].mutable_grad() = g.clone();
    }
    a.step();
    b.step();
  };
  for (int64_t k = 0; k < 4; ++k) {
    step_both(reference, reference_params, fast, fast_params, k);
    for (size_t i = 0; i < start.size(); ++i)
      ASSERT_TRUE(torch::equal(fast_params[i], reference_params[i])) << "update " << k << " parameter " << i;
  }
  // Saved by the reference, loaded by the fast one (and on): the same state, the same next updates.
  std::ostringstream saved;
  torch::save(reference, saved);
  auto resumed_params = make_params();
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < start.size(); ++i) resumed_params[i].copy_(reference_params[i]);
  }
  train::ForeachAdamW resumed(resumed_params, options);
  std::istringstream archive(saved.str());
  torch::load(resumed, archive);
  for (int64_t k = 4; k < 6; ++k) {
    step_both(reference, reference_params, resumed, resumed_params, k);
    for (size_t i = 0; i < start.size(); ++i)
      ASSERT_TRUE(torch::equal(resumed_params[i], reference_params[i])) << "resumed update " << k << " parameter " << i;
  }
}

TEST(TrainLoop, NanLossStopsAndKeepsTheLastGoodCheckpoint) {
  auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen2"));
  model::LoraSpec spec;
  spec.dropout = 0.0;
  auto modules = model::attach_lora(*model, spec, 1);
  const int64_t vocab = model->config().vocab_size;
  // One row whose target is NaN (what overflowing weights produce, made deterministic); batch 1,
  // so the loss turns NaN at whichever step draws it. A seed that draws it second is searched.
  auto rows = random_rows(2, vocab, 7);
  rows[1].steps.resize(1);
  rows[1].steps[0].p.assign(rows[1].steps[0].ids.size(), std::nanf(""));
  bool checked = false;
  for (uint64_t seed = 1; seed <= 8 && !checked; ++seed) {
    auto dir = lrtest::temp_dir("seed" + std::to_string(seed));
    auto o = quick_options(dir, vocab);
    o.trainer.train.batch_size = 1;
    o.trainer.train.max_steps = 2;
    o.trainer.train.checkpoint_every = 1;
    o.trainer.seed = seed;
    try {
      pipeline::run_training(*model, model::lora_parameters(modules), rows, o, dist::Group());
      ADD_FAILURE() << "a NaN loss did not stop training";
      break;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("the loss is nan"), std::string::npos) << what;
      if (what.find("The last good checkpoint is") == std::string::npos) {
        EXPECT_NE(what.find("No checkpoint was written yet"), std::string::npos) << what;
        continue;
      }
      auto latest = pipeline::latest_checkpoint(dir);
      ASSERT_TRUE(latest.has_value());
      EXPECT_EQ(latest->filename().string(), "checkpoint-1");
      auto file = io::SafetensorsFile::open(*latest / "trainable.safetensors");
      for (const auto& info : file->tensors())
        EXPECT_TRUE(torch::isfinite(file->tensor(info.name)).all().item<bool>()) << info.name;
      checked = true;
    }
  }
  EXPECT_TRUE(checked) << "no seed put the NaN row second";
}

TEST(TrainLoop, EmptyDataAndStaleCheckpointsAreRefused) {
  auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen2"));
  auto modules = model::attach_lora(*model, {}, 1);
  const int64_t vocab = model->config().vocab_size;
  auto dir = lrtest::temp_dir();
  auto o = quick_options(dir, vocab);
  EXPECT_LR_ERROR(pipeline::run_training(*model, model::lora_parameters(modules), {}, o, dist::Group()), "no supervised steps");
  o.trainer.train.max_steps = 2;
  o.trainer.train.checkpoint_every = 1;
  pipeline::run_training(*model, model::lora_parameters(modules), random_rows(2, vocab, 1), o, dist::Group());
  EXPECT_LR_ERROR(pipeline::run_training(*model, model::lora_parameters(modules), random_rows(2, vocab, 1), o, dist::Group()),
                  "pass --resume to continue it");
  o.resume = true;
  o.trainer.train.max_steps = 3;  // a different schedule: resuming would not reproduce anything
  EXPECT_LR_ERROR(pipeline::run_training(*model, model::lora_parameters(modules), random_rows(2, vocab, 1), o, dist::Group()),
                  "total_steps: the checkpoint has 2, this run has 3");
  train::RowLimits limits;
  limits.vocab = 10;
  EXPECT_LR_ERROR(train::limit_rows(random_rows(2, vocab, 1), limits), "outside the shared vocabulary of 10");
}
