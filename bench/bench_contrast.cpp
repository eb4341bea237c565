// Benchmark of target building (KL + selection + mask + sparse targets) for a Qwen2.5-sized
// vocabulary (V = 151936) in fp32 on CPU: positions/s of the chunked driver at several memory
// budgets and of the unchunked reference, against this process's memory-bandwidth floor (the
// bytes of the two logit matrices ÷ measured read bandwidth). Not a test: it asserts nothing.
// Usage: bench_contrast [positions=128] [repeats=3]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "lightreasoner/core/openblas.h"
#include "lightreasoner/contrast/builder.h"
#include "bench_options.h"

namespace lr = lightreasoner::contrast;

namespace {

double best_seconds(int repeats, const std::function<void()>& fn) {
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  lightreasoner::reexec_with_tuned_cpu_runtime(argv);  // the kernels and OpenMP spin the binary runs
  using lightreasoner::bench::Options;
  if (argc > 3) Options::fail_bench("bench_contrast", "usage: bench_contrast [positions=128] [repeats=3]");
  const int64_t positions = argc > 1 ? Options::parse_integer("bench_contrast", "positions", argv[1]) : 128;
  const int repeats = argc > 2 ? static_cast<int>(Options::parse_integer("bench_contrast", "repeats", argv[2])) : 3;
  if (positions < 1 || repeats < 1) Options::fail_bench("bench_contrast", "positions and repeats must be at least 1");
  const int64_t vocab = 151936;
  torch::manual_seed(0);
  // The amateur is the expert plus noise: small (KL ≈ 0.05) on 4 rows of 5 and large (KL ≈ 1) on
  // the fifth, so about 20% of the steps pass β = 0.4, as in the paper (docs/method.md (KL and selection)).
  torch::Tensor expert = torch::randn({positions, vocab}) * 2.5;
  torch::Tensor noise_scale = torch::where(torch::arange(positions).remainder(5).eq(0), torch::tensor(1.5f),
                                           torch::tensor(0.3f)).unsqueeze(1);  // [N, 1]
  torch::Tensor amateur = expert + torch::randn({positions, vocab}) * noise_scale;
  const double logits_bytes = 2.0 * positions * vocab * sizeof(float);

  // Memory-bandwidth floor: one read of the two logit matrices at the read bandwidth of a sum over
  // as many bytes (reads them, writes one float). The copy rate is printed beside it but not used:
  // a copy also writes every byte, so its bytes-read rate understates what one read can reach.
  torch::Tensor source = torch::cat({expert, amateur}), target = torch::empty_like(source);
  const double copy_s = best_seconds(repeats, [&] { target.copy_(source); });
  const double copy_bandwidth = logits_bytes / copy_s;  // bytes read per second
  (void)source.sum().item<float>();                     // warm-up: first touch of the pages
  const double read_s = best_seconds(repeats, [&] { (void)source.sum().item<float>(); });
  const double read_bandwidth = logits_bytes / read_s;
  const double floor_s = read_s;
  std::printf("machine: %d torch threads, LibTorch %s\n", torch::get_num_threads(), TORCH_VERSION);
  std::printf("positions %lld, vocab %lld, logits %.1f MB (fp32, expert + amateur)\n",
              static_cast<long long>(positions), static_cast<long long>(vocab), logits_bytes / 1e6);
  std::printf("read bandwidth %.2f GB/s (sum), copy %.2f GB/s (bytes read; not used); floor = one read of the "
              "logits at the read bandwidth = %.1f ms = %.0f positions/s\n",
              read_bandwidth / 1e9, copy_bandwidth / 1e9, floor_s * 1e3, positions / floor_s);

  // In-process peer: just the two fp32 log-softmaxes, row by row (cache-resident), which any
  // implementation of the method must compute; the rest of the pass is measured against it.
  const double log_softmax_s = best_seconds(repeats, [&] {
    for (int64_t n = 0; n < positions; ++n) {
      (void)expert[n].log_softmax(-1);
      (void)amateur[n].log_softmax(-1);
    }
  });
  std::printf("peer: the two log-softmaxes alone, one row at a time: %.1f ms = %.0f positions/s (floor/peer %.2f)\n",
              log_softmax_s * 1e3, positions / log_softmax_s, floor_s / log_softmax_s);

  lr::ContrastOptions options;
  size_t selected = 0;
  auto report = [&](const char* name, double seconds) {
    std::printf("%-58s %8.1f ms  %8.0f positions/s  floor/actual %.2f  peer/actual %.2f  (selected %zu of %lld)\n",
                name, seconds * 1e3, positions / seconds, floor_s / seconds, log_softmax_s / seconds, selected,
                static_cast<long long>(positions));
  };
  const double reference_s =
      best_seconds(repeats, [&] { selected = lr::build_contrast_reference(expert, amateur, {}, options).selected.size(); });
  report("unchunked reference", reference_s);
  auto run_chunked = [&](const char* label) {
    const double s = best_seconds(repeats, [&] { selected = lr::build_contrast(expert, amateur, {}, options).selected.size(); });
    char name[80];
    std::snprintf(name, sizeof(name), "%s (%lld pos/chunk)", label,
                  static_cast<long long>(lr::positions_per_chunk(vocab, options, torch::kCPU)));
    report(name, s);
  };
  run_chunked("chunked, default options");
  options.cpu_cache_bytes = 0;  // sweep the budget alone
  for (int64_t budget_mb : {16, 64, 256, 1024}) {
    options.memory_budget_bytes = budget_mb << 20;
    char label[64];
    std::snprintf(label, sizeof(label), "chunked, budget %lld MB, no cache cap", static_cast<long long>(budget_mb));
    run_chunked(label);
  }
  return 0;
}
