// Benchmark of data parallelism on CPU: the same `sample` and `train` work run by 1 process and by
// 2 processes (Gloo over 127.0.0.1, each process 1 thread), on generated models sharing
// stories260K's tokenizer. Reports sample's generated tokens/s and train's supervised steps/s for
// both, the scaling efficiency (rate with 2 ÷ 2 × rate with 1), and the gradient all-reduce's
// share of training time. This program is its own launcher: it re-executes itself as the ranks
// with torchrun's variables; it does not measure multi-node or NCCL.
// Usage: bench_dist [--preset tiny|small] [--problems N] [--new-tokens N] [--steps N] [--batch B]
//   (B = per-rank train batch with 2 processes; 1 process gets 2B).
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lightreasoner/core/openblas.h"
#include "lightreasoner/config/run_config.h"
#include "lightreasoner/contrast/sample.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/logging.h"
#include "lightreasoner/dist/launch.h"
#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/pipeline/sample.h"
#include "lightreasoner/pipeline/train.h"
#include "bench_options.h"

extern char** environ;

using namespace lightreasoner;
namespace fs = std::filesystem;

namespace {

struct Args {
  std::string preset = "tiny";
  int problems = 32, new_tokens = 48, steps = 40, batch = 4;
  fs::path child_dir;  // set in a rank: the prepared world
  int world = 0;       // in a rank: 1 or 2
};

Args parse(int argc, char** argv) {
  Args a;
  const bench::Options cli("bench_dist", argc, argv);
  for (const auto& [k, value] : cli.pairs()) {
    if (k == "--preset") a.preset = value;
    else if (k == "--problems") a.problems = cli.integer(k, value);
    else if (k == "--new-tokens") a.new_tokens = cli.integer(k, value);
    else if (k == "--steps") a.steps = cli.integer(k, value);
    else if (k == "--batch") a.batch = cli.integer(k, value);
    else if (k == "--child") a.child_dir = value;
    else if (k == "--world") a.world = cli.integer(k, value);
    else cli.unknown(k);
  }
  return a;
}

config::RunConfig run_config(const Args& a, const fs::path& world_dir, const fs::path& out, int train_batch) {
  return config::load_run_config(
      "", {"expert.path=" + (world_dir / "expert").string(), "amateur.path=" + (world_dir / "amateur").string(),
           "expert.dtype=f32", "amateur.dtype=f32", "device=cpu", "output_dir=" + out.string(),
           "data.path=" + (world_dir / "problems.jsonl").string(), "prompt.template=plain",
           "sample.max_new_tokens=" + std::to_string(a.new_tokens), "sample.batch_size=4", "selection.beta=0.05",
           "train.batch_size=" + std::to_string(train_batch), "train.max_steps=" + std::to_string(a.steps),
           "train.checkpoint_every=0", "train.log_every=1000000", "lora.dropout=0"});
}

// One rank: join the group, sample, train on what was sampled; rank 0 writes the figures.
int run_rank(const Args& a) {
  const auto env = dist::launch_env_from_process();
  setup_logging({"warn", "", env.rank, env.world_size});
  set_threads(1);
  const auto& group = dist::join(env, torch::kCPU);
  const fs::path out = a.child_dir / ("run-" + std::to_string(a.world));
  const int train_batch = a.batch * 2 / a.world;
  auto config = run_config(a, a.child_dir, out, train_batch);
  auto sample = pipeline::run_sample(config);
  auto train = pipeline::run_train(config, /*resume=*/false);
  auto totals = group.sum_of({static_cast<double>(train.summary.supervised_steps), train.summary.allreduce_seconds},
                             "bench totals");
  auto slowest = group.max_of({train.summary.seconds}, "bench seconds");
  // The all-reduce on its own (ranks lined up by a barrier first, so no waiting is counted):
  // a buffer of the adapter's size plus the 3 metric slots, as the trainer sends each step.
  int64_t lora_numel = 0;
  auto adapter = io::SafetensorsFile::open(out / "adapter/adapter_model.safetensors");
  for (const auto& info : adapter->tensors()) {
    int64_t n = 1;
    for (auto d : info.shape) n *= d;
    lora_numel += n;
  }
  auto buffer = torch::zeros({lora_numel + 3});
  constexpr int kReps = 50;
  group.barrier("bench all-reduce");
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kReps; ++i) group.all_reduce_sum(buffer, "bench all-reduce");
  const double allreduce_alone_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / kReps;
  if (group.is_main()) {
    nlohmann::json j = {{"sample_tokens_per_s", sample.meta.rollout_tokens_per_second},
                        {"sample_generation_s", sample.timings.generation_seconds},
                        {"rollouts", sample.meta.counts.rollouts},
                        {"train_steps", train.summary.steps},
                        {"train_seconds", slowest[0]},
                        {"train_supervised_steps", totals[0]},
                        {"allreduce_seconds_mean", totals[1] / a.world},
                        {"allreduce_alone_s", allreduce_alone_s},
                        {"allreduce_floats", lora_numel + 3}};
    write_file_atomic(a.child_dir / ("result-" + std::to_string(a.world) + ".json"), j.dump(2));
  }
  return 0;
}

