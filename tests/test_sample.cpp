// `sample` end to end on two generated tiny models sharing a real tokenizer (stories260K's):
// dataset and meta validated, teacher-forced scoring aligned with the rollout (one-hot targets of
// a greedy rollout are the rollout tokens; expert vs itself gives KL 0), batched = one at a time,
// resume after a real kill or a Ctrl-C (which stops after the batch being written) identical to an
// uninterrupted run, and bad inputs.
#include <torch/torch.h>

#include <chrono>
#include <csignal>
#include <fstream>

#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/contrast/meta.h"
#include "lightreasoner/contrast/problems.h"
#include "lightreasoner/contrast/sample.h"
#include "lightreasoner/pipeline/sample.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/model/loader.h"
#include "support.h"


namespace fs = std::filesystem;
using namespace lightreasoner;

namespace {

struct TinyPair {
  fs::path expert, amateur, problems;
};

fs::path make_model(const fs::path& dir, const std::string& arch, uint64_t seed, const fs::path& tokenizer_dir) {
  model::InitOptions init;
  init.seed = seed;
  init.std = 0.1;  // peaked distributions: the KL between the two models is informative
  init.perturb_norms = true;
  model::ModelDirOptions options;
  options.tokenizer_dir = tokenizer_dir;
  model::init_model_dir(arch, "tiny", init, options, dir);
  return dir;
}

void write_problems(const fs::path& path, int n) {
  const char* stems[] = {"Once upon a time there was a little cat.", "Lily had 3 apples and found 4 more.",
                         "The big dog ran to the park.", "Tom saw a red ball in the sun."};
  std::string text;
  for (int i = 0; i < n; ++i) {
    nlohmann::json j = {{"question", std::string(stems[i % 4]) + " Story " + std::to_string(i) + "."},
                        {"answer", "#### " + std::to_string(i)}, {"id", "p" + std::to_string(i)}};
    text += j.dump() + "\n";
  }
  write_file_atomic(path, text);
}

TinyPair make_pair_in(const fs::path& dir, int problems = 6) {
  TinyPair pair;
  fs::path tok = lrtest::fixture_dir() / "stories260K/hf";
  pair.expert = make_model(dir / "expert", "qwen2", 11, tok);
  pair.amateur = make_model(dir / "amateur", "llama", 12, tok);
  pair.problems = dir / "problems.jsonl";
  write_problems(pair.problems, problems);
  return pair;
}

config::RunConfig sample_config(const TinyPair& pair, const fs::path& out, int batch_size = 3) {
  return config::load_run_config(
      "", {"expert.path=" + pair.expert.string(), "amateur.path=" + pair.amateur.string(), "expert.dtype=f32",
           "amateur.dtype=f32", "device=cpu", "output_dir=" + out.string(), "data.path=" + pair.problems.string(),
           "prompt.template=plain", "sample.max_new_tokens=12", "sample.batch_size=" + std::to_string(batch_size)});
}

}  // namespace

