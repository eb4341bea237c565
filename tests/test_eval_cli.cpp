// `lightreasoner eval --grade` end to end through the built binary: several data set formats
// (string, float, integer-choice and boxed-solution golds), resume after a real kill -9, a Ctrl-C
// and kills at random points, bad records reported with file:line, and the model-backed flags
// refusing clearly.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/io/jsonl.h"
#include "support.h"

namespace {

using namespace lightreasoner;
using io::Json;

// The toolkit's final golds (gold_answers.jsonl) for one file, by 0-based line.
std::map<int64_t, std::string> toolkit_golds(const std::string& file) {
  std::map<int64_t, std::string> out;
  for (const auto& r : io::read_jsonl(lrtest::fixture_dir() / "grader_vectors/gold_answers.jsonl")) {
    if (r.value.at("file") == file) out[r.value.at("line").get<int64_t>()] = r.value.at("gt");
  }
  return out;
}

// Writes `n` records of `file` with a completion: right (boxed toolkit gold, or the letter for
// multiple choice) on even lines, wrong on odd ones. Returns the number made right.
int64_t write_grade_file(const std::string& file, int64_t n, bool choice,
                         const std::filesystem::path& out, const std::string& reasoning = "") {
  auto golds = toolkit_golds(file);
  auto records = io::read_jsonl(lrtest::data_dir() / file);
  std::ofstream stream(out);
  int64_t right = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t line = i;
    Json record = records.at(line).value;
    const std::string& gold = golds.at(line);
    if (choice) {
      std::string wrong = gold == "A" ? "B" : "A";
      record["completion"] = "Let me think. The answer is (" + (i % 2 == 0 ? gold : wrong) + ").";
    } else {
      record["completion"] =
          reasoning + (i % 2 == 0 ? "Thus the result is $\\boxed{" + gold + "}$." : "Thus $\\boxed{-987654321}$.");
    }
    right += i % 2 == 0;
    stream << record.dump() << "\n";
  }
  return right;
}

Json summary_of(const std::filesystem::path& dir) { return Json::parse(read_file(dir / "summary.json")); }

TEST(EvalCli, GradesSeveralDatasetFormats) {
  struct Case {
    const char* dataset;
    const char* file;
    bool choice;
  };
  for (const Case& c : {Case{"gsm8k", "gsm8k/test.jsonl", false}, Case{"svamp", "svamp/test.jsonl", false},
                        Case{"math_prm800k", "math_prm800k/test.jsonl", false},
                        Case{"mmlu_stem", "mmlu_stem/test.jsonl", true}, Case{"asdiv", "asdiv/test.jsonl", false},
                        Case{"aqua", "aqua/test.jsonl", true}, Case{"amc23", "amc23/test.jsonl", false}}) {
    auto dir = lrtest::temp_dir(std::string("grade_") + c.dataset);
    int64_t right = write_grade_file(c.file, 24, c.choice, dir / "in.jsonl");
    // GSM8K is named as the model-backed form names data sets (--data); the others with --dataset.
    const std::string names = std::string(c.dataset) == "gsm8k" ? " --data " : " --dataset ";
    auto result = lrtest::run_binary("eval --grade '" + (dir / "in.jsonl").string() + "'" + names + c.dataset +
                                     " --out '" + (dir / "out").string() + "'");
    ASSERT_EQ(result.exit_code, 0) << c.dataset << ": " << result.output;
    Json summary = summary_of(dir / "out");
    const Json& d = summary["datasets"][c.dataset];
    EXPECT_EQ(d["n"], 24) << c.dataset;
    EXPECT_EQ(d["correct"], right) << c.dataset << "\n" << result.output;
    EXPECT_DOUBLE_EQ(d["accuracy"].get<double>(), 50.0) << c.dataset;
    EXPECT_EQ(io::read_jsonl(dir / "out/predictions.jsonl").size(), 24u) << c.dataset;
  }
}

