// The toy worlds: the problem generator (determinism, disjoint splits, 2–4 steps, every story,
// solutions that check), the lineage corpora (worked solutions after "Answer:" only in the instruct
// corpus and the general corpus's chosen share), `init`'s shape options, and the CI-sized worlds run end to end by
// scripts/toy_world.sh --ci and scripts/lineage_world.sh --ci (every stage ran and wrote valid
// outputs; a rerun is all cached). Whether LightReasoner helps is not tested here: that is the
// full-size runs' measurement.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/hash.h"
#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/world/corpora.h"
#include "lightreasoner/world/problems.h"
#include "support.h"

namespace {

using namespace lightreasoner;
namespace fs = std::filesystem;

world::WorldOptions small_world(uint64_t seed) {
  world::WorldOptions o;
  o.seed = seed;
  o.train_count = 700;
  o.valid_count = 50;
  o.test_count = 80;
  return o;
}

TEST(WorldGenerator, SameSeedSameProblemsOtherSeedOthers) {
  const auto a = world::generate_world(small_world(3)), b = world::generate_world(small_world(3));
  const auto c = world::generate_world(small_world(4));
  ASSERT_EQ(a.train.size(), 700u);
  ASSERT_EQ(a.valid.size(), 50u);
  ASSERT_EQ(a.test.size(), 80u);
  for (size_t i = 0; i < a.train.size(); ++i) ASSERT_EQ(a.train[i].question, b.train[i].question);
  for (size_t i = 0; i < a.test.size(); ++i) ASSERT_EQ(a.test[i].answer, b.test[i].answer);
  int same = 0;
  for (size_t i = 0; i < a.train.size(); ++i) same += a.train[i].question == c.train[i].question;
  EXPECT_LT(same, 5);
}

TEST(WorldGenerator, SplitsAreDisjointAndDecidedByTheQuestionHash) {
  world::WorldOptions o = small_world(7);
  o.test_percent = 20;
  const auto s = world::generate_world(o);
  std::set<std::string> train_side;
  for (const auto* split : {&s.train, &s.valid}) {
    for (const auto& p : *split) {
      EXPECT_TRUE(train_side.insert(p.question).second) << "duplicate: " << p.question;
      Fnv64 h;
      h.add(p.question);
      EXPECT_GE(static_cast<int>(h.value() % 100), 20) << p.question;
    }
  }
  // A test question never appears on the train side, for this seed or another one.
  const auto other = world::generate_world(small_world(8));
  std::set<std::string> other_train;
  for (const auto& p : other.train) other_train.insert(p.question);
  for (const auto& p : s.test) {
    EXPECT_EQ(train_side.count(p.question), 0u) << p.question;
    EXPECT_EQ(other_train.count(p.question), 0u) << p.question;
    Fnv64 h;
    h.add(p.question);
    EXPECT_LT(static_cast<int>(h.value() % 100), 20);
  }
}

TEST(WorldGenerator, EveryStoryWithTwoToFourCheckedStepsAndMultiDigitNumbers) {
  const auto s = world::generate_world(small_world(11));
  std::map<std::string, int> per_story;
  std::map<int, int> per_steps;
  const std::regex final_line(R"(\n#### (\d+)$)");
  int multi_digit_results = 0;
  for (const auto& p : s.train) {
    ++per_story[p.story];
    ++per_steps[p.steps];
    EXPECT_EQ(world::check_solution(p), "") << p.answer;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(p.answer, m, final_line)) << p.answer;
    EXPECT_EQ(std::stoll(m[1]), p.result);
    EXPECT_GT(p.result, 0);
    multi_digit_results += p.result >= 10;
  }
  EXPECT_EQ(per_story.size(), world::story_names().size());
  for (const auto& [story, n] : per_story) EXPECT_GT(n, 40) << story;  // 7 stories, 700 problems
  EXPECT_EQ(per_steps.begin()->first, 2);
  EXPECT_EQ(per_steps.rbegin()->first, 4);
  EXPECT_EQ(per_steps.size(), 3u);
  EXPECT_GT(multi_digit_results, 650);
}