TEST(Sample, EndToEndDatasetAndMeta) {
  auto dir = lrtest::temp_dir();
  auto pair = make_pair_in(dir);
  auto report = pipeline::run_sample(sample_config(pair, dir / "run"));
  auto records = contrast::read_contrast(dir / "run/contrast.jsonl");
  ASSERT_EQ(records.size(), 6u);
  int64_t selected = 0, steps = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    EXPECT_EQ(r.id, "p" + std::to_string(i));
    EXPECT_FALSE(r.prompt_ids.empty());
    ASSERT_FALSE(r.completion_ids.empty());
    EXPECT_LE(r.completion_ids.size(), 12u);
    ASSERT_EQ(r.step_kl.size(), r.completion_ids.size());
    steps += static_cast<int64_t>(r.completion_ids.size());
    for (const auto& s : r.steps) {
      ASSERT_LT(s.t, static_cast<int64_t>(r.completion_ids.size()));
      EXPECT_GE(s.kl, 0.4 - 1e-3);  // selected steps pass β
      EXPECT_NEAR(s.kl, r.step_kl[s.t], 1e-3 * std::max(1.0, s.kl));
      double sum = 0;
      for (double p : s.p) sum += p;
      EXPECT_NEAR(sum, 1.0, 1e-4);
      ++selected;
    }
    for (size_t t = 0; t < r.step_kl.size(); ++t) EXPECT_GE(r.step_kl[t], -1e-6);
  }
  EXPECT_GT(selected, 0) << "two different random models should disagree somewhere";
  auto meta = contrast::read_meta(dir / "run/contrast.meta.json");
  EXPECT_EQ(meta.counts.rollouts, 6);
  EXPECT_EQ(meta.counts.steps_selected, selected);
  EXPECT_EQ(meta.counts.steps_scored, steps);
  EXPECT_EQ(contrast::meta_setting(meta, "prompt.template"), "plain");
  EXPECT_DOUBLE_EQ(contrast::meta_setting(meta, "selection.beta").get<double>(), 0.4);
  EXPECT_FALSE(meta.expert.weights_checksum.empty());
  EXPECT_NE(meta.expert.weights_checksum, meta.amateur.weights_checksum);
  EXPECT_FALSE(meta.tokenizer_fingerprint.empty());
  EXPECT_GT(meta.rollout_tokens_per_second, 0);
  EXPECT_TRUE(fs::exists(dir / "run/config.resolved.json"));
  EXPECT_EQ(report.new_rollouts, 6);
  // A second run over a finished dataset does nothing and keeps the file as it is.
  std::string before = read_file(dir / "run/contrast.jsonl");
  auto again = pipeline::run_sample(sample_config(pair, dir / "run"));
  EXPECT_EQ(again.new_rollouts, 0);
  EXPECT_EQ(again.resumed_rollouts, 6);
  EXPECT_EQ(read_file(dir / "run/contrast.jsonl"), before);
}

TEST(Sample, TeacherForcedScoringIsAlignedWithTheRollout) {
  auto dir = lrtest::temp_dir();
  auto pair = make_pair_in(dir);
  model::LoadOptions load;
  load.dtype = torch::kFloat32;
  auto expert = model::load_model(pair.expert, load);
  auto amateur = model::load_model(pair.amateur, load);
  std::vector<std::vector<int64_t>> prompts = {{1, 403, 407, 261, 378}, {1, 30, 40}, {1, 200, 201, 202, 203, 204, 205}};
  generate::GenerationOptions gen;
  gen.max_new_tokens = 10;
  gen.return_logprobs = true;
  auto generated = generate::generate(*expert, prompts, gen);
  std::vector<std::vector<int64_t>> completions;
  for (const auto& c : generated.completions) completions.push_back(c.ids);

  // One-hot targets of every step are the expert's argmax: for a greedy rollout, the rollout token.
  contrast::ContrastOptions onehot;
  onehot.selection.enabled = false;
  onehot.kind = contrast::TargetKind::kOnehot;
  auto scored = contrast::score_rollouts(*expert, *amateur, prompts, completions, onehot);
  size_t total = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    for (size_t t = 0; t < completions[i].size(); ++t) {
      const auto& step = scored.result.selected.at(scored.first_position[i] + t);
      ASSERT_EQ(step.ids.size(), 1u);
      EXPECT_EQ(step.ids[0], completions[i][t]) << "row " << i << " step " << t;
      // πE of the chosen token equals the probability seen during generation.
      EXPECT_NEAR(std::log(step.expert_probs[0]), generated.completions[i].logprobs[t], 1e-4);
      ++total;
    }
  }
  EXPECT_EQ(total, scored.result.selected.size());
  // The expert against itself: KL 0 at every step, nothing selected at β 0.4.
  auto self = contrast::score_rollouts(*expert, *expert, prompts, completions, contrast::ContrastOptions{});
  for (float kl : self.result.kl) EXPECT_NEAR(kl, 0.0f, 1e-5f);
  EXPECT_TRUE(self.result.selected.empty());
}