TEST(EvalCli, ResumesAfterARealKillAndAfterACtrlC) {
  auto dir = lrtest::temp_dir("grade_kill");
  // Long reasoning before each answer makes the run last long enough to kill it mid-way.
  std::string reasoning;
  for (int i = 0; i < 400; ++i) reasoning += "We have 3x + 2 = 11, so x = 3; check: 9 + 2 = 11. ";
  write_grade_file("gsm8k/test.jsonl", 1319, false, dir / "in.jsonl", reasoning);
  std::string common = "eval --grade '" + (dir / "in.jsonl").string() + "' --dataset gsm8k";
  auto clean = lrtest::run_binary(common + " --out '" + (dir / "clean").string() + "'");
  ASSERT_EQ(clean.exit_code, 0) << clean.output;

  // kill -9 as soon as the first batch of predictions is on disk.
  std::string killed_out = (dir / "killed").string();
  lrtest::run_binary(common + " --out '" + killed_out + "' >/dev/null 2>&1 & pid=$!; for i in $(seq 1 6000); do " +
                     "[ -s '" + killed_out + "/predictions.jsonl' ] && break; sleep 0.01; done; kill -9 $pid; wait $pid");
  size_t lines_at_kill = 0;
  if (std::filesystem::exists(dir / "killed/predictions.jsonl")) {
    std::string text = read_file(dir / "killed/predictions.jsonl");
    lines_at_kill = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  std::cout << "complete prediction lines when killed: " << lines_at_kill << " of 1319\n";
  EXPECT_GT(lines_at_kill, 0u);
  EXPECT_LT(lines_at_kill, 1319u) << "the run finished before the kill; the resume below was not exercised";
  auto resumed = lrtest::run_binary(common + " --out '" + killed_out + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  Json a = summary_of(dir / "clean")["datasets"]["gsm8k"], b = summary_of(dir / "killed")["datasets"]["gsm8k"];
  EXPECT_EQ(a["n"], b["n"]);
  EXPECT_EQ(a["correct"], b["correct"]);
  EXPECT_EQ(b["n"], 1319);
  EXPECT_EQ(io::read_jsonl(dir / "killed/predictions.jsonl").size(), 1319u);
  EXPECT_EQ(summary_of(dir / "killed")["resumed_predictions"].get<int64_t>(), static_cast<int64_t>(lines_at_kill));

  // Ctrl-C: the run ends itself after the batch it is grading (exit 130), and the rerun completes it.
  const std::filesystem::path stopped = dir / "stopped";
  auto run = lrtest::run_binary_and_signal_when(
      {"eval", "--grade", (dir / "in.jsonl").string(), "--dataset", "gsm8k", "--out", stopped.string()},
      [&] { return std::filesystem::exists(stopped / "predictions.jsonl") && std::filesystem::file_size(stopped / "predictions.jsonl") > 0; },
      SIGINT);
  ASSERT_TRUE(run.signalled) << "the run finished before the signal";
  EXPECT_EQ(run.exit_code, 128 + SIGINT) << run.output;
  EXPECT_NE(run.output.find("rerun the command to continue"), std::string::npos) << run.output;
  const std::string kept = read_file(stopped / "predictions.jsonl");
  const auto lines_at_stop = static_cast<int64_t>(std::count(kept.begin(), kept.end(), '\n'));
  EXPECT_GT(lines_at_stop, 0);
  EXPECT_LT(lines_at_stop, 1319);
  EXPECT_EQ(kept.back(), '\n');  // whole lines only: it stopped between batches
  auto rerun = lrtest::run_binary(common + " --out '" + stopped.string() + "'");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_EQ(summary_of(stopped)["resumed_predictions"].get<int64_t>(), lines_at_stop);
  EXPECT_EQ(summary_of(stopped)["datasets"]["gsm8k"]["correct"], a["correct"]);

  // Kill anywhere: SIGKILL at seeded random moments, rerun each time; the predictions end as the
  // uninterrupted run's (timings aside).
  const std::filesystem::path anywhere = dir / "anywhere";
  const std::vector<std::string> args = {"eval", "--grade", (dir / "in.jsonl").string(), "--dataset", "gsm8k",
                                         "--out", anywhere.string()};
  std::filesystem::remove_all(dir / "clean2");
  const auto duration = lrtest::timed([&] {
    ASSERT_EQ(lrtest::run_binary(common + " --out '" + (dir / "clean2").string() + "'").exit_code, 0);
  });
  const auto result = lrtest::kill_anywhere_then_finish(args, args, duration, 4, /*seed=*/13);
  EXPECT_GE(result.killed, 2) << "most kill points fell after the run ended";
  ASSERT_EQ(result.final_run.exit_code, 0) << result.final_run.output;
  EXPECT_EQ(lrtest::jsonl_without(anywhere / "predictions.jsonl", "seconds"),
            lrtest::jsonl_without(dir / "clean/predictions.jsonl", "seconds"));
}

TEST(EvalCli, BadRecordsNameFileAndLine) {
  auto dir = lrtest::temp_dir("grade_bad");
  auto records = io::read_jsonl(lrtest::data_dir() / "gsm8k/test.jsonl");
  {
    std::ofstream out(dir / "in.jsonl");
    Json good = records[0].value;
    good["completion"] = "The answer is 18.";
    Json no_completion = records[1].value;
    Json number_completion = records[2].value;
    number_completion["completion"] = 42;
    Json no_gold = records[3].value;
    no_gold.erase("answer");
    no_gold["completion"] = "x";
    out << good.dump() << "\n" << no_completion.dump() << "\n" << number_completion.dump() << "\n"
        << no_gold.dump() << "\n{not json\n";
  }
  std::string base = "eval --grade '" + (dir / "in.jsonl").string() + "' --dataset gsm8k --out '" +
                      (dir / "out").string() + "'";
  auto stop = lrtest::run_binary(base);
  EXPECT_NE(stop.exit_code, 0);
  EXPECT_NE(stop.output.find("in.jsonl:2"), std::string::npos) << stop.output;
  EXPECT_NE(stop.output.find("completion"), std::string::npos) << stop.output;

  auto skip = lrtest::run_binary(base + " --bad-records skip");
  ASSERT_EQ(skip.exit_code, 0) << skip.output;
  EXPECT_NE(skip.output.find("skipped bad records: 4"), std::string::npos) << skip.output;
  EXPECT_EQ(summary_of(dir / "out")["datasets"]["gsm8k"]["correct"], 1);
}

TEST(EvalCli, ModelFlagsAndUsageErrorsAreClear) {
  auto model = lrtest::run_binary("eval --model /nonexistent --data gsm8k");
  EXPECT_NE(model.exit_code, 0);
  EXPECT_NE(model.output.find("/nonexistent"), std::string::npos) << model.output;
  auto both = lrtest::run_binary("eval --grade /dev/null --dataset gsm8k --model /tmp");
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.output.find("do not combine"), std::string::npos) << both.output;
  auto nothing = lrtest::run_binary("eval");
  EXPECT_NE(nothing.exit_code, 0);
  EXPECT_NE(nothing.output.find("--grade"), std::string::npos) << nothing.output;
  auto no_dataset = lrtest::run_binary("eval --grade /dev/null");
  EXPECT_NE(no_dataset.exit_code, 0);
  EXPECT_NE(no_dataset.output.find("--dataset"), std::string::npos) << no_dataset.output;
  auto two = lrtest::run_binary("eval --grade /dev/null --data gsm8k --data svamp");
  EXPECT_NE(two.exit_code, 0);
  EXPECT_NE(two.output.find("--grade grades one data set"), std::string::npos) << two.output;
  auto unknown = lrtest::run_binary("eval --grade /dev/null --dataset math500x");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("unknown data_name 'math500x'"), std::string::npos) << unknown.output;
}

}  // namespace