TEST(WorldGenerator, CheckerCatchesWrongArithmeticAndWrongFinalAnswer) {
  auto p = world::generate_world(small_world(5)).train.front();
  ASSERT_EQ(world::check_solution(p), "");
  auto wrong_final = p;
  wrong_final.result += 1;
  EXPECT_NE(world::check_solution(wrong_final).find("does not end in"), std::string::npos);
  auto wrong_step = p;
  wrong_step.answer = std::regex_replace(p.answer, std::regex(R"(= (\d+))"), "= 1$1", std::regex_constants::format_first_only);
  EXPECT_NE(world::check_solution(wrong_step).find("expected"), std::string::npos) << wrong_step.answer;
  auto missing_step = p;
  missing_step.steps += 1;
  EXPECT_NE(world::check_solution(missing_step).find("equations for"), std::string::npos);
  world::WorldOptions bad;
  bad.test_percent = 0;
  EXPECT_LR_ERROR(world::generate_world(bad), "test_percent");
}

// The corpora tests' options: 700 train problems (small_world(12)), 30 fact documents, a fifth of the
// 350 question/answer documents worked.
world::LineageOptions small_corpora_options() {
  world::LineageOptions o;
  o.seed = 12;
  o.fact_documents = 30;
  o.math_general_share = 0.25;
  o.reasoned_answer_share = 0.2;
  return o;
}

TEST(WorldCorpora, GeneralWorksTheChosenShareOfAnswersMathWorksSolutionsAndInstructPutsThemAfterAnswer) {
  const auto splits = world::generate_world(small_world(12));
  auto o = small_corpora_options();
  const auto c = world::lineage_corpora(splits.train, o);
  const auto again = world::lineage_corpora(splits.train, o);
  ASSERT_EQ(c.math.size(), again.math.size());
  for (size_t i = 0; i < c.math.size(); ++i) EXPECT_EQ(c.math[i].text, again.math[i].text);
  // 700 train problems: 700 stories + 350 Q/A (70 of them worked) + 30 fact documents; 350 solutions.
  EXPECT_EQ(c.general.size(), 700u + 350u + 30u);
  EXPECT_EQ(c.instruct.size(), 350u);
  int qa = 0, worked_qa = 0, facts = 0, solutions = 0, general_in_math = 0;
  const std::regex answer_only(R"(\nAnswer: \d+$)"), fact(R"(^(\d+ [-+*/] \d+ = \d+\. ?){5}$)");
  const std::regex worked_answer(R"(\nAnswer: [A-Z][^\n]* = \d+[\s\S]*\nThe answer is \d+\.$)");
  std::set<std::string> qa_questions, solved_questions;
  for (const auto& r : c.general) {
    EXPECT_TRUE(r.prompt.empty()) << r.id;
    EXPECT_EQ(r.text.find("Solution:"), std::string::npos) << r.text;
    if (r.text.rfind("Question: ", 0) == 0) {
      ++qa;
      const bool worked = std::regex_search(r.text, worked_answer);
      worked_qa += worked;
      if (!worked) {
        EXPECT_EQ(r.text.find(" = "), std::string::npos) << "an equation in an answer-only document: " << r.text;
        EXPECT_TRUE(std::regex_search(r.text, answer_only)) << r.text;
      }
      qa_questions.insert(r.text.substr(10, r.text.find("\nAnswer:") - 10));
    }
    facts += std::regex_match(r.text, fact);
  }
  EXPECT_EQ(qa, 350);
  EXPECT_EQ(worked_qa, 70);  // 350 * 0.2
  EXPECT_EQ(facts, 30);
  for (const auto& r : c.math) {
    if (r.prompt.empty()) {
      ++general_in_math;
      continue;
    }
    ++solutions;
    EXPECT_EQ(r.prompt.rfind("Question: ", 0), 0u) << r.prompt;
    EXPECT_EQ(r.prompt.substr(r.prompt.size() - 10), "\nSolution:") << r.prompt;
    EXPECT_EQ(r.text.find("Answer:"), std::string::npos) << r.text;
    EXPECT_TRUE(std::regex_search(r.text, std::regex(R"(^ [A-Z][^\n]* = \d+[\s\S]*\nThe answer is \d+\.$)"))) << r.text;
    solved_questions.insert(r.prompt.substr(10, r.prompt.size() - 20));
  }
  EXPECT_EQ(solutions, 350);
  EXPECT_EQ(general_in_math, 116);  // 350 * 0.25 / 0.75
  for (const auto& q : solved_questions) EXPECT_EQ(qa_questions.count(q), 0u) << "answered and worked: " << q;
  for (const auto& r : c.instruct) {
    EXPECT_EQ(r.prompt.rfind("Question: ", 0), 0u);
    EXPECT_EQ(r.prompt.substr(r.prompt.size() - 8), "\nAnswer:");
    EXPECT_TRUE(std::regex_search(r.text, std::regex(R"(^ [A-Z][^\n]* = \d+[\s\S]*\nThe answer is \d+\.$)"))) << r.text;
  }
  EXPECT_EQ(world::worked_solution(splits.train[0]).find("####"), std::string::npos);
  // The share picks its documents from its own stream: with none worked, everything else is unchanged.
  auto none = o;
  none.reasoned_answer_share = 0;
  const auto plain = world::lineage_corpora(splits.train, none);
  ASSERT_EQ(plain.general.size(), c.general.size());
  int differing = 0;
  for (size_t i = 0; i < c.general.size(); ++i) {
    EXPECT_EQ(plain.general[i].id, c.general[i].id);
    differing += plain.general[i].text != c.general[i].text;
  }
  EXPECT_EQ(differing, 70);
  o.reasoned_answer_share = 1.5;
  EXPECT_LR_ERROR(world::lineage_corpora(splits.train, o), "reasoned share");
  o.reasoned_answer_share = 0;
  o.math_general_share = 1.0;
  EXPECT_LR_ERROR(world::lineage_corpora(splits.train, o), "general share of the math corpus");
}

