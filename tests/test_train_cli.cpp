// `train`, `sft` and `merge` end to end through the binary on generated tiny models that share
// stories260K's tokenizer: train samples first when the dataset is absent and writes a PEFT adapter
// that `sample --adapter` accepts; a run killed with SIGKILL and resumed gives the bitwise-same
// adapter as an uninterrupted run; a dataset from another expert and an empty dataset are refused;
// a Ctrl-C stops training at a checkpoint that resumes to the same adapter; a second command on an
// output directory in use is refused naming the holder; `merge` output loads; `sft` (LoRA and full
// fine-tuning) runs and lowers its loss; rejection sampling keeps exactly the greedy rollouts the
// eval grader judges correct that ended on their own.
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <map>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/contrast/meta.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/run_control.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/eval/grading.h"
#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/prompt/formats.h"
#include "lightreasoner/tokenizer/tokenizer.h"
#include "lightreasoner/pipeline/checkpoints.h"
#include "lightreasoner/pipeline/rejection.h"
#include "support.h"


namespace fs = std::filesystem;
using namespace lightreasoner;

namespace {

fs::path make_model(const fs::path& dir, const std::string& arch, uint64_t seed, const fs::path& tokenizer_dir) {
  model::InitOptions init;
  init.seed = seed;
  init.std = 0.1;
  init.perturb_norms = true;
  model::ModelDirOptions options;
  options.tokenizer_dir = tokenizer_dir;
  model::init_model_dir(arch, "tiny", init, options, dir);
  return dir;
}

struct Setup {
  fs::path dir, expert, amateur, problems;
};

Setup make_setup(int problems = 8) {
  Setup s;
  s.dir = lrtest::temp_dir();
  const fs::path tok = lrtest::fixture_dir() / "stories260K/hf";
  s.expert = make_model(s.dir / "expert", "qwen2", 11, tok);
  s.amateur = make_model(s.dir / "amateur", "llama", 12, tok);
  s.problems = s.dir / "problems.jsonl";
  std::string text;
  for (int i = 0; i < problems; ++i) {
    nlohmann::json j = {{"question", "Lily had " + std::to_string(i) + " apples and found 4 more."},
                        {"answer", "She has " + std::to_string(i + 4) + " apples.\n#### " + std::to_string(i + 4)},
                        {"id", "p" + std::to_string(i)}};
    text += j.dump() + "\n";
  }
  write_file_atomic(s.problems, text);
  return s;
}

// A config file for `out`, with the given extra --set style assignments.
fs::path write_config(const Setup& s, const fs::path& out, const std::vector<std::string>& extra) {
  std::vector<std::string> sets = {"expert.path=" + s.expert.string(), "amateur.path=" + s.amateur.string(),
                                   "expert.dtype=f32", "amateur.dtype=f32", "device=cpu",
                                   "output_dir=" + out.string(), "data.path=" + s.problems.string(),
                                   "prompt.template=plain", "sample.max_new_tokens=16", "sample.batch_size=4",
                                   "selection.beta=0.05", "train.batch_size=2", "train.log_every=1",
                                   "optim.lr=1e-3", "lora.dropout=0.1"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  auto config = config::load_run_config("", sets);
  fs::path path = out.string() + ".json";
  write_file_atomic(path, config::config_to_json(config).dump(2));
  return path;
}

std::string run_ok(const std::string& args) {
  auto r = lrtest::run_binary("--threads 1 " + args);
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  return r.output;
}

// An uninterrupted train run in <dir>/full, and a config for a second run in <dir>/<name> that
// trains on a copy of the same dataset (sampling is not what the interruption tests look at).
struct TwinRuns {
  fs::path full, other, other_config;
  std::chrono::milliseconds full_duration{0};  // wall time of the uninterrupted run
};
TwinRuns full_run_and_twin(const Setup& s, const std::string& name, const std::vector<std::string>& extra) {
  TwinRuns t{s.dir / "full", s.dir / name, {}};
  const auto full_config = write_config(s, t.full, extra);
  t.full_duration = lrtest::timed([&] { run_ok("train --config '" + full_config.string() + "'"); });
  fs::create_directories(t.other);
  fs::copy_file(t.full / "contrast.jsonl", t.other / "contrast.jsonl");
  fs::copy_file(t.full / "contrast.meta.json", t.other / "contrast.meta.json");
  t.other_config = write_config(s, t.other, extra);
  return t;
}

}  // namespace

TEST(TrainCli, SamplesFirstThenWritesAPeftAdapterThatLoads) {
  auto s = make_setup();
  auto out = s.dir / "run";
  auto config = write_config(s, out, {"train.max_steps=6", "train.checkpoint_every=2", "train.keep_checkpoints=2"});
  auto output = run_ok("train --config '" + config.string() + "'");
  EXPECT_NE(output.find("running sample first"), std::string::npos) << output;
  // The expert is loaded once: sampled with, then trained (the amateur once, for sampling).
  auto times_loaded = [&](const fs::path& dir) {
    int64_t n = 0;
    const std::string line = "loaded " + dir.string() + " (";
    for (size_t at = output.find(line); at != std::string::npos; at = output.find(line, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(times_loaded(s.expert), 1) << output;
  EXPECT_EQ(times_loaded(s.amateur), 1) << output;
  // One line with the time of each stage, in the order they ran.
  const std::regex stages(R"(train: time by stage: load expert [0-9.]+s, sample [0-9.]+s, read dataset [0-9.]+s, )"
                          R"(train [0-9.]+s, save adapter [0-9.]+s \(total [0-9.]+s\))");
  EXPECT_TRUE(std::regex_search(output, stages)) << output;
  // The sample recipe's own line, its generate / score / write times summed over the batches.
  const std::regex sample_stages(R"(sample: time by stage: prepare [0-9.]+s, load models [0-9.]+s, generate [0-9.]+s, )"
                                 R"(score [0-9.]+s, write [0-9.]+s, finish [0-9.]+s \(total [0-9.]+s\))");
  EXPECT_TRUE(std::regex_search(output, sample_stages)) << output;
  // And each stage's peak host memory, in the same order.
  const std::regex memory(R"(train: peak host memory by stage: load expert [0-9.]+ [MG]B, sample [0-9.]+ [MG]B, )"
                          R"(read dataset [0-9.]+ [MG]B, train [0-9.]+ [MG]B, save adapter [0-9.]+ [MG]B)");
  EXPECT_TRUE(std::regex_search(output, memory)) << output;
  EXPECT_TRUE(fs::exists(out / "contrast.jsonl"));
  EXPECT_TRUE(fs::exists(out / "config.resolved.json"));
  EXPECT_TRUE(fs::exists(out / "adapter/adapter_config.json"));
  EXPECT_TRUE(fs::exists(out / "adapter/adapter_model.safetensors"));
  // Checkpoints every 2 steps, the newest 2 kept.
  EXPECT_FALSE(fs::exists(out / "checkpoints/checkpoint-2"));
  EXPECT_TRUE(fs::exists(out / "checkpoints/checkpoint-4/optimizer.pt"));
  EXPECT_TRUE(fs::exists(out / "checkpoints/checkpoint-6/trainer_state.json"));
  // metrics.jsonl: one line per step with the documented fields.
  std::ifstream in(out / "metrics.jsonl");
  std::string line;
  int64_t lines = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["step"].get<int64_t>(), ++lines);
    for (const char* key : {"loss", "lr", "grad_norm", "supervised_steps_per_s", "tokens_per_s"})
      EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(lines, 6);
  // The adapter is live (training moved B off zero) and `sample --adapter` accepts it.
  auto base = model::load_model(s.expert, {torch::kFloat32});
  auto modules = model::load_peft_adapter(*base, out / "adapter");
  double b_max = 0;
  for (const auto& m : modules) b_max = std::max(b_max, m.adapter->B.abs().max().item<double>());
  EXPECT_GT(b_max, 0.0);
  auto sample_out = s.dir / "with-adapter";
  auto sample_config = write_config(s, sample_out, {"data.max_problems=2"});
  run_ok("sample --config '" + sample_config.string() + "' --adapter '" + (out / "adapter").string() + "'");
  EXPECT_TRUE(fs::exists(sample_out / "contrast.jsonl"));
  // merge: a plain model directory that our loader reads.
  auto merged = s.dir / "merged";
  run_ok("merge --model '" + s.expert.string() + "' --adapter '" + (out / "adapter").string() + "' --out '" +
         merged.string() + "'");
  auto m = model::load_model(merged, {torch::kFloat32});
  EXPECT_FALSE(fs::exists(merged / kLockFileName));  // a model directory is uploaded as it is
  EXPECT_TRUE(fs::exists(merged / "tokenizer.json") || fs::exists(merged / "tokenizer.model"));
}

TEST(TrainCli, ResumeAfterKillEqualsUninterrupted) {
  auto s = make_setup();
  const auto twins = full_run_and_twin(s, "killed", {"train.max_steps=400", "train.checkpoint_every=5",
                                                     "train.grad_accum=2", "optim.warmup_steps=3"});
  const fs::path &full = twins.full, &killed = twins.other, &killed_config = twins.other_config;

  // Kill once a checkpoint at step >= 15 is on disk (older ones are pruned as newer ones land).
  auto reached = [&] {
    try {
      auto latest = pipeline::latest_checkpoint(killed);
      return latest && std::stoll(latest->filename().string().substr(std::string("checkpoint-").size())) >= 15;
    } catch (const std::exception&) {
      return false;  // a directory pruned while being listed
    }
  };
  ASSERT_TRUE(lrtest::run_binary_and_kill_when(
      {"--threads", "1", "--log-level", "warn", "train", "--config", killed_config.string()}, reached))
      << "the run finished before it could be killed";
  ASSERT_FALSE(fs::exists(killed / "adapter"));
  auto resumed = lrtest::run_binary("--threads 1 train --resume --config '" + killed_config.string() + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from"), std::string::npos) << resumed.output;
  EXPECT_EQ(read_file(killed / "adapter/adapter_model.safetensors"), read_file(full / "adapter/adapter_model.safetensors"));
  EXPECT_EQ(read_file(killed / "adapter/adapter_config.json"), read_file(full / "adapter/adapter_config.json"));
  // metrics.jsonl has each step exactly once.
  std::ifstream in(killed / "metrics.jsonl");
  std::string line;
  int64_t expected_step = 0;
  while (std::getline(in, line)) EXPECT_EQ(nlohmann::json::parse(line)["step"].get<int64_t>(), ++expected_step);
  EXPECT_EQ(expected_step, 400);
}

// train.activation_checkpointing changes memory and time, never the update: the same adapter bytes
// (LoRA dropout on, as the defaults have it).
TEST(TrainCli, ActivationCheckpointingWritesTheSameAdapterBytes) {
  auto s = make_setup();
  const std::vector<std::string> settings = {"train.max_steps=8", "train.checkpoint_every=0"};
  const auto twins = full_run_and_twin(s, "recomputed", settings);
  auto recomputed = settings;
  recomputed.push_back("train.activation_checkpointing=true");
  run_ok("train --config '" + write_config(s, twins.other, recomputed).string() + "'");
  EXPECT_EQ(read_file(twins.other / "adapter/adapter_model.safetensors"),
            read_file(twins.full / "adapter/adapter_model.safetensors"));
}

// Kill anywhere: SIGKILL at seeded random moments, rerun with --resume each time; the adapter and
// the metrics lines end as an uninterrupted run's.
TEST(TrainCli, KilledAtRandomPointsAndResumedEqualsUninterrupted) {
  auto s = make_setup();
  const auto twins = full_run_and_twin(s, "killed", {"train.max_steps=300", "train.checkpoint_every=7",
                                                     "train.grad_accum=2", "optim.warmup_steps=3"});
  const std::vector<std::string> first = {"--threads", "1", "--log-level", "warn", "train", "--config",
                                          twins.other_config.string()};
  std::vector<std::string> rerun = first;
  rerun.push_back("--resume");
  const auto result = lrtest::kill_anywhere_then_finish(first, rerun, twins.full_duration, 4, /*seed=*/19);
  EXPECT_GE(result.killed, 2) << "most kill points fell after the run ended: nothing was interrupted";
  ASSERT_EQ(result.final_run.exit_code, 0) << result.final_run.output;
  EXPECT_EQ(read_file(twins.other / "adapter/adapter_model.safetensors"),
            read_file(twins.full / "adapter/adapter_model.safetensors"));
  std::ifstream in(twins.other / "metrics.jsonl");
  std::string line;
  int64_t expected_step = 0;
  while (std::getline(in, line)) EXPECT_EQ(nlohmann::json::parse(line)["step"].get<int64_t>(), ++expected_step);
  EXPECT_EQ(expected_step, 300);
}

// sft: reference-solution LoRA and the rejection-sampling stage, each killed at random points.
TEST(TrainCli, SftAndRejectionSamplingKilledAtRandomPointsEndAsUninterrupted) {
  auto s = make_setup(48);
  const std::vector<std::string> lora = {"sft.source=reference", "train.max_steps=200", "train.checkpoint_every=5",
                                         "train.batch_size=4"};
  const auto full_config = write_config(s, s.dir / "sft-full", lora);
  const auto duration = lrtest::timed([&] { run_ok("sft --config '" + full_config.string() + "'"); });
  const auto killed_config = write_config(s, s.dir / "sft-killed", lora);
  const std::vector<std::string> first = {"--threads", "1", "--log-level", "warn", "sft", "--config",
                                          killed_config.string()};
  std::vector<std::string> rerun = first;
  rerun.push_back("--resume");
  auto result = lrtest::kill_anywhere_then_finish(first, rerun, duration, 3, /*seed=*/23);
  EXPECT_GE(result.killed, 1);
  ASSERT_EQ(result.final_run.exit_code, 0) << result.final_run.output;
  EXPECT_EQ(read_file(s.dir / "sft-killed/adapter/adapter_model.safetensors"),
            read_file(s.dir / "sft-full/adapter/adapter_model.safetensors"));

  // Rejection sampling: the tiny random expert gets every problem wrong, so each run ends (exit 1,
  // "kept no rollout") after grading all 48 rollouts; what is compared is the graded rollouts file.
  const std::vector<std::string> rejection = {"sft.source=rejection", "sft.max_new_tokens=24", "sft.batch_size=4",
                                              "prompt.template=question-answer"};
  const auto rej_full = write_config(s, s.dir / "rej-full", rejection);
  const auto rej_duration = lrtest::timed([&] { lrtest::run_binary("--threads 1 sft --config '" + rej_full.string() + "'"); });
  const auto rej_killed = write_config(s, s.dir / "rej-killed", rejection);
  const std::vector<std::string> rej_args = {"--threads", "1", "--log-level", "warn", "sft", "--config",
                                             rej_killed.string()};
  result = lrtest::kill_anywhere_then_finish(rej_args, rej_args, rej_duration, 3, /*seed=*/29);
  EXPECT_GE(result.killed, 1);
  const fs::path full_predictions = s.dir / "rej-full/rejection/predictions.jsonl";
  ASSERT_TRUE(fs::exists(full_predictions));
  EXPECT_EQ(io::read_jsonl(full_predictions).size(), 48u);
  EXPECT_EQ(lrtest::jsonl_without(s.dir / "rej-killed/rejection/predictions.jsonl", "seconds"),
            lrtest::jsonl_without(full_predictions, "seconds"));
}

// merge: killed while writing, rerun into the same folder: the same model bytes, no lock file left.
TEST(TrainCli, MergeKilledAtRandomPointsAndRerunWritesTheSameModel) {
  auto s = make_setup(3);
  auto out = s.dir / "run";
  run_ok("train --config '" + write_config(s, out, {"train.max_steps=2"}).string() + "'");
  const std::vector<std::string> args = {"--threads", "1", "--log-level", "warn", "merge", "--model", s.expert.string(),
                                         "--adapter", (out / "adapter").string(), "--out", (s.dir / "merged").string()};
  std::string line;
  for (const auto& arg : args) line += " '" + arg + "'";
  const auto duration = lrtest::timed([&] { EXPECT_EQ(lrtest::run_binary(line).exit_code, 0); });
  const std::string merged = read_file(s.dir / "merged/model.safetensors");
  fs::remove_all(s.dir / "merged");
  auto args_killed = args;
  args_killed.back() = (s.dir / "merged-killed").string();
  const auto result = lrtest::kill_anywhere_then_finish(args_killed, args_killed, duration, 3, /*seed=*/31);
  ASSERT_EQ(result.final_run.exit_code, 0) << result.final_run.output;
  EXPECT_EQ(read_file(s.dir / "merged-killed/model.safetensors"), merged);
  EXPECT_FALSE(fs::exists(s.dir / "merged-killed" / kLockFileName));
  EXPECT_GE(result.killed, 1) << "every kill point fell after the merge ended";
}

TEST(TrainCli, ACtrlCStopsAtACheckpointAndTheResumeEqualsUninterrupted) {
  auto s = make_setup();
  // checkpoint_every=0: only the end of a run (or a stop) writes one, so a checkpoint below proves
  // the stop wrote it.
  const auto twins =
      full_run_and_twin(s, "stopped", {"train.max_steps=400", "train.checkpoint_every=0", "train.grad_accum=2"});
  const fs::path &full = twins.full, &stopped = twins.other, &stopped_config = twins.other_config;

  auto logged_steps = [&] {
    std::ifstream in(stopped / "metrics.jsonl");
    return std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
  };
  auto run = lrtest::run_binary_and_signal_when(
      {"--threads", "1", "--log-level", "warn", "train", "--config", stopped_config.string()},
      [&] { return logged_steps() >= 10; }, SIGINT);
  ASSERT_TRUE(run.signalled) << "the run finished before the signal";
  EXPECT_EQ(run.exit_code, 128 + SIGINT) << run.output;
  EXPECT_NE(run.output.find("stopped on request"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("rerun with --resume"), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(stopped / "adapter"));
  const auto checkpoint = pipeline::latest_checkpoint(stopped);
  ASSERT_TRUE(checkpoint.has_value()) << run.output;
  const int64_t at = std::stoll(checkpoint->filename().string().substr(std::string("checkpoint-").size()));
  EXPECT_GE(at, 10);
  EXPECT_LT(at, 400);
  EXPECT_EQ(logged_steps(), at);  // the stop came right after the step it checkpointed

  auto resumed = lrtest::run_binary("--threads 1 train --resume --config '" + stopped_config.string() + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(read_file(stopped / "adapter/adapter_model.safetensors"), read_file(full / "adapter/adapter_model.safetensors"));
  EXPECT_EQ(logged_steps(), 400);
}

TEST(TrainCli, ACommandOnAnOutputDirectoryInUseIsRefusedNamingTheHolder) {
  auto s = make_setup(3);
  auto out = s.dir / "run";
  auto config = write_config(s, out, {"train.max_steps=2"});
  {
    lrtest::LockHolder holder(out, "train");
    ASSERT_GT(holder.pid, 0);
    const std::string named = "pid " + std::to_string(holder.pid) + ", lightreasoner train";
    for (const std::string command :
         {"sample --config '" + config.string() + "'", "train --config '" + config.string() + "'",
          "sft --config '" + config.string() + "'",
          "eval --config '" + config.string() + "' --data gsm8k --limit 1 --out '" + out.string() + "'"}) {
      auto r = lrtest::run_binary("--threads 1 " + command);
      EXPECT_EQ(r.exit_code, 1) << command << "\n" << r.output;
      EXPECT_NE(r.output.find("is in use by another run (" + named + ")"), std::string::npos) << command << "\n"
                                                                                              << r.output;
    }
    EXPECT_FALSE(fs::exists(out / "contrast.jsonl"));  // nothing was written beside the holder
  }
  // The holder is gone (killed: the kernel dropped its lock): the same command runs.
  run_ok("train --config '" + config.string() + "'");
  EXPECT_TRUE(fs::exists(out / "adapter/adapter_model.safetensors"));
}

TEST(TrainCli, AFullDiskFailsNamingTheFileAndLeavesNoHalfWrittenOutput) {
  auto s = make_setup(3);
  auto out = s.dir / "run";
  auto config = write_config(s, out, {"train.max_steps=4"});
  run_ok("sample --config '" + config.string() + "'");
  const std::string dataset = read_file(out / "contrast.jsonl");
  // An 8 KiB file-size limit (the process sees EFBIG, as it would see ENOSPC on a full disk): the
  // small files fit, the first checkpoint (15 KiB of LoRA tensors) does not.
  auto r = lrtest::run_shell("ulimit -f 8; '" + std::string(LR_BINARY) + "' --threads 1 train --config '" +
                             config.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("File too large"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("trainable.safetensors"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(out / "contrast.jsonl"), dataset);  // the earlier output is intact
  EXPECT_FALSE(fs::exists(out / "adapter"));
  EXPECT_FALSE(pipeline::latest_checkpoint(out).has_value());  // no half-written checkpoint counts as one
  EXPECT_FALSE(fs::exists(out / "checkpoints/.tmp-checkpoint-4"));  // nor is left behind
  // With room again the same command completes.
  run_ok("train --config '" + config.string() + "'");
  EXPECT_TRUE(fs::exists(out / "adapter/adapter_model.safetensors"));
}

TEST(TrainCli, AnOutputDirectoryThatCannotBeCreatedIsAClearError) {
  auto s = make_setup(3);
  // root ignores permissions, so the unwritable place is a path through a regular file.
  write_file_atomic(s.dir / "file", "x");
  auto config = write_config(s, s.dir / "run", {"train.max_steps=1", "output_dir=" + (s.dir / "file" / "run").string()});
  for (const char* command : {"sample", "train", "sft"}) {
    auto r = lrtest::run_binary(std::string("--threads 1 ") + command + " --config '" + config.string() + "'");
    EXPECT_EQ(r.exit_code, 1) << command << "\n" << r.output;
    EXPECT_NE(r.output.find("cannot create output directory '" + (s.dir / "file" / "run").string() + "'"),
              std::string::npos)
        << command << "\n" << r.output;
  }
}

// Every regular file under `dir` with its bytes.
std::map<std::string, std::string> files_under(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files[fs::relative(entry.path(), dir).string()] = read_file(entry.path());
  return files;
}

TEST(TrainCli, AReadOnlyOutputDirectoryIsAClearErrorAndLeavesItsOutputsIntact) {
  // Permissions stop a user, not root: as root (CI, these machines) the commands run as `nobody`
  // through setpriv; as any other user they run directly.
  auto s = make_setup(3);
  const auto out = s.dir / "run";
  auto config = write_config(s, out, {"train.max_steps=2"});
  run_ok("train --config '" + config.string() + "'");
  const auto before = files_under(out);
  ASSERT_TRUE(before.count("contrast.jsonl") && before.count("adapter/adapter_model.safetensors"));
  const bool root = ::geteuid() == 0;
  if (root) ASSERT_EQ(lrtest::run_shell("command -v setpriv").exit_code, 0) << "setpriv (util-linux) is needed as root";
  const std::string as_user = root ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  lrtest::run_shell("chmod -R a+rX '" + s.dir.string() + "' && chmod -R a-w '" + out.string() + "'");
  const std::string binary = std::string("'") + LR_BINARY + "' --threads 1 ";
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"sample --config '" + config.string() + "' --set data.max_problems=4", out.string()},
      {"train --resume --config '" + config.string() + "' --set train.max_steps=3", out.string()},
      {"sft --config '" + config.string() + "'", out.string()},
      {"eval --model '" + s.expert.string() + "' --data '" + s.problems.string() + "' --data-name gsm8k --max-new-tokens 8 --out '" +
           (out / "eval").string() + "'",
       (out / "eval").string()}};
  for (const auto& [args, named] : runs) {
    auto r = lrtest::run_shell(as_user + binary + args);
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(named), std::string::npos) << "the error names the folder: " << args << "\n" << r.output;
    EXPECT_NE(r.output.find("Permission denied"), std::string::npos) << args << "\n" << r.output;
  }
  lrtest::run_shell("chmod -R u+w '" + out.string() + "'");
  EXPECT_EQ(files_under(out), before);  // nothing written, nothing damaged
  // Writable again, the refused command runs.
  run_ok(runs.back().first);
  EXPECT_TRUE(fs::exists(out / "eval/summary.json"));
}

TEST(TrainCli, AResumeThatChangesHowTheUpdatesAreMadeIsRefusedNamingEachChange) {
  auto s = make_setup(3);
  auto out = s.dir / "run";
  auto config = write_config(s, out, {"train.max_steps=4", "train.checkpoint_every=2"});
  run_ok("train --config '" + config.string() + "'");
  ASSERT_TRUE(fs::exists(out / "checkpoints/settings.json"));
  // Changed learning rate and LoRA alpha: refused, each named with both values.
  auto r = lrtest::run_binary("--threads 1 train --resume --config '" + config.string() +
                              "' --set optim.lr=0.002 --set lora.alpha=32");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("changes settings that shape the updates"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("optim.lr: the checkpoints were made with 0.001, this run has 0.002"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("lora.alpha: the checkpoints were made with 16"), std::string::npos) << r.output;
  // Bookkeeping and speed settings may change on a resume.
  run_ok("train --resume --config '" + config.string() +
         "' --set train.log_every=2 --set train.keep_checkpoints=3 --set train.pack_tokens=256");
  // A fresh run over the checkpoints is refused by the trainer and leaves the record as it was.
  const std::string record = read_file(out / "checkpoints/settings.json");
  r = lrtest::run_binary("--threads 1 train --config '" + config.string() + "' --set optim.lr=0.002");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("pass --resume to continue it"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(out / "checkpoints/settings.json"), record);
}

TEST(TrainCli, BadDatasetsAreRefused) {
  auto s = make_setup(3);
  auto out = s.dir / "run";
  auto config = write_config(s, out, {"train.max_steps=1"});
  run_ok("sample --config '" + config.string() + "'");
  // Another expert: same shapes and tokenizer, other weights.
  auto other = make_model(s.dir / "other", "qwen2", 99, lrtest::fixture_dir() / "stories260K/hf");
  auto other_config = write_config(s, out, {"train.max_steps=1", "expert.path=" + other.string()});
  auto r = lrtest::run_binary("train --config '" + other_config.string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("refusing to train on it"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("contrast.meta.json"), std::string::npos) << r.output;
  // An empty dataset.
  config = write_config(s, out, {"train.max_steps=1"});
  write_file_atomic(out / "contrast.jsonl", "");
  r = lrtest::run_binary("train --config '" + config.string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("has no rollouts"), std::string::npos) << r.output;
}

TEST(TrainCli, ChangedSettingsOnAnExistingDatasetAreRefusedNamingEachDifference) {
  auto s = make_setup(3);
  auto out = s.dir / "run";
  run_ok("sample --config '" + write_config(s, out, {}).string() + "'");
  auto other = make_model(s.dir / "other", "qwen2", 99, lrtest::fixture_dir() / "stories260K/hf");
  // β lowered (needs steps the dataset dropped), α, target kind, template and expert changed.
  auto changed = write_config(s, out, {"train.max_steps=1", "selection.beta=0.01", "target.alpha=0.5",
                                       "target.kind=expert", "prompt.template=question-answer",
                                       "expert.path=" + other.string()});
  auto r = lrtest::run_binary("train --config '" + changed.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // Same shapes, other weights: the checksum differs, the config hash does not.
  for (const char* needle :
       {"refusing to train on it (5 difference(s))", "expert.weights_checksum: dataset has", "selection.beta: dataset has 0.05, this run has 0.01",
        "target.alpha: dataset has 0.2, this run has 0.5", "target.kind: dataset has \"contrast\", this run has \"expert\"",
        "prompt.template: dataset has \"plain\", this run has \"question-answer\"", "train --resample"}) {
    EXPECT_NE(r.output.find(needle), std::string::npos) << needle << "\n" << r.output;
  }
  EXPECT_FALSE(fs::exists(out / "adapter"));
  // Decoding and data settings too, and `sample` refuses to resume into the dataset the same way.
  auto decoding = write_config(s, out, {"sample.max_new_tokens=8", "data.max_problems=2"});
  r = lrtest::run_binary("sample --config '" + decoding.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("sample.max_new_tokens: dataset has 16, this run has 8"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("data.max_problems: dataset has 1000, this run has 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("refusing to resume into it"), std::string::npos) << r.output;

  // β raised: a pure filter of the stored steps, applied with a message.
  const auto dataset = contrast::read_contrast(out / "contrast.jsonl");
  int64_t above = 0;
  for (const auto& record : dataset)
    for (const auto& step : record.steps) above += step.kl >= 0.2;
  ASSERT_GT(above, 0);
  auto raised = write_config(s, out, {"train.max_steps=1", "selection.beta=0.2"});
  auto output = run_ok("train --config '" + raised.string() + "'");
  EXPECT_NE(output.find("selection.beta 0.05 -> 0.2 differs from the dataset's selection; applied as a filter"),
            std::string::npos) << output;
  EXPECT_NE(output.find("kept " + std::to_string(above) + " steps"), std::string::npos) << output;

  // --resample: the changed settings sample a new dataset and train on it.
  auto again = s.dir / "again";
  run_ok("sample --config '" + write_config(s, again, {}).string() + "'");
  auto resampled = write_config(s, again, {"train.max_steps=1", "target.alpha=0.5"});
  output = run_ok("train --resample --config '" + resampled.string() + "'");
  EXPECT_NE(output.find("--resample: "), std::string::npos) << output;
  EXPECT_EQ(contrast::meta_setting(contrast::read_meta(again / "contrast.meta.json"), "target.alpha"), 0.5);
  EXPECT_TRUE(fs::exists(again / "adapter/adapter_model.safetensors"));
  // The adapter carries its training prompt (plain): eval with another template is refused.
  r = lrtest::run_binary("eval --model '" + s.expert.string() + "' --adapter '" + (again / "adapter").string() +
                         "' --data '" + s.problems.string() + "' --data-name gsm8k --template cot --device cpu");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("renders other prompts than the model was trained with (prompt.template 'plain'"),
            std::string::npos) << r.output;
}

TEST(TrainCli, SftLoraAndFullFineTuning) {
  auto s = make_setup(6);
  auto lora_out = s.dir / "sft-lora";
  auto lora_config = write_config(s, lora_out, {"train.max_steps=8", "train.checkpoint_every=4", "optim.lr=1e-2",
                                                "optim.schedule=constant"});
  run_ok("sft --config '" + lora_config.string() + "'");
  // LoRA SFT trains: 8 logged steps whose loss falls, and an adapter that loads with B moved off zero.
  auto losses_of = [](const fs::path& run) {
    std::ifstream in(run / "metrics.jsonl");
    std::vector<double> losses;
    for (std::string line; std::getline(in, line);) losses.push_back(nlohmann::json::parse(line)["loss"].get<double>());
    return losses;
  };
  const auto lora_losses = losses_of(lora_out);
  ASSERT_EQ(lora_losses.size(), 8u);
  // Batches of 2 from 6 problems: the first and the last 3 steps each see every problem about once.
  const double first3 = (lora_losses[0] + lora_losses[1] + lora_losses[2]) / 3;
  const double last3 = (lora_losses[5] + lora_losses[6] + lora_losses[7]) / 3;
  EXPECT_LT(last3, first3) << "mean loss of steps 1-3 " << first3 << ", of steps 6-8 " << last3;
  {
    auto base = model::load_model(s.expert, {torch::kFloat32});
    double b_max = 0;
    for (const auto& m : model::load_peft_adapter(*base, lora_out / "adapter"))
      b_max = std::max(b_max, m.adapter->B.abs().max().item<double>());
    EXPECT_GT(b_max, 0.0);
  }
  auto full_out = s.dir / "sft-full";
  auto full_config = write_config(s, full_out, {"train.max_steps=30", "sft.full_finetune=true", "optim.lr=3e-3",
                                                "optim.schedule=constant", "train.batch_size=6",
                                                "train.checkpoint_every=0"});
  run_ok("sft --config '" + full_config.string() + "'");
  auto trained = model::load_model(full_out / "model", {torch::kFloat32});  // a whole, loadable model dir
  EXPECT_TRUE(fs::exists(full_out / "model/tokenizer.json") || fs::exists(full_out / "model/tokenizer.model"));
  // Memorising 6 short solutions: the loss falls well below its start.
  const auto losses = losses_of(full_out);
  ASSERT_EQ(losses.size(), 30u);
  EXPECT_LT(losses.back(), 0.5 * losses.front()) << losses.front() << " -> " << losses.back();
  // bf16 weights cannot be the optimizer's master copy.
  auto bad = write_config(s, s.dir / "sft-bf16", {"sft.full_finetune=true", "expert.dtype=bf16"});
  auto r = lrtest::run_binary("sft --config '" + bad.string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("sft.full_finetune needs expert.dtype \"f32\""), std::string::npos) << r.output;
}

TEST(TrainCli, RejectionSamplingKeepsTheFinishedRolloutsGradedCorrect) {
  auto s = make_setup(1);
  // 9 problems with gold 10 + i. The scripted rollouts: i % 3 == 0 correct and finished, 1 correct
  // but cut at the token limit, 2 finished with a wrong answer.
  std::string text;
  for (int i = 0; i < 9; ++i) {
    text += nlohmann::json{{"question", "Tom has " + std::to_string(i) + " red balls and gets 10 more. How many?"},
                           {"answer", "He has " + std::to_string(10 + i) + ".\n#### " + std::to_string(10 + i)},
                           {"idx", i}}
                .dump() +
            "\n";
  }
  write_file_atomic(s.problems, text);
  auto config = config::load_run_config(
      "", {"expert.path=" + s.expert.string(), "data.path=" + s.problems.string(), "prompt.template=question-answer",
           "sft.source=rejection", "device=cpu", "output_dir=" + (s.dir / "rejection_run").string()});
  int calls = 0;
  std::vector<std::string> prompts_seen;
  eval::CompletionSource scripted;
  scripted.name = "scripted";
  scripted.batch_size = 4;
  scripted.complete = [&](const std::vector<const eval::EvalItem*>& batch) {
    ++calls;
    std::vector<eval::Completion> out;
    for (const auto* item : batch) {
      const int64_t i = item->example->id;
      prompts_seen.push_back(item->prompt);
      eval::Completion c;
      c.text = "He starts with " + std::to_string(i) + " and adds 10, so " + std::to_string(i % 3 == 2 ? 99 : 10 + i);
      c.finish_reason = i % 3 == 1 ? "length" : "stop";
      out.push_back(c);
    }
    return out;
  };
  auto report = pipeline::rejection_sample_from(scripted, config);
  EXPECT_EQ(report.problems, 9);
  EXPECT_EQ(report.correct, 6);
  ASSERT_EQ(report.accepted, 3);
  for (int k = 0; k < 3; ++k) {
    const int i = 3 * k;
    EXPECT_EQ(report.examples[k].id, std::to_string(i));
    EXPECT_EQ(report.examples[k].question, "Tom has " + std::to_string(i) + " red balls and gets 10 more. How many?");
    EXPECT_EQ(report.examples[k].completion,
              "He starts with " + std::to_string(i) + " and adds 10, so " + std::to_string(10 + i));
  }
  // The rollouts saw the training template's prompt.
  ASSERT_EQ(prompts_seen.size(), 9u);
  EXPECT_NE(std::find(prompts_seen.begin(), prompts_seen.end(),
                      prompt::render_template("question-answer", "Tom has 0 red balls and gets 10 more. How many?")),
            prompts_seen.end());
  // A second call continues from the graded rollouts on disk instead of generating again.
  calls = 0;
  auto again = pipeline::rejection_sample_from(scripted, config);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(again.accepted, 3);
  EXPECT_TRUE(fs::exists(s.dir / "rejection_run/rejection/summary.json"));

  // Through the binary with the real (random, digit-free) model: its rollouts are graded, none is
  // correct, and sft stops with a clear message instead of training on nothing.
  auto cli_config = s.dir / "rejection_sft.json";
  write_file_atomic(cli_config, config::config_to_json(config::load_run_config(
                                    "", {"expert.path=" + s.expert.string(), "expert.dtype=f32",
                                         "data.path=" + s.problems.string(), "prompt.template=question-answer",
                                         "sft.source=rejection", "sft.max_new_tokens=16", "sft.batch_size=4",
                                         "device=cpu", "train.max_steps=2", "train.batch_size=2",
                                         "output_dir=" + (s.dir / "sft_rejection").string()}))
                                    .dump(2));
  auto r = lrtest::run_binary("--threads 1 sft --config '" + cli_config.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("rejection sampling kept 0 of 9"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rejection sampling kept no rollout"), std::string::npos) << r.output;
  auto summary = nlohmann::json::parse(read_file(s.dir / "sft_rejection/rejection/summary.json"));
  EXPECT_EQ(summary["datasets"]["rejection"]["n"], 9);
}
