// Prompt construction against the toolkit's own prompts (prompts_sample.jsonl): zero- and
// few-shot, every template there, the MMLU-STEM form-feed bug; plus stop strings and the
// clear refusals (unknown template, more shots than embedded demos, no demos for a set); the one
// prompt registry seen from both sides (training renders, eval constructs) and the train/eval check.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "lightreasoner/eval/dataset.h"
#include "lightreasoner/eval/prompt.h"
#include "lightreasoner/eval/grading.h"
#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/prompt/formats.h"
#include "support.h"
#include "tokenizer_fixtures.h"

namespace {

using namespace lightreasoner;

TEST(EvalPrompt, EverySampledPromptReproducedExactly) {
  int checked = 0, few_shot = 0;
  for (const auto& expected : io::read_jsonl(lrtest::fixture_dir() / "grader_vectors/prompts_sample.jsonl")) {
    std::string file = expected.value.at("file"), data_name = expected.value.at("data_name");
    std::string type = expected.value.at("prompt_type");
    int shots = expected.value.at("num_shots");
    auto records = io::read_jsonl(lrtest::data_dir() / file);
    std::string question = eval::parse_question(records.at(expected.value.at("line").get<size_t>()), data_name);
    EXPECT_EQ(eval::construct_prompt(question, data_name, type, shots), expected.value.at("prompt").get<std::string>())
        << file << " " << type << " " << shots << "-shot";
    ++checked;
    few_shot += shots > 0;
  }
  EXPECT_EQ(checked, 17);
  EXPECT_GE(few_shot, 5);
}

TEST(EvalPrompt, MmluDemosKeepTheFormFeedBug) {
  auto demos = eval::load_demos("sat_math", 5);  // sat_math uses the mmlu_stem demos
  bool form_feed = false;
  for (const auto& d : demos) form_feed |= d.question.find('\f') != std::string::npos || d.answer.find('\f') != std::string::npos;
  EXPECT_TRUE(form_feed);
}

TEST(EvalPrompt, CotPromptHasNoTrailingSpaceAndChatMlKeepsNewline) {
  EXPECT_EQ(eval::construct_prompt("What is 1+1?", "gsm8k", "cot", 0), "Question: What is 1+1?\nAnswer:");
  std::string chat = eval::construct_prompt("What is 1+1?", "gsm8k", "qwen25-math-cot", 0);
  EXPECT_EQ(chat.back(), '\n');
  EXPECT_NE(chat.find("<|im_start|>user\nWhat is 1+1?<|im_end|>"), std::string::npos);
}

TEST(EvalPrompt, RefusesWhatItCannotBuild) {
  EXPECT_LR_ERROR(eval::construct_prompt("q", "gsm8k", "no-such-template", 0), "unknown prompt template");
  EXPECT_LR_ERROR(eval::load_demos("gsm8k", 9), "only 8");
  EXPECT_LR_ERROR(eval::load_demos("math", 5), "only 4 of the toolkit's 5");
  EXPECT_LR_ERROR(eval::load_demos("olympiadbench", 1), "no few-shot demos");
  EXPECT_LR_ERROR(eval::load_demos("gsm8k", -1), "--shots must be >= 0");
  EXPECT_EQ(eval::load_demos("svamp", 3).size(), 3u);  // svamp maps to gsm8k's demos
}

TEST(EvalPrompt, StopWordsCutCompletions) {
  auto cot = eval::stop_words("cot");
  EXPECT_EQ(eval::apply_stop_words("The answer is 8\n\nQuestion: next", cot), "The answer is 8");
  auto direct = eval::stop_words("direct");
  EXPECT_EQ(eval::apply_stop_words("The answer is 8\n\nQuestion: next", direct), "The answer is 8\n\nQuestion: next");
  EXPECT_EQ(eval::apply_stop_words("  x = 2<|im_end|>garbage", eval::stop_words("qwen25-math-cot")), "x = 2");
}

// Probe questions; the second has the surrounding spaces strip(" ") would expose.
const std::vector<std::string> kProbes = {"What is 1+1?", "  Tom has 3 cats.\nHow many? "};

// Every name of the entry (its name and the toolkit's where they differ).
std::vector<std::string> names_of(const prompt::PromptFormat& f) {
  std::vector<std::string> names{f.name};
  if (!f.toolkit_name.empty()) names.push_back(f.toolkit_name);
  return names;
}

TEST(EvalPrompt, EveryRegistryEntryRendersTheSameZeroShotTextForTrainingAndEval) {
  int toolkit_types = 0;
  for (const auto& f : prompt::formats()) {
    if (!f.toolkit) {
      // Formats the toolkit lacks are training-only: eval refuses them by name.
      EXPECT_LR_ERROR(eval::construct_prompt("q", "gsm8k", f.name, 0), "not one of the evaluation toolkit's prompt types");
      continue;
    }
    ++toolkit_types;
    for (const auto& name : names_of(f))
      for (const auto& q : kProbes)
        EXPECT_EQ(eval::construct_prompt(q, "gsm8k", name, 0), prompt::render_template(name, q)) << name;
    EXPECT_EQ(eval::prompt_type_for_template(f.name), prompt::eval_name(f));
  }
  EXPECT_EQ(toolkit_types, 12);
  EXPECT_EQ(eval::prompt_type_for_template("qwen-chat"), std::nullopt);
}

TEST(EvalPrompt, TheTrainingCheckAcceptsExactlyTheFormatsWhoseZeroShotTextIsTheTrainingText) {
  // The check is a registry lookup; the rendered probes are the independent cross-check.
  int accepted = 0;
  for (const auto& eval_format : prompt::formats()) {
    if (!eval_format.toolkit) continue;
    for (const auto& trained : prompt::formats()) {
      bool same_text = true;
      for (const auto& q : kProbes)
        same_text &= eval::construct_prompt(q, "gsm8k", eval_format.name, 0) == prompt::render_template(trained.name, q);
      bool accepted_here = true;
      try {
        eval::check_prompt_matches_training(eval_format.name, trained.name, std::nullopt, "x.json");
      } catch (const Error&) {
        accepted_here = false;
      }
      EXPECT_EQ(accepted_here, same_text) << "eval " << eval_format.name << ", trained " << trained.name;
      accepted += accepted_here;
    }
  }
  EXPECT_EQ(accepted, 12 + 2);  // each toolkit type with itself, and direct with cot both ways
}

TEST(EvalPrompt, AnAliasSelectsTheSameEntry) {
  EXPECT_EQ(&prompt::format_named("cot"), &prompt::format_named("question-answer"));
  EXPECT_EQ(prompt::eval_name(prompt::format_named("question-answer")), "cot");
  EXPECT_EQ(eval::stop_words("question-answer"), eval::stop_words("cot"));
  EXPECT_EQ(eval::construct_prompt("q", "gsm8k", "question-answer", 2), eval::construct_prompt("q", "gsm8k", "cot", 2));
  EXPECT_EQ(prompt::encode_prompt(lrtest::fixture_tokenizer("qwen3-tokenizer"), "cot", "Hi"),
            prompt::encode_prompt(lrtest::fixture_tokenizer("qwen3-tokenizer"), "question-answer", "Hi"));
  EXPECT_NO_THROW(eval::check_prompt_matches_training("cot", "question-answer", std::nullopt, "x.json"));
  EXPECT_NO_THROW(eval::check_prompt_matches_training("question-answer", "cot", std::nullopt, "x.json"));
}

TEST(EvalPrompt, DirectIsItsOwnEntryWithCotsZeroShotTextButOtherStopsAndSplitter) {
  const auto& direct = prompt::format_named("direct");
  const auto& cot = prompt::format_named("cot");
  EXPECT_NE(&direct, &cot);
  EXPECT_TRUE(prompt::same_zero_shot(direct, cot));
  EXPECT_TRUE(prompt::same_zero_shot(cot, direct));
  EXPECT_NE(eval::stop_words("direct"), eval::stop_words("cot"));
  EXPECT_NE(eval::construct_prompt("q", "gsm8k", "direct", 2), eval::construct_prompt("q", "gsm8k", "cot", 2));
}

TEST(EvalPrompt, AnUnknownNameIsRefusedListingTheValidOnesWithDidYouMean) {
  EXPECT_LR_ERROR(prompt::format_named("qwen-chta"), "valid: abel, cot, ");
  EXPECT_LR_ERROR(prompt::format_named("qwen-chta"), "did you mean \"qwen-chat\"?");
  EXPECT_LR_ERROR(prompt::format_named("jinja", "prompt.template"), "prompt.template: unknown prompt template \"jinja\"");
  EXPECT_LR_ERROR(eval::stop_words("plain"), "expected one of: abel, cot, deepseek-math, direct, ");
}

TEST(EvalPrompt, AddingAFormatMeansOneEntryThatSaysEverything) {
  // Each entry is complete on its own: one way to render, its names unique, its stops after the
  // common ones, a system option only where it renders one, a same-text partner that exists.
  std::set<std::string> names;
  for (const auto& f : prompt::formats()) {
    EXPECT_NE(f.toolkit.has_value(), static_cast<bool>(f.render)) << f.name;
    for (const auto& n : names_of(f)) EXPECT_TRUE(names.insert(n).second) << n;
    if (f.toolkit) {
      EXPECT_FALSE(f.takes_system) << f.name;
      EXPECT_NE(f.toolkit->input.find("{input}"), std::string::npos) << f.name;
      EXPECT_NE(f.toolkit->output.find("{output}"), std::string::npos) << f.name;
      EXPECT_FALSE(f.toolkit->splitter.empty()) << f.name;
    }
    const auto stops = prompt::stop_words(f);
    EXPECT_TRUE(std::equal(prompt::kCommonStops.begin(), prompt::kCommonStops.end(), stops.begin())) << f.name;
    if (!f.same_zero_shot_as.empty()) EXPECT_TRUE(prompt::format_named(f.same_zero_shot_as).toolkit) << f.name;
  }
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.end()), prompt::template_names());
}

TEST(EvalPrompt, EvalWithAnotherPromptThanTrainingIsRefused) {
  EXPECT_LR_ERROR(eval::check_prompt_matches_training("cot", "qwen25-math-cot", std::nullopt, "adapter/x.json"),
                  "Evaluate with --template qwen25-math-cot");
  EXPECT_LR_ERROR(eval::check_prompt_matches_training("qwen25-math-cot", "question-answer", std::nullopt, "x.json"),
                  "recorded in x.json");
  EXPECT_LR_ERROR(eval::check_prompt_matches_training("cot", "plain", std::nullopt, "x.json"),
                  "No eval template renders that prompt");
  // The same template with another system prompt is another prompt.
  EXPECT_LR_ERROR(eval::check_prompt_matches_training("qwen25-math-cot", "qwen-chat", std::string("Be brief."), "x.json"),
                  "with a system prompt");
}

}  // namespace