TEST(WorldCorpora, WorkedAnswersPlacedInMathLeaveTheGeneralCorpusWithBareAnswersOnlyAndMoveTheSameDocuments) {
  const auto splits = world::generate_world(small_world(12));
  auto o = small_corpora_options();
  const auto in_general = world::lineage_corpora(splits.train, o);
  o.reasoned_answers_in = world::ReasonedAnswersIn::math;
  const auto in_math = world::lineage_corpora(splits.train, o);
  const std::regex worked_answer(R"(^Question: [^\n]*\nAnswer: [A-Z][^\n]* = \d+[\s\S]*\nThe answer is \d+\.$)");
  const std::regex bare_answer(R"(^Question: [^\n]*\nAnswer: \d+$)");
  std::multiset<std::string> worked_moved, worked_expected;
  int bare_in_general = 0;
  for (const auto& r : in_math.general) {
    EXPECT_FALSE(std::regex_search(r.text, worked_answer)) << "a worked answer left in the general corpus: " << r.text;
    bare_in_general += std::regex_search(r.text, bare_answer);
  }
  EXPECT_EQ(bare_in_general, 280);  // 350 question/answer documents, 70 of them moved
  EXPECT_EQ(in_math.general.size(), 700u + 280u + 30u);
  int solutions = 0, general_in_math = 0;
  for (const auto& r : in_math.math) {
    if (!r.prompt.empty()) {
      ++solutions;
    } else if (std::regex_search(r.text, worked_answer)) {
      worked_moved.insert(r.text);
    } else {
      ++general_in_math;
    }
  }
  for (const auto& r : in_general.general)
    if (std::regex_search(r.text, worked_answer)) worked_expected.insert(r.text);
  EXPECT_EQ(solutions, 350);
  EXPECT_EQ(worked_moved.size(), 70u);
  EXPECT_EQ(worked_moved, worked_expected) << "the same worked documents, in the other corpus";
  EXPECT_EQ(general_in_math, 140);  // (350 solutions + 70 worked answers) * 0.25 / 0.75
  EXPECT_EQ(in_math.instruct.size(), in_general.instruct.size());
}

