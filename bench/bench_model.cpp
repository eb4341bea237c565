// Benchmark: prefill and decode throughput of a random Qwen2-shaped model (default the ~28M
// "small" preset; --preset qwen2.5-math-1.5b for the paper's expert) in fp32/bf16 at several batch
// sizes, each beside figures measured in the same process: the matmul rate of this dtype (an n³
// GEMM), prefill's own weight GEMMs run alone over the model's weights (what prefill could reach if
// every other op were free) and the read bandwidth (decode's memory floor = weight + KV bytes ÷ read
// bandwidth). Decode runs
// through generate() (continuous batching, slot cache) and, with --engine both, also through
// generate_static() (the earlier engine) in the same run. --eval N: N prompts with a fixed spread
// of completion lengths (random weights never stop: rows stop by length) through static batches of
// --eval-batch (eval's old behaviour) and through continuous batching with that many slots.
// --peak: only the read bandwidth and the --gemm n³ GEMM rate. Not a test: prints a table, plus
// "RESULT key=value ..." lines for scripts/gpu_goals.sh.
// Usage: bench_model [--device cpu|cuda] [--threads 2] [--preset small] [--dtypes f32,bf16]
//   [--batches 1,8,32] [--prompt-len 128] [--steps 32] [--repeats 3] [--engine continuous|static|both]
//   [--cuda-graphs 0|1] [--gemm 1024] [--peak 0|1] [--eval 0] [--eval-batch 64] [--eval-max-new 256]
//   [--fast 1|0] (0: the model's 2835eea code paths, CausalLM::set_fast_paths; with --engine static
//   that is the engine before issue 18, for before/after figures from one binary) [--fused 1|0] (the
//   fused q/k/v and gate/up GEMMs alone, on top of --fast: which fast path a difference comes from)
//   [--trace FILE] (LibTorch's per-op profile of the first row's prefill runs, a Chrome trace: where
//   prefill's non-GEMM time goes; that row's prefill figures then include the profiler's cost)
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/version.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "lightreasoner/core/device.h"
#include "lightreasoner/core/device_memory.h"
#include "lightreasoner/core/openblas.h"
#include "lightreasoner/core/peak_memory.h"
#include "lightreasoner/core/stage_timer.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/init.h"
#include "bench_options.h"

namespace {

using namespace lightreasoner;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

// Best-of-5 FLOP/s of an n³ GEMM in `dtype` (warmed up).
double matmul_flops(torch::ScalarType dtype, const torch::Device& device, int64_t n) {
  auto options = torch::TensorOptions().device(device);
  auto a = torch::randn({n, n}, options).to(dtype), b = torch::randn({n, n}, options).to(dtype);
  for (int i = 0; i < 2; ++i) (void)torch::mm(a, b);
  sync(device);
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    auto start = Clock::now();
    auto c = torch::mm(a, b);
    sync(device);
    best = std::min(best, seconds_since(start));
  }
  return 2.0 * n * n * n / best;
}

// Best-of-5 bytes/s of reading a tensor once (a sum: reads n floats, writes one; 256 MiB on CPU,
// 2 GiB on a GPU), which is what a decode step does with the weights. A copy also writes every byte
// it reads, so its bytes-read rate understates the read bandwidth (and overstates the floor).
double read_bandwidth(const torch::Device& device) {
  const int64_t n = device.is_cuda() ? (512LL << 20) : (64LL << 20);  // floats
  auto src = torch::ones({n}, torch::TensorOptions().device(device));
  for (int i = 0; i < 2; ++i) (void)src.sum().item<float>();
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    auto start = Clock::now();
    (void)src.sum().item<float>();
    best = std::min(best, seconds_since(start));
  }
  return static_cast<double>(n) * 4 / best;
}

std::vector<std::vector<int64_t>> prompts(int64_t batch, int64_t length, int64_t vocab) {
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < length; ++t) out[static_cast<size_t>(b)].push_back((b * 7919 + t * 104729) % vocab);
  }
  return out;
}