TEST(Sample, BatchedEqualsOneAtATime) {
  auto dir = lrtest::temp_dir();
  auto pair = make_pair_in(dir, 5);
  pipeline::run_sample(sample_config(pair, dir / "b1", 1));
  pipeline::run_sample(sample_config(pair, dir / "b4", 4));
  auto one = contrast::read_contrast(dir / "b1/contrast.jsonl");
  auto four = contrast::read_contrast(dir / "b4/contrast.jsonl");
  ASSERT_EQ(one.size(), four.size());
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].completion_ids, four[i].completion_ids) << one[i].id;
    ASSERT_EQ(one[i].steps.size(), four[i].steps.size()) << one[i].id;
    for (size_t k = 0; k < one[i].steps.size(); ++k) {
      EXPECT_EQ(one[i].steps[k].t, four[i].steps[k].t);
      EXPECT_EQ(one[i].steps[k].ids, four[i].steps[k].ids);
      EXPECT_NEAR(one[i].steps[k].kl, four[i].steps[k].kl, 1e-3 * std::max(1.0, one[i].steps[k].kl));
      for (size_t j = 0; j < one[i].steps[k].p.size(); ++j)
        EXPECT_NEAR(one[i].steps[k].p[j], four[i].steps[k].p[j], 1e-4);
    }
  }
}

// The config file of a run the interruption tests stop: 60 problems in batches of 2, 24 new tokens.
fs::path interruption_config(const TinyPair& pair, const fs::path& dir, const fs::path& out) {
  auto config = sample_config(pair, out, 2);
  config.sample.max_new_tokens = 24;
  fs::path path = dir / (out.filename().string() + ".json");
  write_file_atomic(path, config::config_to_json(config).dump(2));
  return path;
}