TEST(WorldCorpora, ACorporaSettingWithoutCorporaIsRefusedNotIgnored) {
  const fs::path out = lrtest::temp_dir() / "data";
  for (const std::string setting : {"--reasoned-answers-in math", "--reasoned-answer-share 0.3", "--fact-documents 5",
                                    "--math-general-share 0.1"}) {
    const auto r = lrtest::run_binary("world generate --out '" + out.string() + "' --train 40 --valid 4 --test 4 " + setting);
    EXPECT_NE(r.exit_code, 0) << setting;
    EXPECT_NE(r.output.find("requires --corpora"), std::string::npos) << setting << ": " << r.output;
    EXPECT_FALSE(fs::exists(out)) << setting;
  }
  EXPECT_EQ(lrtest::run_binary("world generate --out '" + out.string() +
                               "' --train 40 --valid 4 --test 4 --fact-documents 5 --corpora --reasoned-answers-in math")
                .exit_code,
            0);
  EXPECT_TRUE(fs::exists(out / "math.jsonl"));
}

TEST(WorldInit, ShapeOverridesBuildTheAskedModelAndRejectBadShapes) {
  model::ShapeOverrides o;
  o.vocab_size = 160;
  o.hidden_size = 48;
  o.num_hidden_layers = 3;
  o.num_attention_heads = 6;
  o.num_key_value_heads = 2;
  const auto dir = lrtest::temp_dir();
  model::init_model_dir("qwen2", "tiny", {}, {}, dir, o);
  const auto config = model::load_model_config(dir);
  EXPECT_EQ(config.vocab_size, 160);
  EXPECT_EQ(config.hidden_size, 48);
  EXPECT_EQ(config.num_hidden_layers, 3);
  EXPECT_EQ(config.head_dim(), 8);
  auto cfg = model::preset_config("qwen2", "tiny");
  model::ShapeOverrides bad_heads;
  bad_heads.num_attention_heads = 5;
  EXPECT_LR_ERROR(model::apply_shape_overrides(cfg, bad_heads), "--heads");
  model::ShapeOverrides zero;
  zero.num_hidden_layers = 0;
  EXPECT_LR_ERROR(model::apply_shape_overrides(cfg, zero), "--layers must be > 0");
}

