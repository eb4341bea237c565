// The eval loop (pipeline/eval_loop.h) with a scripted completion source (standing in for the model-backed one):
// batching by prompt length, grading, summary arithmetic, resume after a torn predictions file
// (only the missing problems are asked again, and the result equals an uninterrupted run), and
// refusing to resume a different run.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/eval/dataset.h"
#include "lightreasoner/eval/grading.h"
#include "lightreasoner/pipeline/eval_loop.h"
#include "lightreasoner/io/jsonl.h"
#include "support.h"

namespace {

using namespace lightreasoner;

// Answers even ids correctly (boxed gold), odd ids wrongly; counts the prompts it was asked.
eval::CompletionSource scripted_source(int64_t* asked, size_t batch) {
  eval::CompletionSource source;
  source.name = "scripted";
  source.batch_size = batch;
  source.complete = [asked](const std::vector<const eval::EvalItem*>& items) {
    std::vector<eval::Completion> out;
    for (const auto* item : items) {
      ++*asked;
      eval::Completion c;
      c.text = item->example->id % 2 == 0 ? "So the result is \\boxed{" + item->example->gold + "}." : "I give up: 0.5";
      c.tokens = 7;
      c.finish_reason = item->example->id % 5 == 4 ? "length" : "stop";
      out.push_back(c);
    }
    return out;
  };
  return source;
}

std::map<int64_t, io::Json> predictions_by_id(const std::filesystem::path& path) {
  std::map<int64_t, io::Json> out;
  for (auto& record : io::read_jsonl(path)) {
    record.value.erase("seconds");
    out[record.value.at("id").get<int64_t>()] = record.value;
  }
  return out;
}

struct Fixture {
  eval::LoadedDataset dataset;
  std::vector<std::string> prompts;
};

Fixture gsm8k_slice(int64_t n) {
  Fixture f;
  f.dataset = eval::load_dataset(eval::resolve_dataset("gsm8k", lrtest::data_dir()), io::BadRecordPolicy::kStop, n);
  for (const auto& e : f.dataset.examples) f.prompts.push_back(e.question);
  return f;
}

TEST(EvalRunner, GradesAndSummarises) {
  Fixture f = gsm8k_slice(20);
  ASSERT_EQ(f.dataset.examples.size(), 20u);
  int64_t asked = 0;
  pipeline::EvalLoopOptions options;
  options.out_dir = lrtest::temp_dir("runner_summary");
  auto summary = pipeline::run_eval_loop({f.dataset}, {f.prompts}, scripted_source(&asked, 6), options, dist::Group());
  EXPECT_EQ(asked, 20);
  ASSERT_EQ(summary.datasets.size(), 1u);
  const auto& d = summary.datasets[0];
  EXPECT_EQ(d.n, 20);
  EXPECT_EQ(d.correct, 10);  // every even id
  EXPECT_DOUBLE_EQ(d.accuracy(), 50.0);
  EXPECT_EQ(d.unfinished, 4);  // ids 4, 9, 14, 19
  EXPECT_EQ(d.tokens, 140);
  EXPECT_DOUBLE_EQ(summary.average_accuracy, 50.0);
  auto json = io::Json::parse(read_file(options.out_dir / "summary.json"));
  EXPECT_EQ(json["datasets"]["gsm8k"]["n"], 20);
  EXPECT_DOUBLE_EQ(json["datasets"]["gsm8k"]["accuracy"].get<double>(), 50.0);
  auto predictions = predictions_by_id(options.out_dir / "predictions.jsonl");
  ASSERT_EQ(predictions.size(), 20u);
  EXPECT_EQ(predictions[0]["extracted"], predictions[0]["gold"]);
  EXPECT_EQ(predictions[1]["extracted"], "0.5");
  EXPECT_FALSE(predictions[1]["correct"].get<bool>());
}

TEST(EvalRunner, ResumesFromATornPredictionsFile) {
  Fixture f = gsm8k_slice(30);
  int64_t asked = 0;
  pipeline::EvalLoopOptions clean;
  clean.out_dir = lrtest::temp_dir("runner_clean");
  pipeline::run_eval_loop({f.dataset}, {f.prompts}, scripted_source(&asked, 4), clean, dist::Group());
  auto expected = predictions_by_id(clean.out_dir / "predictions.jsonl");

  // An interrupted run: 11 complete lines and half of the 12th.
  pipeline::EvalLoopOptions resumed = clean;
  resumed.out_dir = lrtest::temp_dir("runner_resumed");
  std::filesystem::create_directories(resumed.out_dir);
  std::filesystem::copy_file(clean.out_dir / "run.json", resumed.out_dir / "run.json");
  std::string text = read_file(clean.out_dir / "predictions.jsonl");
  size_t cut = 0;
  for (int i = 0; i < 11; ++i) cut = text.find('\n', cut) + 1;
  size_t next = text.find('\n', cut);
  write_file_atomic(resumed.out_dir / "predictions.jsonl", text.substr(0, cut + (next - cut) / 2));

  asked = 0;
  auto summary = pipeline::run_eval_loop({f.dataset}, {f.prompts}, scripted_source(&asked, 4), resumed, dist::Group());
  EXPECT_EQ(summary.resumed, 11);
  EXPECT_EQ(asked, 19);  // only the problems without a complete prediction
  EXPECT_EQ(predictions_by_id(resumed.out_dir / "predictions.jsonl"), expected);
  EXPECT_EQ(summary.datasets[0].n, 30);
  EXPECT_EQ(summary.datasets[0].correct, 15);
}

TEST(EvalRunner, RefusesToResumeADifferentRun) {
  Fixture f = gsm8k_slice(3);
  int64_t asked = 0;
  pipeline::EvalLoopOptions options;
  options.out_dir = lrtest::temp_dir("runner_mismatch");
  pipeline::run_eval_loop({f.dataset}, {f.prompts}, scripted_source(&asked, 2), options, dist::Group());
  options.prompt_type = "cot";
  EXPECT_LR_ERROR(pipeline::run_eval_loop({f.dataset}, {f.prompts}, scripted_source(&asked, 2), options, dist::Group()),
                  "prompt_type: the predictions there were made with \"qwen25-math-cot\", this run has \"cot\"");
  options.prompt_type = "qwen25-math-cot";
  options.run_settings = {{"expert", {{"path", "/models/other"}}}};
  EXPECT_LR_ERROR(pipeline::run_eval_loop({f.dataset}, {f.prompts}, scripted_source(&asked, 2), options, dist::Group()),
                  "settings.expert: the predictions there were made with nothing");
  options.prompt_type = "cot";
  options.resume = false;  // starting over is allowed
  auto summary = pipeline::run_eval_loop({f.dataset}, {f.prompts}, scripted_source(&asked, 2), options, dist::Group());
  EXPECT_EQ(summary.resumed, 0);
  EXPECT_EQ(summary.datasets[0].n, 3);
}

TEST(EvalRunner, RejectsASourceThatDropsCompletions) {
  Fixture f = gsm8k_slice(3);
  eval::CompletionSource broken;
  broken.name = "broken";
  broken.batch_size = 2;
  broken.complete = [](const std::vector<const eval::EvalItem*>&) { return std::vector<eval::Completion>{}; };
  pipeline::EvalLoopOptions options;
  options.out_dir = lrtest::temp_dir("runner_broken");
  EXPECT_LR_ERROR(pipeline::run_eval_loop({f.dataset}, {f.prompts}, broken, options, dist::Group()), "returned 0 completions for 2");
}

}  // namespace