// Starts `world` ranks of this program and waits for them (at most 10 minutes).
bool launch(const std::string& self, const Args& a, const fs::path& dir, int world, int port) {
  std::vector<pid_t> pids;
  for (int rank = 0; rank < world; ++rank) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) env_strings.push_back(*e);
    for (auto kv : {"RANK=" + std::to_string(rank), "LOCAL_RANK=" + std::to_string(rank),
                    "WORLD_SIZE=" + std::to_string(world), std::string("MASTER_ADDR=127.0.0.1"),
                    "MASTER_PORT=" + std::to_string(port), std::string("OMP_NUM_THREADS=1")})
      env_strings.push_back(kv);
    std::vector<std::string> argv_strings = {self,         "--child",  dir.string(), "--world",  std::to_string(world),
                                             "--preset",   a.preset,   "--problems", std::to_string(a.problems),
                                             "--new-tokens", std::to_string(a.new_tokens), "--steps",
                                             std::to_string(a.steps), "--batch", std::to_string(a.batch)};
    std::vector<char*> argv, envp;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), envp.data()) != 0) return false;
    pids.push_back(pid);
  }
  bool ok = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  for (pid_t pid : pids) {
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) ::kill(pid, SIGKILL);
      ::usleep(20000);
    }
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  lightreasoner::reexec_with_tuned_cpu_runtime(argv);  // the kernels and OpenMP spin the binary runs
  Args a = parse(argc, argv);
  try {
    if (!a.child_dir.empty()) return run_rank(a);
    const fs::path tokenizer = fs::path(LR_SOURCE_DIR) / "tests/fixtures/stories260K/hf";
    if (!fs::exists(tokenizer)) {
      std::fprintf(stderr, "bench_dist: needs %s\n", tokenizer.c_str());
      return 1;
    }
    const fs::path dir = fs::temp_directory_path() / ("bench_dist." + std::to_string(::getpid()));
    fs::create_directories(dir);
    model::InitOptions init;
    init.std = 0.1;
    init.perturb_norms = true;
    model::ModelDirOptions options;
    options.tokenizer_dir = tokenizer;
    init.seed = 11;
    model::init_model_dir("qwen2", a.preset, init, options, dir / "expert");
    init.seed = 12;
    model::init_model_dir("llama", a.preset, init, options, dir / "amateur");
    std::string problems;
    for (int i = 0; i < a.problems; ++i)
      problems += nlohmann::json({{"id", "q" + std::to_string(i)},
                                  {"question", "Tom had " + std::to_string(i) + " red balls and got 3 more."},
                                  {"answer", "#### " + std::to_string(i + 3)}})
                      .dump() +
                  "\n";
    write_file_atomic(dir / "problems.jsonl", problems);
    char self[4096];
    const auto n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return 1;
    self[n] = 0;
    const int port = 29000 + ::getpid() % 1000;
    for (int world : {1, 2}) {
      if (!launch(self, a, dir, world, port + world)) {
        std::fprintf(stderr, "bench_dist: the %d-process run failed\n", world);
        return 1;
      }
    }
    auto one = nlohmann::json::parse(read_file(dir / "result-1.json"));
    auto two = nlohmann::json::parse(read_file(dir / "result-2.json"));
    auto rate = [](const nlohmann::json& r) {
      return r["train_supervised_steps"].get<double>() / r["train_seconds"].get<double>();
    };
    const double s1 = one["sample_tokens_per_s"], s2 = two["sample_tokens_per_s"];
    const double t1 = rate(one), t2 = rate(two);
    std::printf("bench_dist: preset %s, %d problems x %d new tokens (batch 4), train %d steps of global batch %d "
                "(LoRA r %d), 1 thread per process\n",
                a.preset.c_str(), a.problems, a.new_tokens, a.steps, 2 * a.batch,
                config::load_run_config("", {}).lora.r);
    std::printf("| work | 1 process | 2 processes | speed-up | scaling efficiency |\n|---|---:|---:|---:|---:|\n");
    std::printf("| sample (generated tok/s) | %.0f | %.0f | %.2fx | %.0f%% |\n", s1, s2, s2 / s1, 50.0 * s2 / s1);
    std::printf("| train (supervised steps/s) | %.1f | %.1f | %.2fx | %.0f%% |\n", t1, t2, t2 / t1, 50.0 * t2 / t1);
    const double step_s = two["train_seconds"].get<double>() / a.steps;
    const double in_step_s = two["allreduce_seconds_mean"].get<double>() / a.steps;
    const double alone_s = two["allreduce_alone_s"].get<double>();
    std::printf("2-process step %.2f ms; its all-reduce (%lld fp32, one flat buffer) %.2f ms = %.1f%% of the step "
                "incl. waiting for the slower rank; the same all-reduce alone (ranks lined up) %.3f ms = %.1f%%\n",
                1000.0 * step_s, static_cast<long long>(two["allreduce_floats"].get<int64_t>()), 1000.0 * in_step_s,
                100.0 * in_step_s / step_s, 1000.0 * alone_s, 100.0 * alone_s / step_s);
    fs::remove_all(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_dist: %s\n", e.what());
    return 1;
  }
  return 0;
}
