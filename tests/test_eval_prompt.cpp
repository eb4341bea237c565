// Prompt construction against the toolkit's own prompts (prompts_sample.jsonl): zero- and
// few-shot, every template there, the MMLU-STEM form-feed bug; plus stop strings and the
// clear refusals (unknown template, more shots than embedded demos, no demos for a set).
#include <gtest/gtest.h>

#include "lightreasoner/eval/dataset.h"
#include "lightreasoner/eval/prompt.h"
#include "lightreasoner/eval/runner.h"
#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/tokenizer/templates.h"
#include "support.h"

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

TEST(EvalPrompt, TrainingTemplatesLinkToTheToolkitTypeThatRendersTheSameText) {
  int linked = 0;
  for (const auto& name : tokenizer::template_names()) {
    auto type = eval::prompt_type_for_template(name);
    if (!type) continue;
    ++linked;
    for (const std::string q : {"What is 1+1?", "  Tom has 3 cats.\nHow many? "})
      EXPECT_EQ(eval::construct_prompt(q, "gsm8k", *type, 0), tokenizer::render_template(name, q)) << name << " / " << *type;
    EXPECT_NO_THROW(eval::check_prompt_matches_training(*type, name, std::nullopt, "record.json"));
  }
  EXPECT_EQ(linked, 3);
  EXPECT_EQ(eval::prompt_type_for_template("question-answer"), "cot");
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