// Best-of-`repeats` seconds of prefill's weight GEMMs alone, through the model's own projections
// (the fused q/k/v and gate/up where prefill uses them): every layer's on `rows` tokens, then lm_head
// on `batch` rows; no other op in between. Each layer's weights are distinct, so they come from
// memory as in a real prefill, not from a cache warmed by the previous call: the GEMM rate prefill
// could reach if every other op were free.
double weight_gemms_seconds(model::CausalLM& lm, int64_t rows, int64_t batch, int repeats, const torch::Device& device) {
  c10::InferenceMode inference;
  const auto& config = lm.config();
  auto options = torch::TensorOptions().dtype(lm.dtype()).device(device);
  auto x = torch::randn({rows, config.hidden_size}, options), attn = torch::randn({rows, config.q_dim()}, options);
  auto mlp = torch::randn({rows, config.intermediate_size}, options), last = torch::randn({batch, config.hidden_size}, options);
  double best = 1e30;
  for (int r = 0; r <= repeats; ++r) {  // the first pass is the warm-up
    sync(device);
    auto start = Clock::now();
    for (const auto& layer : lm.model->layers) {
      (void)layer->self_attn->qkv.forward(x);
      (void)layer->self_attn->o_proj->forward(attn);
      (void)layer->mlp->gate_up.forward(x);
      (void)layer->mlp->down_proj->forward(mlp);
    }
    (void)lm.logits(last);
    sync(device);
    if (r > 0) best = std::min(best, seconds_since(start));
  }
  return best;
}

generate::GenerationStats run(bool continuous, model::CausalLM& lm, const std::vector<std::vector<int64_t>>& p,
                              const generate::GenerationOptions& options) {
  return (continuous ? generate::generate(lm, p, options) : generate::generate_static(lm, p, options)).stats;
}