int count_lines(const fs::path& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

nlohmann::json read_json_file(const fs::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

// Runs a shell command line, expects exit status 0, returns its output (stdout and stderr).
std::string run_script(const std::string& command) {
  std::string output;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  EXPECT_EQ(::pclose(pipe), 0) << output;
  return output;
}

TEST(WorldPipeline, CiWorldRunsEveryStageAndARerunIsCached) {
  LR_SKIP_WITHOUT_SENTENCEPIECE();  // the world trains and uses a sentencepiece tokenizer
  if (std::system("command -v spm_train > /dev/null 2>&1") != 0) GTEST_SKIP() << "spm_train not on PATH";
  if (std::system("/usr/bin/python3 -c 'import matplotlib' > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3-matplotlib missing (the report's plots)";
  const fs::path out = lrtest::temp_dir();
  const std::string command = std::string("bash '") + LR_SOURCE_DIR + "/scripts/toy_world.sh' --ci --seed 3 --out '" +
                              out.string() + "' --bin '" + LR_BINARY + "' 2>&1";
  const std::string first = run_script(command);

  // Data and tokenizer.
  EXPECT_EQ(count_lines(out / "world/data/train.jsonl"), 400);
  EXPECT_EQ(count_lines(out / "world/data/test.jsonl"), 24);
  EXPECT_TRUE(fs::exists(out / "world/tokenizer/tokenizer.model"));
  // Expert and amateur: trained model directories (SFT loss went down) of different sizes.
  const fs::path run_dir = out / "seed-3";
  for (const auto& [m, steps] : std::vector<std::pair<std::string, int>>{{"expert", 80}, {"amateur", 10}}) {
    EXPECT_TRUE(fs::exists(run_dir / m / "model/model.safetensors")) << m;
    const auto metrics = io::read_jsonl(run_dir / m / "metrics.jsonl");
    ASSERT_FALSE(metrics.empty()) << m;
    EXPECT_EQ(metrics.back().field("step").get<int>(), steps) << m;
    if (m == "expert") {
      EXPECT_LT(metrics.back().field("loss").get<double>(), metrics.front().field("loss").get<double>());
    }
  }
  EXPECT_GT(model::load_model_config(run_dir / "expert/model").hidden_size,
            model::load_model_config(run_dir / "amateur/model").hidden_size);
  // LightReasoner, ablations, rejection SFT: contrast data and PEFT adapters.
  for (const char* v : {"lightreasoner", "no-selection", "no-contrast"}) {
    EXPECT_GT(count_lines(run_dir / v / "contrast.jsonl"), 0) << v;
    const auto meta = read_json_file(run_dir / v / "contrast.meta.json");
    EXPECT_EQ(meta["counts"]["problems"].get<int>(), 16) << v;
    EXPECT_TRUE(fs::exists(run_dir / v / "adapter/adapter_model.safetensors")) << v;
    EXPECT_TRUE(read_json_file(run_dir / v / "inspect.json").contains("selected_rate")) << v;
  }
  // Format 2 meta: the settings that shaped the lines (docs/formats.md).
  EXPECT_FALSE(read_json_file(run_dir / "no-selection/contrast.meta.json")["settings"]["selection"]["enabled"].get<bool>());
  EXPECT_EQ(read_json_file(run_dir / "no-contrast/contrast.meta.json")["settings"]["target"]["kind"], "expert");
  // Rejection sampling graded every sampled problem; the CI expert may get none right, and then the
  // variant has nothing to train on (marked, and reported as such) instead of an adapter.
  const auto rejection = read_json_file(run_dir / "rejection-sft/rejection/summary.json");
  int rejection_n = 0;
  for (const auto& [name, d] : rejection["datasets"].items()) rejection_n += d["n"].get<int>();
  EXPECT_EQ(rejection_n, 16);
  const bool rejection_trained = fs::exists(run_dir / "rejection-sft/adapter/adapter_model.safetensors");
  EXPECT_NE(rejection_trained, fs::exists(run_dir / "rejection-sft/no-examples"));
  // train.batch_size counts selected steps in the contrast runs (300, about 16 rollouts) but whole
  // sequences in SFT: the baseline's stage overrides it to 16 sequences, the paper's SFT batch (the
  // shared value once gave it ~19x the tokens). The stage's .done holds its command, run or not.
  EXPECT_EQ(read_json_file(run_dir / "lightreasoner/config.resolved.json")["train"]["batch_size"].get<int>(), 300);
  const std::string rejection_command = read_file(run_dir / "rejection-sft/.done");
  EXPECT_NE(rejection_command.find("--set train.batch_size=16"), std::string::npos) << rejection_command;
  // Every variant evaluated on the whole test split, and the report has them all.
  const auto results = read_json_file(out / "results.json");
  std::vector<std::string> evaluated = {"amateur", "expert", "lightreasoner", "no-selection", "no-contrast"};
  if (rejection_trained) evaluated.push_back("rejection-sft");
  for (const auto& v : evaluated) {
    const auto summary = read_json_file(run_dir / "eval" / v / "summary.json");
    int n = 0, correct = 0;
    for (const auto& [name, d] : summary["datasets"].items()) n += d["n"].get<int>(), correct += d["correct"].get<int>();
    EXPECT_EQ(n, 24) << v;
    const auto& row = results["per_seed"]["seed-3"][v];
    ASSERT_TRUE(row["accuracy"].is_number()) << v;
    EXPECT_DOUBLE_EQ(row["accuracy"].get<double>(), 100.0 * correct / n) << v;
  }
  EXPECT_GT(results["per_seed"]["seed-3"]["lightreasoner"]["tuned_tokens"].get<int>(), 0);
  // The gold-path diagnostic: the reference solutions tokenized (one line per train problem) and
  // scored against the no-selection run's targets (16 rollouts: at most 16 first wrong tokens).
  EXPECT_EQ(count_lines(out / "world/reference/ids.jsonl"), count_lines(out / "world/data/train.jsonl"));
  const auto& gold = results["per_seed"]["seed-3"]["gold_path"];
  ASSERT_TRUE(gold.is_object()) << gold;
  {  // Recounted here from the files: rollouts that leave the reference path (errors), and the steps
     // up to there whose α-mask holds more than one token (uncertain), of which KL ≥ β (selected).
    std::vector<std::string> problem_ids;
    for (const auto& r : io::read_jsonl(out / "world/data/train.jsonl")) problem_ids.push_back(r.string_field("id"));
    std::map<std::string, std::vector<int64_t>> reference;
    size_t line = 0;
    std::ifstream ids_file(out / "world/reference/ids.jsonl");  // one JSON array per line (not records)
    for (std::string text; std::getline(ids_file, text);)
      if (!text.empty()) reference[problem_ids.at(line++)] = nlohmann::json::parse(text).get<std::vector<int64_t>>();
    const double beta = read_json_file(run_dir / "lightreasoner/config.resolved.json")["selection"]["beta"];
    int errors = 0, uncertain = 0, selected = 0;
    for (const auto& r : io::read_jsonl(run_dir / "no-selection/contrast.jsonl")) {
      const auto& want = reference.at(r.string_field("id"));
      const auto ids = r.field("completion_ids").get<std::vector<int64_t>>();
      const size_t n = std::min(want.size(), ids.size());
      if (n == 0) continue;
      size_t last = n - 1;
      for (size_t t = 0; t < n; ++t)
        if (want[t] != ids[t]) {
          last = t;
          ++errors;
          break;
        }
      for (const auto& step : r.field("steps")) {
        if (step["t"].get<size_t>() > last || step["ids"].size() < 2) continue;
        ++uncertain;
        selected += step["kl"].get<double>() >= beta;
      }
    }
    EXPECT_EQ(gold["errors"].get<int>(), errors);
    EXPECT_EQ(gold["uncertain"].get<int>(), uncertain);
    EXPECT_EQ(gold["selected"].get<int>(), selected);
    EXPECT_GT(uncertain, 0);  // a CI expert of 80 SFT steps is unsure somewhere on the gold path
  }
  EXPECT_LE(gold["error_in_mask"].get<int>(), gold["errors"].get<int>());
  EXPECT_LE(gold["uncertain_contrast"].get<int>(), gold["uncertain"].get<int>());
  for (const char* f : {"results.md", "training_curves.png", "kl_histogram.png"})
    EXPECT_GT(fs::file_size(out / f), 100u) << f;
  EXPECT_NE(first.find("+ LightReasoner (LoRA)"), std::string::npos) << first;

  // A rerun does no work: every stage reports "cached".
  const std::string second = run_script(command);
  EXPECT_EQ(second.find(" ...\n"), std::string::npos) << second;
  EXPECT_NE(second.find("expert: full-parameter SFT: cached"), std::string::npos) << second;
}

TEST(WorldPipeline, CiLineageWorldRunsEveryModelVariantAndReport) {
  LR_SKIP_WITHOUT_SENTENCEPIECE();  // the world trains and uses a sentencepiece tokenizer
  if (std::system("command -v spm_train > /dev/null 2>&1") != 0) GTEST_SKIP() << "spm_train not on PATH";
  const fs::path out = lrtest::temp_dir();
  const std::string command = std::string("bash '") + LR_SOURCE_DIR + "/scripts/lineage_world.sh' --ci --seed 2 --out '" +
                              out.string() + "' --bin '" + LR_BINARY + "' 2>&1";
  const std::string first = run_script(command);
  for (const char* f : {"general.jsonl", "math.jsonl", "instruct.jsonl", "lineage-corpus.txt"})
    EXPECT_GT(count_lines(out / "world/data" / f), 0) << f;
  const fs::path run_dir = out / "seed-2";
  // The lineage: E continues G (same shape), W continues A (smaller), S continues E.
  for (const auto& [m, steps] : std::vector<std::pair<std::string, int>>{{"G", 30}, {"E", 30}, {"A", 10}, {"W", 10}, {"S", 10}}) {
    const auto metrics = io::read_jsonl(run_dir / m / "metrics.jsonl");
    ASSERT_FALSE(metrics.empty()) << m;
    EXPECT_EQ(metrics.back().field("step").get<int>(), steps) << m;
  }
  EXPECT_EQ(read_json_file(run_dir / "E/config.resolved.json")["expert"]["path"], (run_dir / "G/model").string());
  EXPECT_EQ(read_json_file(run_dir / "W/config.resolved.json")["expert"]["path"], (run_dir / "A/model").string());
  EXPECT_EQ(read_json_file(run_dir / "S/config.resolved.json")["expert"]["path"], (run_dir / "E/model").string());
  EXPECT_GT(model::load_model_config(run_dir / "E/model").hidden_size, model::load_model_config(run_dir / "W/model").hidden_size);
  // Every LightReasoner variant sampled 16 problems with t = 0 eligible, and trained an adapter.
  for (const char* v : {"lr-G", "no-contrast", "no-selection", "neither", "lr-A", "lr-W", "lr-S", "lr-G-t1"}) {
    const auto meta = read_json_file(run_dir / v / "contrast.meta.json");
    EXPECT_EQ(meta["counts"]["problems"].get<int>(), 16) << v;
    EXPECT_TRUE(fs::exists(run_dir / v / "adapter/adapter_model.safetensors")) << v;
  }
  // The official default's variant keeps no t = 0 step; the main run, with the same amateur, does.
  const auto kept_at_t0 = [&](const char* v) {
    int kept = 0;
    for (const auto& r : io::read_jsonl(run_dir / v / "contrast.jsonl"))
      for (const auto& step : r.field("steps")) kept += step["t"].get<int>() == 0;
    return kept;
  };
  EXPECT_EQ(kept_at_t0("lr-G-t1"), 0);
  EXPECT_GT(kept_at_t0("lr-G"), 0);
  const auto results = read_json_file(out / "results-test.json");
  for (const char* v : {"G", "E", "A", "W", "S", "lr-G", "no-contrast", "no-selection", "neither", "lr-A", "lr-W", "lr-S",
                        "lr-G-t1"}) {
    const auto& row = results["per_seed"]["seed-2"][v];
    EXPECT_EQ(row["n"].get<int>(), 24) << v;
    EXPECT_TRUE(row["reasoning_first"].is_number()) << v;
  }
  EXPECT_NE(first.find("The predictions (docs/worlds.md), checked"), std::string::npos) << first;
  const std::string second = run_script(command);
  EXPECT_EQ(second.find(" ...\n"), std::string::npos) << second;
}

TEST(WorldPipeline, AncestorLineageWorldPutsTheWorkedAnswersInTheMathCorpusOnly) {
  LR_SKIP_WITHOUT_SENTENCEPIECE();  // the world trains and uses a sentencepiece tokenizer
  if (std::system("command -v spm_train > /dev/null 2>&1") != 0) GTEST_SKIP() << "spm_train not on PATH";
  const fs::path out = lrtest::temp_dir();
  const std::string command = std::string("bash '") + LR_SOURCE_DIR +
                              "/scripts/lineage_world.sh' --ci --ancestor --models-only --split valid --out '" +
                              out.string() + "' --bin '" + LR_BINARY + "' 2>&1";
  const std::string log = run_script(command);
  // A worked answer after "Answer:" as the corpora write it (a document is its "answer" field, sft's
  // plain template); the general base must never see one.
  const std::regex worked(R"(\nAnswer: [A-Z][^\n]* = )");
  int worked_in_general = 0, worked_in_math = 0;
  for (const auto& r : io::read_jsonl(out / "world/data/general.jsonl"))
    worked_in_general += std::regex_search(r.string_field("answer"), worked);
  for (const auto& r : io::read_jsonl(out / "world/data/math.jsonl"))
    worked_in_math += std::regex_search(r.string_field("answer"), worked);
  EXPECT_EQ(worked_in_general, 0);
  EXPECT_EQ(worked_in_math, 40);  // the CI world's 200 question/answer problems at share 0.2
  EXPECT_TRUE(fs::exists(out / "seed-1/eval-valid/E/summary.json")) << log;
  EXPECT_FALSE(fs::exists(out / "seed-1/lr-G")) << "--models-only ran a LightReasoner variant";
}

}  // namespace
