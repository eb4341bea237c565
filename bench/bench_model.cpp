// Benchmark: prefill and decode throughput of the ~28M-parameter Qwen2-shaped random model
// ("small" preset, built in memory) in fp32 and bf16 at several batch sizes, each beside two
// figures measured in the same process: the matmul rate of this dtype (a 1024³ GEMM) and the read
// bandwidth (decode's memory floor = weight bytes ÷ read bandwidth: a decode step reads every weight
// once and writes next to nothing). Not a test: prints a table.
// Usage: bench_model [--threads 2] [--dtypes f32,bf16] [--batches 1,8,32] [--prompt-len 128] [--steps 32] [--repeats 3]
#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "lightreasoner/core/openblas.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/init.h"

namespace {

using namespace lightreasoner;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

// Best-of-5 FLOP/s of an n³ GEMM in `dtype`.
double matmul_flops(torch::ScalarType dtype, int64_t n = 1024) {
  auto a = torch::randn({n, n}).to(dtype), b = torch::randn({n, n}).to(dtype);
  (void)torch::mm(a, b);
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    auto start = Clock::now();
    auto c = torch::mm(a, b);
    best = std::min(best, seconds_since(start));
  }
  return 2.0 * n * n * n / best;
}

// Best-of-5 bytes/s of reading a 256 MiB tensor once (a sum: reads n floats, writes one), which is
// what a decode step does with the weights. A copy also writes every byte it reads, so its
// bytes-read rate understates the read bandwidth and a floor derived from it is too slow.
double read_bandwidth() {
  const int64_t n = 64 << 20;  // floats
  auto src = torch::ones({n});
  (void)src.sum().item<float>();
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

}  // namespace

int main(int argc, char** argv) {
  lightreasoner::reexec_with_better_openblas_core(argv);  // the kernels the binary runs
  int threads = 2;
  std::string dtypes = "f32,bf16", batches = "1,8,32";
  int64_t prompt_len = 128, steps = 32;
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--threads") threads = std::stoi(value);
    else if (key == "--dtypes") dtypes = value;
    else if (key == "--batches") batches = value;
    else if (key == "--prompt-len") prompt_len = std::stoll(value);
    else if (key == "--steps") steps = std::stoll(value);
    else if (key == "--repeats") repeats = std::stoi(value);
    else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // rows appear as they are measured
  spdlog::set_level(spdlog::level::warn);
  set_threads(threads);
  torch::NoGradGuard no_grad;
  const model::ModelConfig config = model::preset_config("qwen2", "small");
  const double bandwidth = read_bandwidth();
  std::printf("model: small (Qwen2-shaped, %lld layers, hidden %lld, GQA %lld/%lld, vocab %lld, %.1fM params)\n",
              static_cast<long long>(config.num_hidden_layers), static_cast<long long>(config.hidden_size),
              static_cast<long long>(config.num_attention_heads), static_cast<long long>(config.num_key_value_heads),
              static_cast<long long>(config.vocab_size), config.num_parameters() / 1e6);
  std::printf("threads %d, LibTorch %s, read bandwidth %.2f GB/s (sum of 256 MiB), prompt %lld tokens, %lld decode steps\n\n",
              threads, TORCH_VERSION, bandwidth / 1e9, static_cast<long long>(prompt_len), static_cast<long long>(steps));
  std::printf("%-5s %5s | %12s %9s %9s | %11s %9s %9s %9s | %s\n", "dtype", "batch", "prefill tok/s", "GFLOP/s",
              "of mm", "decode tok/s", "ms/step", "floor ms", "floor/step", "matmul GFLOP/s");

  for (const auto& dtype_text : split(dtypes)) {
    const auto dtype = parse_dtype(dtype_text);
    const double mm_rate = matmul_flops(dtype);
    model::CausalLM lm(config, torch::TensorOptions().dtype(dtype));
    model::randomize_weights(lm, {});
    int64_t weight_bytes = 0;
    for (const auto& p : lm.parameters()) weight_bytes += p.numel() * p.element_size();
    const double floor_ms = weight_bytes / bandwidth * 1e3;
    double decode_b1 = 0;
    for (const auto& batch_text : split(batches)) {
      const int64_t batch = std::stoll(batch_text);
      generate::GenerationOptions prefill_only;
      prefill_only.max_new_tokens = 1;
      auto long_prompts = prompts(batch, prompt_len, config.vocab_size);
      (void)generate::generate(lm, prompts(batch, 8, config.vocab_size), prefill_only);  // warm-up
      // Best of `repeats`: the machine is shared, the best run is the least disturbed one.
      auto prefill = generate::generate(lm, long_prompts, prefill_only).stats;
      for (int r = 1; r < repeats; ++r) {
        auto again = generate::generate(lm, long_prompts, prefill_only).stats;
        if (again.prefill_seconds < prefill.prefill_seconds) prefill = again;
      }
      const double prefill_tps = prefill.prompt_tokens / prefill.prefill_seconds;
      // FLOPs of the weight matmuls: every prompt token through the layers, lm_head on the last one.
      const double layer_flops = config.matmul_flops_per_token() - 2.0 * config.vocab_size * config.hidden_size;
      const double prefill_flops = prefill.prompt_tokens * layer_flops + batch * 2.0 * config.vocab_size * config.hidden_size;
      const double achieved = prefill_flops / prefill.prefill_seconds;

      generate::GenerationOptions decode;
      decode.max_new_tokens = steps;  // no eos: every row runs all steps
      auto decoded = generate::generate(lm, prompts(batch, 16, config.vocab_size), decode).stats;
      for (int r = 1; r < repeats; ++r) {
        auto again = generate::generate(lm, prompts(batch, 16, config.vocab_size), decode).stats;
        if (again.decode_seconds < decoded.decode_seconds) decoded = again;
      }
      const double decode_tps = decoded.new_tokens / decoded.decode_seconds;
      const double ms_per_step = decoded.decode_seconds / decoded.steps * 1e3;
      if (batch == 1) decode_b1 = decode_tps;
      std::printf("%-5s %5lld | %12.0f %9.1f %8.0f%% | %11.0f %9.2f %9.2f %9.2f | %.1f%s\n", dtype_text.c_str(),
                  static_cast<long long>(batch), prefill_tps, achieved / 1e9, 100 * achieved / mm_rate, decode_tps,
                  ms_per_step, floor_ms, floor_ms / ms_per_step, mm_rate / 1e9,
                  decode_b1 > 0 && batch != 1 ? (" | decode x" + std::to_string(decode_tps / decode_b1).substr(0, 4) +
                                                 " of batch 1")
                                                    .c_str()
                                              : "");
    }
  }
  return 0;
}
