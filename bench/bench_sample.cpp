// Benchmark of the `sample` pipeline on CPU (or --device cuda): two random Qwen2-shaped models
// (expert ~28M = preset "small", amateur ~5M with the same vocabulary) — rollouts/s and scored
// tokens/s, broken down into generation, the two teacher-forced forwards (incl. lm_head at the
// scored positions), and KL/selection/target building, so the share of time outside the models'
// forwards is visible. One untimed batch warms both models up first (first-touch allocations,
// OpenBLAS/oneDNN buffers), and at least two batches are timed, as in scripts/hf_baseline_sample.py,
// so the two sides of a comparison are measured alike. Usage: bench_sample [--device cpu|cuda] [--threads N] [--batch B] [--rollouts N]
// [--new-tokens N] [--expert PRESET --amateur PRESET] (presets of `lightreasoner init`).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "lightreasoner/core/openblas.h"
#include "lightreasoner/contrast/sample.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/device_memory.h"
#include "lightreasoner/core/peak_memory.h"
#include "lightreasoner/core/stage_timer.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/init.h"
#include "bench_options.h"

using namespace lightreasoner;

namespace {
double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize();
}
}  // namespace

int main(int argc, char** argv) {
  lightreasoner::reexec_with_tuned_cpu_runtime(argv);  // the kernels and OpenMP spin the binary runs
  std::string device_name = "cpu";
  int threads = 0, batch = 8, rollouts = 16, new_tokens = 128, prompt_len = 96;
  std::string expert_preset = "small", amateur_preset;  // empty amateur: a ~5M model beside "small"
  const bench::Options cli("bench_sample", argc, argv);
  for (const auto& [a, value] : cli.pairs()) {
    if (a == "--device") device_name = value;
    else if (a == "--threads") threads = cli.integer(a, value);
    else if (a == "--batch") batch = cli.integer(a, value);
    else if (a == "--rollouts") rollouts = cli.integer(a, value);
    else if (a == "--new-tokens") new_tokens = cli.integer(a, value);
    else if (a == "--expert") expert_preset = value;     // e.g. qwen2.5-math-1.5b
    else if (a == "--amateur") amateur_preset = value;   // e.g. qwen2.5-0.5b
    else cli.unknown(a);
  }
  if (batch < 1 || rollouts < 2 * batch) {
    std::fprintf(stderr, "bench_sample: --rollouts (%d) must be at least 2 x --batch (%d): two timed batches\n",
                 rollouts, batch);
    return 2;
  }
  set_threads(threads);
  auto device = parse_device(device_name);
  auto dtype = device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
  torch::NoGradGuard no_grad;

  auto expert_config = model::preset_config("", expert_preset);
  auto amateur_config = expert_config;
  if (amateur_preset.empty()) {
    amateur_config.hidden_size = 256;
    amateur_config.intermediate_size = 768;
    amateur_config.num_hidden_layers = 4;
    amateur_config.num_attention_heads = 4;
    amateur_config.num_key_value_heads = 2;
  } else {
    amateur_config = model::preset_config("", amateur_preset);
  }
  auto options = torch::TensorOptions().dtype(dtype).device(device);
  model::CausalLM expert(expert_config, options), amateur(amateur_config, options);
  model::InitOptions init;
  init.std = 0.05;
  init.seed = 1;
  model::randomize_weights(expert, init);
  init.seed = 2;
  model::randomize_weights(amateur, init);
  expert.eval();
  amateur.eval();

  torch::manual_seed(0);
  std::vector<std::vector<int64_t>> prompts;
  for (int i = 0; i < rollouts; ++i) {
    auto ids = torch::randint(3, expert_config.vocab_size, {prompt_len + (i % 5) * 4}, torch::kInt64);
    prompts.emplace_back(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
  }
  generate::GenerationOptions gen;
  gen.max_new_tokens = new_tokens;  // no eos: random models would stop at random points
  contrast::ContrastOptions contrast_options;

  {  // untimed warm-up: one batch of the same shapes through generation and scoring
    std::vector<std::vector<int64_t>> p(prompts.begin(), prompts.begin() + batch);
    auto generated = generate::generate(expert, p, gen);
    std::vector<std::vector<int64_t>> completions;
    for (auto& c : generated.completions) completions.push_back(c.ids);
    (void)contrast::score_rollouts(expert, amateur, p, completions, contrast_options, nullptr);
    sync(device);
  }

  double t_gen = 0, t_fwd = 0, t_lm_head = 0, t_targets = 0;
  int64_t gen_tokens = 0, scored_tokens = 0, scored_steps = 0, selected = 0;
  watch_device_memory(device);
  StageTimer stages("bench_sample");  // the peak memory of the timed batches, both models resident
  stages.start("sample");
  for (int begin = 0; begin < rollouts; begin += batch) {
    std::vector<std::vector<int64_t>> p(prompts.begin() + begin, prompts.begin() + std::min(rollouts, begin + batch));
    sync(device);
    double t0 = now();
    auto generated = generate::generate(expert, p, gen);
    sync(device);
    double t1 = now();
    std::vector<std::vector<int64_t>> completions;
    for (auto& c : generated.completions) completions.push_back(c.ids);
    gen_tokens += generated.stats.new_tokens;
    contrast::ScoreTimings timings;
    auto scored = contrast::score_rollouts(expert, amateur, p, completions, contrast_options, &timings);
    t_fwd += timings.body_seconds + timings.lm_head_seconds;
    t_lm_head += timings.lm_head_seconds;
    t_targets += timings.targets_seconds;
    t_gen += t1 - t0;
    for (size_t i = 0; i < p.size(); ++i) {
      scored_tokens += p[i].size() + completions[i].size() - 1;
      scored_steps += completions[i].size();
    }
    selected += scored.result.selected.size();
  }
  stages.stop();
  double total = t_gen + t_fwd + t_targets;
  std::printf("bench_sample device=%s threads=%d dtype=%s expert=%.1fM amateur=%.1fM vocab=%lld batch=%d rollouts=%d "
              "new_tokens=%d\n",
              device_name.c_str(), torch::get_num_threads(), dtype_name(dtype).c_str(),
              expert_config.num_parameters() / 1e6, amateur_config.num_parameters() / 1e6,
              static_cast<long long>(expert_config.vocab_size), batch, rollouts, new_tokens);
  std::printf("generation : %7.2f s  %8.1f tok/s  (%.2f rollouts/s)\n", t_gen, gen_tokens / t_gen, rollouts / t_gen);
  std::printf("forwards   : %7.2f s  %8.1f scored tok/s (expert + amateur teacher-forced; of it lm_head at %lld "
              "positions %.2f s)\n",
              t_fwd, scored_tokens / t_fwd, static_cast<long long>(scored_steps), t_lm_head);
  std::printf("KL+targets : %7.2f s  %8.1f positions/s (selected %lld of %lld)\n", t_targets, scored_steps / t_targets,
              static_cast<long long>(selected), static_cast<long long>(scored_steps));
  std::printf("end to end : %7.2f s  %.2f rollouts/s; outside the models' forwards (generation counted as model): %.1f%%\n",
              total, rollouts / total, 100.0 * t_targets / total);
  std::printf("RESULT kind=sample device=%s rollouts=%d seconds=%.3f peak_host_mb=%s peak_device_mb=%s\n",
              device.str().c_str(), rollouts, total, megabytes_or_na(stages.peak_bytes("sample")).c_str(),
              megabytes_or_na(stages.device_peak_bytes("sample")).c_str());
  return 0;
}
