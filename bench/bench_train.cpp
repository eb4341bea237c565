// Benchmark of `train`'s inner loop on CPU (or --device cuda): the ~28M Qwen2-shaped random model
// (preset "small") with LoRA (r 8, q_proj+v_proj), a synthetic contrast dataset shaped like the
// paper's (prompt 96 tokens, rollout 128, a few selected steps per rollout, 3-token targets), and
// the same optimizer steps run with `trajectory` and with `step` packing, each with every sequence
// a padded row of its own and with sequences laid end to end (train.pack_tokens, --pack-tokens;
// 0 skips those runs). Reports supervised steps/s,
// input tokens/s and achieved FLOP/s against the GEMM-only time of the step: every weight matmul the
// step runs (forward and backward to the activations, each projection shape and the lm_head at the
// supervised positions), timed alone in this process at that packing's tokens per optimizer step.
// One untimed optimizer step runs first, so neither packing is timed cold.
// Usage: bench_train [--device cpu|cuda] [--threads N] [--steps N] [--rollouts-per-batch N]
// [--selected N] (steps selected per rollout) [--fast 1|0] [--preset small] (a shape of `lightreasoner init`)
// [--pack-tokens N] (default 1024) [--only LABEL] (one variant: trajectory, step, trajectory+packed or
// step+packed; for profiling) [--activation-checkpointing 0|1] (train.activation_checkpointing)
// [--trace FILE] (LibTorch's per-op profile of the timed runs, a Chrome trace: which ops the non-GEMM
// time goes to; the printed figures then include the profiler's cost).
// Also prints "RESULT kind=train ..." lines for scripts/gpu_goals.sh, with each run's peak host and
// (on a GPU) device memory.
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <cstdio>
#include <random>
#include <set>
#include <string>

#include <unistd.h>

#include "lightreasoner/core/openblas.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/device_memory.h"
#include "lightreasoner/core/peak_memory.h"
#include "lightreasoner/core/stage_timer.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/pipeline/training.h"
#include "bench_options.h"

using namespace lightreasoner;
namespace fs = std::filesystem;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// GEMM rate (FLOP/s) of [m, k] x [k, n] in `dtype`, after one untimed call; at least 0.3 s of calls.
double matmul_flops(torch::Device device, torch::ScalarType dtype, int64_t m, int64_t k, int64_t n) {
  auto options = torch::TensorOptions().device(device).dtype(dtype);
  auto a = torch::randn({m, k}, options), b = torch::randn({k, n}, options);
  auto c = torch::mm(a, b);
  if (device.is_cuda()) torch::cuda::synchronize();
  int reps = 0;
  const double t0 = now();
  while (now() - t0 < 0.3) {
    c = torch::mm(a, b);
    if (device.is_cuda()) torch::cuda::synchronize();
    ++reps;
  }
  return 2.0 * static_cast<double>(m * k * n) * reps / (now() - t0);
}

// Seconds the weight GEMMs of `steps` optimizer steps take alone at their measured rates: for every
// frozen projection [out, in] the forward [m, in] x [in, out] and the backward to the activations
// [m, out] x [out, in] (no weight gradients: the base is frozen; LoRA's rank-r matmuls are left out),
// with m = input tokens per step; the lm_head [V, d] at the supervised positions, forward and
// backward. Counted on unpadded tokens, so padding shows up as time outside the GEMMs. A slight
// over-count: layer 0's q/k/v need no input gradient (nothing below them trains).
double gemm_seconds(const model::CausalLM& model, torch::Device device, torch::ScalarType dtype, int64_t vocab,
                    int64_t hidden, double tokens, double supervised, double steps) {
  std::map<std::pair<int64_t, int64_t>, int64_t> shapes;  // (out, in) → how many projections
  for (const auto& item : model.named_parameters())
    if (item.key().find("proj.weight") != std::string::npos) ++shapes[{item.value().size(0), item.value().size(1)}];
  const auto m = std::max<int64_t>(1, std::llround(tokens / steps));
  const auto s = std::max<int64_t>(1, std::llround(supervised / steps));
  double seconds = 0;
  for (const auto& [shape, count] : shapes) {
    const auto [out, in] = shape;
    const double flops = 2.0 * m * in * out;
    seconds += count * (flops / matmul_flops(device, dtype, m, in, out) + flops / matmul_flops(device, dtype, m, out, in));
  }
  const double head_flops = 2.0 * s * hidden * vocab;
  seconds += head_flops / matmul_flops(device, dtype, s, hidden, vocab) +
             head_flops / matmul_flops(device, dtype, s, vocab, hidden);
  return seconds * steps;
}

}  // namespace

