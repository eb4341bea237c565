// Benchmark of `train`'s inner loop on CPU (or --device cuda): the ~28M Qwen2-shaped random model
// (preset "small") with LoRA (r 8, q_proj+v_proj), a synthetic contrast dataset shaped like the
// paper's (prompt 96 tokens, rollout 128, a few selected steps per rollout, 3-token targets), and
// the same optimizer steps run with `trajectory` and with `step` packing. Reports supervised steps/s,
// input tokens/s and achieved FLOP/s against this process's measured fp32 matmul rate.
// Usage: bench_train [--fast 1|0] [--device cpu|cuda] [--threads N] [--steps N] [--rollouts-per-batch N]
// [--selected N] (steps selected per rollout) [--preset small] (a shape of `lightreasoner init`).
// Also prints "RESULT kind=train ..." lines for scripts/gpu_goals.sh.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <string>

#include <unistd.h>

#include "lightreasoner/core/openblas.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/train/trainer.h"

using namespace lightreasoner;
namespace fs = std::filesystem;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// fp32 GEMM rate at the shape the model's projections run at ([tokens, d] x [d, d]).
double matmul_flops(torch::Device device, int64_t m, int64_t k, int64_t n) {
  auto a = torch::randn({m, k}, torch::TensorOptions().device(device));
  auto b = torch::randn({k, n}, torch::TensorOptions().device(device));
  auto c = torch::mm(a, b);
  int reps = 0;
  const double t0 = now();
  while (now() - t0 < 2.0) {
    c = torch::mm(a, b);
    if (device.is_cuda()) torch::cuda::synchronize();
    ++reps;
  }
  return 2.0 * static_cast<double>(m * k * n) * reps / (now() - t0);
}

}  // namespace