// Best of `repeats` (the machine may be shared: the best run is the least disturbed one), after
// one untimed warm-up run of the same shape.
generate::GenerationStats best_of(int repeats, bool continuous, model::CausalLM& lm,
                                  const std::vector<std::vector<int64_t>>& p, const generate::GenerationOptions& options,
                                  bool by_prefill) {
  (void)run(continuous, lm, p, options);
  auto best = run(continuous, lm, p, options);
  for (int r = 1; r < repeats; ++r) {
    auto again = run(continuous, lm, p, options);
    if ((by_prefill ? again.prefill_seconds < best.prefill_seconds : again.decode_seconds < best.decode_seconds)) best = again;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  lightreasoner::reexec_with_tuned_cpu_runtime(argv);  // the kernels and OpenMP spin the binary runs
  int threads = 2;
  std::string device_name = "cpu", preset = "small", dtypes = "f32,bf16", batches = "1,8,32", engine = "continuous",
              trace;
  int64_t prompt_len = 128, steps = 32, gemm = 0, eval_prompts = 0, eval_batch = 64, eval_max_new = 256;
  int repeats = 3;
  bool graphs = false, peak_only = false, fast = true;
  int fused = -1;  // -1: as --fast says; 0/1: the fused q/k/v and gate/up GEMMs alone off/on
  const bench::Options cli("bench_model", argc, argv);
  for (const auto& [key, value] : cli.pairs()) {
    if (key == "--threads") threads = cli.integer(key, value);
    else if (key == "--device") device_name = value;
    else if (key == "--preset") preset = value;
    else if (key == "--dtypes") dtypes = value;
    else if (key == "--batches") batches = value;
    else if (key == "--prompt-len") prompt_len = cli.integer(key, value);
    else if (key == "--steps") steps = cli.integer(key, value);
    else if (key == "--repeats") repeats = cli.integer(key, value);
    else if (key == "--engine") engine = value;
    else if (key == "--cuda-graphs") graphs = cli.flag(key, value);
    else if (key == "--gemm") gemm = cli.integer(key, value);
    else if (key == "--peak") peak_only = cli.flag(key, value);
    else if (key == "--fast") fast = cli.flag(key, value);
    else if (key == "--fused") fused = cli.flag(key, value) ? 1 : 0;
    else if (key == "--eval") eval_prompts = cli.integer(key, value);
    else if (key == "--eval-batch") eval_batch = cli.integer(key, value);
    else if (key == "--eval-max-new") eval_max_new = cli.integer(key, value);
    else if (key == "--trace") trace = value;
    else cli.unknown(key);
  }
  if (engine != "continuous" && engine != "static" && engine != "both") {
    std::fprintf(stderr, "--engine must be continuous, static or both (got %s)\n", engine.c_str());
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // rows appear as they are measured
  spdlog::set_level(spdlog::level::warn);
  set_threads(threads);
  const auto device = parse_device(device_name);
  watch_device_memory(device);
  if (gemm == 0) gemm = device.is_cuda() ? 8192 : 1024;
  const double bandwidth = read_bandwidth(device);
  if (peak_only) {
    for (const auto& dtype_text : split(dtypes)) {
      const double rate = matmul_flops(parse_dtype(dtype_text), device, gemm);
      std::printf("RESULT kind=peak device=%s dtype=%s read_gbs=%.2f gemm=%lld gemm_tflops=%.3f\n", device.str().c_str(),
                  dtype_text.c_str(), bandwidth / 1e9, static_cast<long long>(gemm), rate / 1e12);
    }
    return 0;
  }
  const model::ModelConfig config = model::preset_config("qwen2", preset);
  std::printf("model: %s (Qwen2-shaped, %lld layers, hidden %lld, GQA %lld/%lld, vocab %lld, %.1fM params) on %s\n",
              preset.c_str(), static_cast<long long>(config.num_hidden_layers), static_cast<long long>(config.hidden_size),
              static_cast<long long>(config.num_attention_heads), static_cast<long long>(config.num_key_value_heads),
              static_cast<long long>(config.vocab_size), config.num_parameters() / 1e6, device.str().c_str());
  std::printf("threads %d, LibTorch %s, read bandwidth %.2f GB/s (sum), prompt %lld tokens, %lld decode steps, "
              "engine %s%s%s\n\n",
              threads, TORCH_VERSION, bandwidth / 1e9, static_cast<long long>(prompt_len), static_cast<long long>(steps),
              engine.c_str(), graphs ? " + CUDA graphs" : "", fast ? "" : ", model fast paths OFF (2835eea paths)");
  std::printf("%-5s %5s %-10s | %12s %9s %9s | %11s %9s %9s %9s | %s\n", "dtype", "batch", "engine", "prefill tok/s",
              "GFLOP/s", "of mm", "decode tok/s", "ms/step", "floor ms", "floor/step", "matmul GFLOP/s");

  std::vector<bool> engines;
  if (engine != "static") engines.push_back(true);
  if (engine != "continuous") engines.push_back(false);
  for (const auto& dtype_text : split(dtypes)) {
    const auto dtype = parse_dtype(dtype_text);
    const double mm_rate = matmul_flops(dtype, device, gemm);
    model::CausalLM lm(config, torch::TensorOptions().dtype(dtype).device(device));
    model::randomize_weights(lm, {});
    lm.set_fast_paths(fast);
    if (fused >= 0) lm.set_fused_projections(fused == 1);
    int64_t weight_bytes = 0;
    for (const auto& p : lm.parameters()) weight_bytes += p.numel() * p.element_size();
    const int64_t element = torch::elementSize(dtype);
    if (eval_prompts > 0) {
      // Eval-shaped generation: fixed completion lengths spread over [max_new / 8, max_new].
      auto eval_set = prompts(eval_prompts, prompt_len, config.vocab_size);
      std::vector<int64_t> stop_at(static_cast<size_t>(eval_prompts));
      int64_t total_new = 0;
      for (int64_t i = 0; i < eval_prompts; ++i) {
        const double u = (static_cast<double>((i * 7919) % 1000) + 0.5) / 1000.0;  // a fixed spread in (0, 1)
        stop_at[static_cast<size_t>(i)] = std::max<int64_t>(1, static_cast<int64_t>(eval_max_new * (0.125 + 0.875 * u * u)));
        total_new += stop_at[static_cast<size_t>(i)];
      }
      for (bool continuous : engines) {
        generate::GenerationOptions o;
        o.max_new_tokens = eval_max_new;
        o.cuda_graphs = graphs;
        StageTimer stages("bench_model");
        stages.start("eval");
        const auto start = Clock::now();
        int64_t produced = 0;
        if (continuous) {
          o.max_batch = eval_batch;
          o.stop_check = [&](int64_t row, const std::vector<int64_t>& ids) {
            return static_cast<int64_t>(ids.size()) >= stop_at[static_cast<size_t>(row)];
          };
          produced = generate::generate(lm, eval_set, o).stats.new_tokens;
        } else {  // static batches of eval_batch, each until its longest row, as eval ran before
          for (int64_t from = 0; from < eval_prompts; from += eval_batch) {
            const int64_t to = std::min(eval_prompts, from + eval_batch);
            std::vector<std::vector<int64_t>> chunk(eval_set.begin() + from, eval_set.begin() + to);
            o.stop_check = [&, from](int64_t row, const std::vector<int64_t>& ids) {
              return static_cast<int64_t>(ids.size()) >= stop_at[static_cast<size_t>(from + row)];
            };
            produced += generate::generate_static(lm, chunk, o).stats.new_tokens;
          }
        }
        sync(device);
        const double seconds = seconds_since(start);
        stages.stop();
        std::printf("eval %-5s %-10s: %lld prompts, %lld new tokens (expected %lld) in %.2f s = %.1f tok/s, %.2f prompts/s\n",
                    dtype_text.c_str(), continuous ? "continuous" : "static", static_cast<long long>(eval_prompts),
                    static_cast<long long>(produced), static_cast<long long>(total_new), seconds, produced / seconds,
                    eval_prompts / seconds);
        std::printf("RESULT kind=eval device=%s dtype=%s engine=%s prompts=%lld batch=%lld new_tokens=%lld seconds=%.3f "
                    "tok_s=%.1f peak_host_mb=%s peak_device_mb=%s\n",
                    device.str().c_str(), dtype_text.c_str(), continuous ? "continuous" : "static",
                    static_cast<long long>(eval_prompts), static_cast<long long>(eval_batch),
                    static_cast<long long>(produced), seconds, produced / seconds,
                    megabytes_or_na(stages.peak_bytes("eval")).c_str(),
                    megabytes_or_na(stages.device_peak_bytes("eval")).c_str());
      }
      continue;
    }
    double decode_b1 = 0;
    for (const auto& batch_text : split(batches)) {
      const int64_t batch = std::stoll(batch_text);
      // Decode's floor: every weight once plus the KV cache read at the mean context length.
      const double mean_context = 16 + steps / 2.0;
      const double kv_bytes = static_cast<double>(batch) * config.num_hidden_layers * 2 * config.num_key_value_heads *
                              config.head_dim() * mean_context * static_cast<double>(element);
      const double floor_ms = (static_cast<double>(weight_bytes) + kv_bytes) / bandwidth * 1e3;
      for (bool continuous : engines) {
        generate::GenerationOptions prefill_only;
        prefill_only.max_new_tokens = 1;
        prefill_only.cuda_graphs = graphs;
        std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;  // written when it goes
        if (!trace.empty()) profile = std::make_unique<torch::autograd::profiler::RecordProfile>(std::exchange(trace, ""));
        auto prefill = best_of(repeats, continuous, lm, prompts(batch, prompt_len, config.vocab_size), prefill_only, true);
        profile.reset();
        const double prefill_tps = prefill.prompt_tokens / prefill.prefill_seconds;
        // FLOPs of the weight matmuls: every prompt token through the layers, lm_head on the last one.
        const double layer_flops = config.matmul_flops_per_token() - 2.0 * config.vocab_size * config.hidden_size;
        const double prefill_flops = prefill.prompt_tokens * layer_flops + batch * 2.0 * config.vocab_size * config.hidden_size;
        const double achieved = prefill_flops / prefill.prefill_seconds;
        const double gemms_alone = weight_gemms_seconds(lm, prefill.prompt_tokens, batch, repeats, device);

        generate::GenerationOptions decode;
        decode.max_new_tokens = steps;  // no eos: every row runs all steps
        decode.cuda_graphs = graphs;
        auto decoded = best_of(repeats, continuous, lm, prompts(batch, 16, config.vocab_size), decode, false);
        const double decode_tps = decoded.new_tokens / decoded.decode_seconds;
        const double ms_per_step = decoded.decode_seconds / decoded.steps * 1e3;
        if (batch == 1 && continuous == engines.front()) decode_b1 = decode_tps;
        std::printf("%-5s %5lld %-10s | %12.0f %9.1f %8.0f%% | %11.0f %9.2f %9.2f %9.2f | %.1f%s\n", dtype_text.c_str(),
                    static_cast<long long>(batch), continuous ? "continuous" : "static", prefill_tps, achieved / 1e9,
                    100 * achieved / mm_rate, decode_tps, ms_per_step, floor_ms, floor_ms / ms_per_step, mm_rate / 1e9,
                    decode_b1 > 0 && batch != 1 && continuous == engines.front()
                        ? (" | decode x" + std::to_string(decode_tps / decode_b1).substr(0, 4) + " of batch 1").c_str()
                        : "");
        std::printf("      prefill's weight GEMMs alone: %.2f ms = %.0f%% of the matmul rate; prefill takes %.2f ms, %.2fx "
                    "that\n",
                    gemms_alone * 1e3, 100 * prefill_flops / gemms_alone / mm_rate, prefill.prefill_seconds * 1e3,
                    prefill.prefill_seconds / gemms_alone);
        std::printf("RESULT kind=model fast=%d device=%s dtype=%s batch=%lld engine=%s prefill_tok_s=%.1f prefill_of_mm=%.3f "
                    "gemms_alone_of_mm=%.3f prefill_of_gemms_alone=%.3f decode_tok_s=%.1f ms_per_step=%.3f floor_ms=%.3f "
                    "mm_gflops=%.1f\n",
                    fast ? 1 : 0, device.str().c_str(), dtype_text.c_str(), static_cast<long long>(batch),
                    continuous ? "continuous" : "static", prefill_tps, achieved / mm_rate,
                    prefill_flops / gemms_alone / mm_rate, gemms_alone / prefill.prefill_seconds, decode_tps, ms_per_step,
                    floor_ms, mm_rate / 1e9);
      }
    }
  }
  return 0;
}
