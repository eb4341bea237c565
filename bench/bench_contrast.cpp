// Benchmark of target building (KL + selection + mask + sparse targets) for a Qwen2.5-sized
// vocabulary (V = 151936) in fp32 on CPU: positions/s of the chunked driver at several memory
// budgets and of the unchunked reference, against this process's memory-bandwidth floor (the
// bytes of the two logit matrices ÷ measured copy bandwidth). Not a test: it asserts nothing.
// Usage: bench_contrast [positions=128] [repeats=3]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "lightreasoner/contrast/builder.h"

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
  const int64_t positions = argc > 1 ? std::atoll(argv[1]) : 128;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  const int64_t vocab = 151936;
  torch::manual_seed(0);
  // Peaked expert rows and a noisier amateur, so masks hold a few tokens and ~20% of steps pass β.
  torch::Tensor expert = torch::randn({positions, vocab}) * 2.5;
  torch::Tensor amateur = expert * 0.6 + torch::randn({positions, vocab}) * 1.5;
  const double logits_bytes = 2.0 * positions * vocab * sizeof(float);

  // Memory-bandwidth floor: a plain copy of as many bytes as the two logit matrices hold.
  torch::Tensor source = torch::cat({expert, amateur}), target = torch::empty_like(source);
  const double copy_s = best_seconds(repeats, [&] { target.copy_(source); });
  const double copy_bandwidth = logits_bytes / copy_s;  // bytes read per second
  const double read_s = best_seconds(repeats, [&] { (void)source.sum().item<float>(); });
  const double floor_s = logits_bytes / copy_bandwidth;
  std::printf("machine: %d torch threads, LibTorch %s\n", torch::get_num_threads(), TORCH_VERSION);
  std::printf("positions %lld, vocab %lld, logits %.1f MB (fp32, expert + amateur)\n",
              static_cast<long long>(positions), static_cast<long long>(vocab), logits_bytes / 1e6);
  std::printf("copy bandwidth %.2f GB/s (read side), sum-read bandwidth %.2f GB/s; floor = one read of the logits "
              "at copy bandwidth = %.1f ms = %.0f positions/s\n",
              copy_bandwidth / 1e9, logits_bytes / read_s / 1e9, floor_s * 1e3, positions / floor_s);

  lr::ContrastOptions options;
  size_t selected = 0;
  auto report = [&](const char* name, double seconds) {
    std::printf("%-34s %8.1f ms  %8.0f positions/s  floor/actual %.2f  (selected %zu of %lld)\n", name, seconds * 1e3,
                positions / seconds, floor_s / seconds, selected, static_cast<long long>(positions));
  };
  const double reference_s =
      best_seconds(repeats, [&] { selected = lr::build_contrast_reference(expert, amateur, {}, options).selected.size(); });
  report("unchunked reference", reference_s);
  for (int64_t budget_mb : {64, 256, 1024}) {
    options.memory_budget_bytes = budget_mb << 20;
    const double s = best_seconds(repeats, [&] { selected = lr::build_contrast(expert, amateur, {}, options).selected.size(); });
    char name[64];
    std::snprintf(name, sizeof(name), "chunked, budget %lld MB (%lld pos)", static_cast<long long>(budget_mb),
                  static_cast<long long>(lr::positions_per_chunk(vocab, options.memory_budget_bytes)));
    report(name, s);
  }
  return 0;
}