int main(int argc, char** argv) {
  lightreasoner::reexec_with_tuned_cpu_runtime(argv);  // the kernels and OpenMP spin the binary runs
  std::string device_name = "cpu";
  int threads = 0;
  int64_t steps = 6, rollouts_per_batch = 2, selected = 6, prompt_len = 96, rollout_len = 128, pack_tokens = 1024;
  std::string preset = "small", only, trace;
  bool fast = true;  // --fast 0: the model's 2835eea code paths (CausalLM::set_fast_paths)
  bool activation_checkpointing = false;
  const bench::Options cli("bench_train", argc, argv);
  for (const auto& [a, value] : cli.pairs()) {
    if (a == "--device") device_name = value;
    else if (a == "--threads") threads = cli.integer(a, value);
    else if (a == "--steps") steps = cli.integer(a, value);
    else if (a == "--rollouts-per-batch") rollouts_per_batch = cli.integer(a, value);
    else if (a == "--selected") selected = cli.integer(a, value);
    else if (a == "--preset") preset = value;
    else if (a == "--fast") fast = cli.flag(a, value);
    else if (a == "--pack-tokens") pack_tokens = cli.integer(a, value);
    else if (a == "--only") only = value;
    else if (a == "--activation-checkpointing") activation_checkpointing = cli.flag(a, value);
    else if (a == "--trace") trace = value;
    else cli.unknown(a);
  }
  set_threads(threads);
  const auto device = parse_device(device_name);
  watch_device_memory(device);
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
  // N = non-embedding matmul parameters. The lm_head at the supervised positions: forward and
  // backward to the hidden states, 2 × 2·d·V (frozen: no weight gradient).
  double n_matmul = 0;
  for (const auto& item : model.named_parameters())
    if (item.key().find("proj.weight") != std::string::npos) n_matmul += static_cast<double>(item.value().numel());
  std::printf("bench_train: %s, %d threads, model %s (%.1fM matmul params, d %ld, V %ld), LoRA r %ld on q/v\n",
              device.str().c_str(), torch::get_num_threads(), preset.c_str(), n_matmul / 1e6, static_cast<long>(config.hidden_size),
              static_cast<long>(V), static_cast<long>(spec.r));
  std::printf("  dataset: %ld rollouts, prompt %ld + rollout %ld tokens, %ld selected steps each, 3-token targets\n",
              static_cast<long>(n_rows), static_cast<long>(prompt_len), static_cast<long>(rollout_len),
              static_cast<long>(selected));

  auto run = [&](train::Packing packing, int64_t packed_row_tokens, int64_t max_steps) {
    {
      torch::NoGradGuard no_grad;  // the same starting adapter for every run
      for (const auto& m : modules) m.adapter->B.zero_();
    }
    pipeline::TrainingOptions o;
    o.trainer.train.packing = train::packing_name(packing);
    o.trainer.train.pack_tokens = packed_row_tokens;
    o.trainer.vocab = V;
    // The same updates for both packings (train.batch_size counts steps): rollouts_per_batch
    // whole rollouts each, kept together by the rollout order so trajectory packing can share them.
    o.trainer.train.order = "rollouts";
    o.trainer.train.batch_size = rollouts_per_batch * selected;
    o.trainer.train.max_steps = max_steps;
    o.trainer.train.checkpoint_every = 0;
    o.trainer.train.activation_checkpointing = activation_checkpointing;
    o.trainer.train.log_every = max_steps;
    o.run_dir = fs::temp_directory_path() / ("bench_train_" + std::to_string(::getpid()));
    fs::remove_all(o.run_dir);
    auto summary = pipeline::run_training(model, model::lora_parameters(modules), rows, o, dist::Group());
    fs::remove_all(o.run_dir);
    return summary;
  };
  (void)run(train::Packing::kTrajectory, 0, 1);  // untimed warm-up: first packing, allocator, GEMM buffers
  if (pack_tokens > 0) (void)run(train::Packing::kStep, pack_tokens, 1);  // and the packed rows' mask path

  std::vector<std::pair<train::Packing, int64_t>> variants = {{train::Packing::kTrajectory, 0}, {train::Packing::kStep, 0}};
  if (pack_tokens > 0) {
    variants.push_back({train::Packing::kTrajectory, pack_tokens});
    variants.push_back({train::Packing::kStep, pack_tokens});
  }
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;  // written when it goes
  if (!trace.empty()) profile = std::make_unique<torch::autograd::profiler::RecordProfile>(trace);
  for (const auto& [packing, packed_row_tokens] : variants) {
    const std::string name = std::string(train::packing_name(packing)) + (packed_row_tokens > 0 ? "+packed" : "");
    if (!only.empty() && only != name) continue;
    StageTimer stages("bench_train");
    stages.start("train");
    const auto summary = run(packing, packed_row_tokens, steps);
    stages.stop();
    const double flops = 4.0 * n_matmul * static_cast<double>(summary.tokens) +
                         4.0 * static_cast<double>(config.hidden_size * V) * static_cast<double>(summary.supervised_steps);
    const double gemm_s = gemm_seconds(model, device, dtype, V, config.hidden_size, static_cast<double>(summary.tokens),
                                       static_cast<double>(summary.supervised_steps), static_cast<double>(summary.steps));
    const std::string label = name + (packed_row_tokens > 0 ? std::to_string(packed_row_tokens) : "");
    std::printf("  %-18s: %ld optimizer steps, %ld supervised steps, %ld input tokens in %.2fs: %.1f sup. steps/s, "
                "%.0f tokens/s, %.1f GFLOP/s; its GEMMs alone (same shapes, this process) %.2fs = %.0f%% of the time\n",
                label.c_str(), static_cast<long>(summary.steps),
                static_cast<long>(summary.supervised_steps), static_cast<long>(summary.tokens), summary.seconds,
                summary.supervised_steps / summary.seconds, summary.tokens / summary.seconds,
                flops / summary.seconds / 1e9, gemm_s, 100.0 * gemm_s / summary.seconds);
    std::printf("RESULT kind=train fast=%d device=%s packing=%s pack_tokens=%ld steps=%ld supervised=%ld tokens=%ld seconds=%.3f "
                "tokens_s=%.1f gflops=%.2f gemm_share=%.3f peak_host_mb=%s peak_device_mb=%s\n",
                fast ? 1 : 0, device.str().c_str(), train::packing_name(packing), static_cast<long>(packed_row_tokens),
                static_cast<long>(summary.steps), static_cast<long>(summary.supervised_steps),
                static_cast<long>(summary.tokens), summary.seconds, summary.tokens / summary.seconds,
                flops / summary.seconds / 1e9, gemm_s / summary.seconds,
                megabytes_or_na(stages.peak_bytes("train")).c_str(),
                megabytes_or_na(stages.device_peak_bytes("train")).c_str());
  }
  return 0;
}