// Stops a sampling run once some batches are on disk — SIGKILL (a crash) or SIGINT (Ctrl-C: the run
// ends itself after the batch it is writing) — and reruns it: the dataset equals an uninterrupted run's.
void check_interrupted_sample_resumes(int signal) {
  auto dir = lrtest::temp_dir();
  auto pair = make_pair_in(dir, 60);
  auto write_config = [&](const fs::path& out) { return interruption_config(pair, dir, out); };
  auto full_config = write_config(dir / "full");
  auto stopped_config = write_config(dir / "stopped");
  ASSERT_EQ(lrtest::run_binary("--threads 1 sample --config '" + full_config.string() + "'").exit_code, 0);

  fs::path partial = dir / "stopped/contrast.jsonl";
  size_t lines = 0;
  auto run = lrtest::run_binary_and_signal_when(
      {"--threads", "1", "--log-level", "warn", "sample", "--config", stopped_config.string()},
      [&] {
        if (!fs::exists(partial)) return false;
        std::ifstream in(partial);
        lines = std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
        return lines >= 6;
      },
      signal);
  ASSERT_TRUE(run.signalled) << "the run finished before the signal (" << lines << " lines)";
  if (signal == SIGINT) {  // the run ended itself: exit 130 and how to continue
    EXPECT_EQ(run.exit_code, 128 + SIGINT) << run.output;
    EXPECT_NE(run.output.find("stopped on request"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("rerun the command to continue"), std::string::npos) << run.output;
  } else {
    EXPECT_EQ(run.term_signal, SIGKILL);
  }
  std::ifstream in(partial);
  lines = std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
  ASSERT_GE(lines, 6u);
  ASSERT_LT(lines, 60u);
  auto resumed = lrtest::run_binary("--threads 1 sample --config '" + stopped_config.string() + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(read_file(partial), read_file(dir / "full/contrast.jsonl"));
}

TEST(Sample, ResumeAfterKillEqualsUninterrupted) { check_interrupted_sample_resumes(SIGKILL); }

TEST(Sample, ACtrlCStopsAfterAWrittenBatchAndTheRerunEqualsUninterrupted) { check_interrupted_sample_resumes(SIGINT); }

// Kill anywhere: SIGKILL at seeded random moments of the run, rerun each time; the dataset ends
// byte-identical to an uninterrupted run's.
TEST(Sample, KilledAtRandomPointsAndRerunEqualsUninterrupted) {
  auto dir = lrtest::temp_dir();
  auto pair = make_pair_in(dir, 60);
  auto write_config = [&](const fs::path& out) { return interruption_config(pair, dir, out); };
  const auto full_config = write_config(dir / "full");
  const auto duration = lrtest::timed([&] {
    ASSERT_EQ(lrtest::run_binary("--threads 1 sample --config '" + full_config.string() + "'").exit_code, 0);
  });
  const std::vector<std::string> args = {"--threads", "1", "--log-level", "warn", "sample", "--config",
                                         write_config(dir / "killed").string()};
  const auto result = lrtest::kill_anywhere_then_finish(args, args, duration, 4, /*seed=*/17);
  EXPECT_GE(result.killed, 2) << "most kill points fell after the run ended";
  ASSERT_EQ(result.final_run.exit_code, 0) << result.final_run.output;
  EXPECT_EQ(read_file(dir / "killed/contrast.jsonl"), read_file(dir / "full/contrast.jsonl"));
}

TEST(Sample, BadInputs) {
  auto dir = lrtest::temp_dir();
  auto pair = make_pair_in(dir, 3);
  // Missing field and empty question: an error naming file:line, or a counted skip.
  write_file_atomic(dir / "bad.jsonl", "{\"question\": \"ok one\"}\n{\"text\": \"no question\"}\n{\"question\": \"  \"}\n");
  auto config = sample_config(pair, dir / "bad_stop");
  config.data.path = (dir / "bad.jsonl").string();
  EXPECT_LR_ERROR(pipeline::run_sample(config), "bad.jsonl:2: missing field: expected one of 'question'");
  config.output_dir = (dir / "bad_skip").string();
  config.data.on_bad_record = "skip";
  auto report = pipeline::run_sample(config);
  EXPECT_EQ(report.meta.counts.rollouts, 1);
  EXPECT_EQ(report.meta.counts.problems_skipped, 2);

  // A problem longer than the context (tiny models: 512 positions).
  std::string long_question;
  for (int i = 0; i < 400; ++i) long_question += "Once upon a time ";
  write_file_atomic(dir / "long.jsonl", nlohmann::json({{"question", long_question}}).dump() + "\n");
  config = sample_config(pair, dir / "long");
  config.data.path = (dir / "long.jsonl").string();
  EXPECT_LR_ERROR(pipeline::run_sample(config), "exceeds the models' context of 512");

  // Mismatched tokenizers: the amateur with another tokenizer (Mistral's) is refused, naming both.
  auto other = make_model(dir / "other", "llama", 13, lrtest::fixture_dir() / "mistral-tokenizer");
  config = sample_config(pair, dir / "mismatch");
  config.amateur.path = other.string();
  EXPECT_LR_ERROR(pipeline::run_sample(config), "the expert and the amateur use different tokenizers: expert '");

  // A changed config over an existing dataset is refused (resume would mix two runs).
  config = sample_config(pair, dir / "changed");
  pipeline::run_sample(config);
  config.selection.beta = 0.9;
  EXPECT_LR_ERROR(pipeline::run_sample(config), "beta");
  // Missing required paths.
  EXPECT_LR_ERROR(pipeline::run_sample(config::load_run_config("")), "sample needs expert.path");
}

TEST(Sample, AModelDirectoryThatIsNotThereIsNamedByItsKeyAndARelativeOneByWhereItWasRead) {
  auto dir = lrtest::temp_dir();
  auto pair = make_pair_in(dir, 3);
  auto config = sample_config(pair, dir / "out");
  config.expert.path = "models/not-downloaded";
  EXPECT_LR_ERROR(pipeline::run_sample(config), "expert.path = 'models/not-downloaded' (a relative path, read from " +
                                                    fs::current_path().string() + ") is not a directory");
  config = sample_config(pair, dir / "out");
  fs::create_directories(dir / "empty");
  config.amateur.path = (dir / "empty").string();
  EXPECT_LR_ERROR(pipeline::run_sample(config), "amateur.path = '" + (dir / "empty").string() +
                                                    "' has no config.json: not a Hugging Face model directory");
  EXPECT_FALSE(fs::exists(dir / "out/contrast.jsonl")) << "the check comes before any rollout";
}
