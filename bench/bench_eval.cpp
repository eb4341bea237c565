// Benchmark of model-backed `eval` on CPU (or --device cuda): a random Qwen2-shaped model (preset
// "small" with stories260K's 512-token vocabulary, ~24M parameters) answers real GSM8K questions with
// the qwen25-math-cot prompt through the whole eval path (prompt building, encoding, batched greedy
// generation with stop strings, decoding, grading, predictions.jsonl), beside the bare generation
// loop on the same token ids and batch size. The ratio eval tok/s : bare tok/s is eval's overhead.
// Usage: bench_eval [--device cpu|cuda] [--threads N] [--batch B] [--problems N] [--new-tokens N]
// [--preset NAME --tokenizer DIR] (a release shape, e.g. qwen2.5-math-1.5b with
// fixtures/qwen3-tokenizer; reads the repository's tests/fixtures and data/).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "lightreasoner/core/openblas.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/eval/dataset.h"
#include "lightreasoner/eval/model_eval.h"
#include "lightreasoner/eval/prompt.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/pipeline/eval_loop.h"
#include "bench_options.h"

using namespace lightreasoner;
namespace fs = std::filesystem;

namespace {
double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

int main(int argc, char** argv) {
  lightreasoner::reexec_with_tuned_cpu_runtime(argv);  // the kernels and OpenMP spin the binary runs
  std::string device_name = "cpu";
  int threads = 0, batch = 64, problems = 64, new_tokens = 64;
  std::string preset, tokenizer_dir;  // empty: "small" with stories260K's vocabulary
  const bench::Options cli("bench_eval", argc, argv);
  for (const auto& [a, value] : cli.pairs()) {
    if (a == "--device") device_name = value;
    else if (a == "--threads") threads = cli.integer(a, value);
    else if (a == "--batch") batch = cli.integer(a, value);
    else if (a == "--problems") problems = cli.integer(a, value);
    else if (a == "--new-tokens") new_tokens = cli.integer(a, value);
    else if (a == "--preset") preset = value;
    else if (a == "--tokenizer") tokenizer_dir = value;
    else cli.unknown(a);
  }
  set_threads(threads);
  const fs::path source = LR_SOURCE_DIR;
  auto device = parse_device(device_name);
  auto dtype = device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
  auto tok = tokenizer::load_tokenizer(tokenizer_dir.empty() ? source / "tests/fixtures/stories260K/hf" : fs::path(tokenizer_dir));
  auto config = preset.empty() ? model::preset_config("qwen2", "small") : model::preset_config("", preset);
  if (preset.empty()) config.vocab_size = 512;  // stories260K's vocabulary
  if (tok->vocab_size() > config.vocab_size) {
    std::fprintf(stderr, "tokenizer vocabulary %lld exceeds the model's %lld\n", static_cast<long long>(tok->vocab_size()),
                 static_cast<long long>(config.vocab_size));
    return 2;
  }
  config.max_position_embeddings = std::max<int64_t>(config.max_position_embeddings, 4096);
  model::CausalLM lm(config, torch::TensorOptions().dtype(dtype).device(device));
  model::InitOptions init;
  init.std = 0.05;
  init.seed = 1;
  model::randomize_weights(lm, init);
  lm.eval();

  eval::DatasetSpec spec = eval::resolve_dataset("gsm8k", source / "data");
  eval::LoadedDataset data = eval::load_dataset(spec, io::BadRecordPolicy::kStop, problems);
  std::vector<std::string> prompts;
  for (const auto& ex : data.examples) prompts.push_back(eval::construct_prompt(ex.question, "gsm8k", "qwen25-math-cot", 0));

  // Eval's path. No eos ids: a random model would stop at random points; both runs go to the limit.
  eval::ModelSourceOptions options;
  options.batch_size = static_cast<size_t>(batch);
  options.max_new_tokens = new_tokens;
  options.stop_strings = eval::stop_words("qwen25-math-cot");
  options.eos_token_ids = {};
  auto stats = std::make_shared<eval::ModelSourceStats>();
  pipeline::EvalLoopOptions eval_options;
  eval_options.out_dir = fs::temp_directory_path() / "lightreasoner_bench_eval";
  eval_options.resume = false;
  eval_options.prompt_type = "qwen25-math-cot";
  // The bare loop: the same ids in the same length-sorted batches, no stop strings, no text, no
  // grading; run once before and once after eval's run (the machine is shared: the mean of the two
  // brackets eval's run in time).
  std::vector<std::vector<int64_t>> ids;
  for (const auto& p : prompts) {
    auto encoded = tok->encode(p);
    ids.emplace_back(encoded.begin(), encoded.end());
  }
  std::stable_sort(ids.begin(), ids.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  generate::GenerationOptions gen;
  gen.max_new_tokens = new_tokens;
  int64_t bare_tokens = 0;
  double bare_prefill = 0, bare_decode = 0;
  auto bare_run = [&] {
    double start = now();
    bare_tokens = 0;
    bare_prefill = bare_decode = 0;
    for (size_t begin = 0; begin < ids.size(); begin += static_cast<size_t>(batch)) {
      std::vector<std::vector<int64_t>> chunk(
          ids.begin() + static_cast<std::ptrdiff_t>(begin),
          ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), begin + batch)));
      auto stats = generate::generate(lm, chunk, gen).stats;
      bare_tokens += stats.new_tokens;
      bare_prefill += stats.prefill_seconds;
      bare_decode += stats.decode_seconds;
    }
    if (device.is_cuda()) torch::cuda::synchronize();
    return now() - start;
  };
  {
    // Warm-up (CUDA context, cuBLAS handles, allocator): one short untimed batch.
    generate::GenerationOptions warm;
    warm.max_new_tokens = 4;
    generate::generate(lm, {ids.front()}, warm);
    if (device.is_cuda()) torch::cuda::synchronize();
  }
  const double bare_before = bare_run();
  double t0 = now();
  auto summary = pipeline::run_eval_loop({data}, {prompts}, eval::model_completion_source(lm, *tok, options, stats), eval_options, dist::Group());
  double eval_seconds = now() - t0;

  const double bare_after = bare_run();
  const double bare_seconds = 0.5 * (bare_before + bare_after);
  const double eval_rate = stats->new_tokens / eval_seconds, bare_rate = bare_tokens / bare_seconds;
  int64_t parameters = 0;
  for (const auto& p : lm.parameters()) parameters += p.numel();
  std::printf("device %s, threads %d, model %s %.1fM params, %zu GSM8K problems, batch %d, %d new tokens each\n",
              device_name.c_str(), torch::get_num_threads(), preset.empty() ? "small/512-vocab" : preset.c_str(),
              parameters / 1e6, prompts.size(), batch,
              new_tokens);
  std::printf("eval (prompt+encode+generate+stop strings+decode+grade+write): %lld tokens in %.2f s = %.1f tok/s "
              "(%.2f problems/s; prefill %.2f s, decode %.2f s)\n",
              static_cast<long long>(stats->new_tokens), eval_seconds, eval_rate, prompts.size() / eval_seconds,
              stats->prefill_seconds, stats->decode_seconds);
  std::printf("bare generate loop, same ids and batches: %lld tokens in %.2f s = %.1f tok/s (mean of a run before, "
              "%.2f s, and after, %.2f s; the last: prefill %.2f s, decode %.2f s)\n",
              static_cast<long long>(bare_tokens), bare_seconds, bare_rate, bare_before, bare_after, bare_prefill,
              bare_decode);
  std::printf("eval / bare throughput: %.3f (overhead %.1f%%); accuracy %.1f (random model)\n", eval_rate / bare_rate,
              100.0 * (1.0 - eval_rate / bare_rate), summary.datasets.at(0).accuracy());
  return 0;
}