int main(int argc, char** argv) {
  lightreasoner::reexec_with_better_openblas_core(argv);  // the kernels the binary runs
  std::string device_name = "cpu";
  int threads = 0;
  int64_t steps = 6, rollouts_per_batch = 2, selected = 6, prompt_len = 96, rollout_len = 128;
  std::string preset = "small";
  bool fast = true;  // --fast 0: the model's 2835eea code paths (CausalLM::set_fast_paths)
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--device") device_name = argv[i + 1];
    else if (a == "--threads") threads = std::atoi(argv[i + 1]);
    else if (a == "--steps") steps = std::atoll(argv[i + 1]);
    else if (a == "--rollouts-per-batch") rollouts_per_batch = std::atoll(argv[i + 1]);
    else if (a == "--selected") selected = std::atoll(argv[i + 1]);
    else if (a == "--preset") preset = argv[i + 1];
    else if (a == "--fast") fast = std::string(argv[i + 1]) != "0";
  }
  set_threads(threads);
  const auto device = parse_device(device_name);
  const auto dtype = device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
  auto config = model::preset_config("qwen2", preset);
  model::CausalLM model(config, torch::TensorOptions().dtype(dtype).device(device));
  model::InitOptions init;
  init.seed = 1;
  model::randomize_weights(model, init);
  model.set_fast_paths(fast);
  model::LoraSpec spec;  // paper defaults
  auto modules = model::attach_lora(model, spec, 42);

  // Synthetic dataset: enough rollouts for every optimizer step of both packings.
  std::mt19937_64 rng(7);
  const int64_t V = config.vocab_size;
  std::vector<train::TrainRow> rows;
  const int64_t n_rows = rollouts_per_batch * steps;
  for (int64_t r = 0; r < n_rows; ++r) {
    train::TrainRow row;
    row.id = "r" + std::to_string(r);
    for (int64_t j = 0; j < prompt_len; ++j) row.prompt_ids.push_back(static_cast<int64_t>(rng() % V));
    for (int64_t j = 0; j < rollout_len; ++j) row.completion_ids.push_back(static_cast<int64_t>(rng() % V));
    std::set<int64_t> ts;
    while (static_cast<int64_t>(ts.size()) < selected) ts.insert(static_cast<int64_t>(rng() % rollout_len));
    for (int64_t t : ts) {
      std::set<int64_t> ids;
      while (ids.size() < 3) ids.insert(static_cast<int64_t>(rng() % V));
      row.steps.push_back({t, {ids.begin(), ids.end()}, {0.6f, 0.3f, 0.1f}});
    }
    rows.push_back(std::move(row));
  }

  // Frozen base: forward 2·N·tokens, backward to the activations 2·N·tokens (no weight grads);
  // N = non-embedding matmul parameters. The lm_head at the supervised positions: 3 × 2·d·V.
  double n_matmul = 0;
  for (const auto& item : model.named_parameters())
    if (item.key().find("proj.weight") != std::string::npos) n_matmul += static_cast<double>(item.value().numel());
  const double peak = matmul_flops(device, prompt_len + rollout_len, config.hidden_size, config.hidden_size);
  std::printf("bench_train: %s, %d threads, model %s (%.1fM matmul params, d %ld, V %ld), LoRA r %ld on q/v\n",
              device.str().c_str(), torch::get_num_threads(), preset.c_str(), n_matmul / 1e6, static_cast<long>(config.hidden_size),
              static_cast<long>(V), static_cast<long>(spec.r));
  std::printf("  dataset: %ld rollouts, prompt %ld + rollout %ld tokens, %ld selected steps each, 3-token targets\n",
              static_cast<long>(n_rows), static_cast<long>(prompt_len), static_cast<long>(rollout_len),
              static_cast<long>(selected));
  std::printf("  measured fp32 matmul [%ld x %ld x %ld]: %.1f GFLOP/s\n", static_cast<long>(prompt_len + rollout_len),
              static_cast<long>(config.hidden_size), static_cast<long>(config.hidden_size), peak / 1e9);

  for (auto packing : {train::Packing::kTrajectory, train::Packing::kStep}) {
    {
      torch::NoGradGuard no_grad;  // the same starting adapter for both packings
      for (const auto& m : modules) m.adapter->B.zero_();
    }
    train::TrainerOptions o;
    o.packing = packing;
    o.vocab = V;
    // The same updates for both packings (train.batch_size counts steps): rollouts_per_batch
    // whole rollouts each, kept together by the rollout order so trajectory packing can share them.
    o.order = train::Order::kRollouts;
    o.batch_size = rollouts_per_batch * selected;
    o.max_steps = steps;
    o.checkpoint_every = 0;
    o.log_every = steps;
    o.run_dir = fs::temp_directory_path() / ("bench_train_" + std::to_string(::getpid()));
    fs::remove_all(o.run_dir);
    auto summary = train::run_trainer(model, model::lora_parameters(modules), rows, o,
                                      [&](bool t) { model::set_lora_training(modules, t); });
    fs::remove_all(o.run_dir);
    const double flops = 4.0 * n_matmul * static_cast<double>(summary.tokens) +
                         6.0 * static_cast<double>(config.hidden_size * V) * static_cast<double>(summary.supervised_steps);
    std::printf("  %-10s: %ld optimizer steps, %ld supervised steps, %ld input tokens in %.2fs: %.1f sup. steps/s, "
                "%.0f tokens/s, %.1f GFLOP/s = %.0f%% of the matmul rate\n",
                packing == train::Packing::kTrajectory ? "trajectory" : "step", static_cast<long>(summary.steps),
                static_cast<long>(summary.supervised_steps), static_cast<long>(summary.tokens), summary.seconds,
                summary.supervised_steps / summary.seconds, summary.tokens / summary.seconds,
                flops / summary.seconds / 1e9, 100.0 * flops / summary.seconds / peak);
    std::printf("RESULT kind=train fast=%d device=%s packing=%s steps=%ld supervised=%ld tokens=%ld seconds=%.3f tokens_s=%.1f "
                "gflops=%.2f of_mm=%.3f\n",
                fast ? 1 : 0, device.str().c_str(), packing == train::Packing::kTrajectory ? "trajectory" : "step",
                static_cast<long>(summary.steps), static_cast<long>(summary.supervised_steps),
                static_cast<long>(summary.tokens), summary.seconds, summary.tokens / summary.seconds,
                flops / summary.seconds / 1e9, flops / summary.seconds / peak);
  }
  return 0;
}
