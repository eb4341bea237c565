// Prompt templates against the references: the Qwen2.5 chat template renders in
// chat_reference.json, the toolkit's zero-shot prompts in grader_vectors/prompts_sample.jsonl,
// and the ids of rendered prompts (special tokens recognised). Also the registry and errors.
#include <gtest/gtest.h>

#include <map>

#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/prompt/formats.h"
#include "support.h"
#include "tokenizer_fixtures.h"

using namespace lightreasoner;
using namespace lightreasoner::tokenizer;
using namespace lightreasoner::prompt;

namespace {
const std::string kMathSystem = "Please reason step by step, and put your final answer within \\boxed{}.";
}

TEST(Templates, QwenChatReferenceRendersAndIds) {
  const auto ref = lrtest::read_json(lrtest::fixture_dir() / "qwen3-tokenizer/chat_reference.json");
  const std::string user = ref["messages_user"];
  const auto& cases = ref["cases"];
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(qwen_chat(user, kMathSystem), cases[0]["text"]);
  EXPECT_EQ(render_template("qwen-chat", user, {kMathSystem}), cases[0]["text"]);
  EXPECT_EQ(qwen_chat(user, std::nullopt), cases[1]["text"]);
  EXPECT_EQ(render_template("qwen25-math-cot", user), cases[2]["text"]);
  EXPECT_EQ(chatml({{"user", user}, {"assistant", "4"}}, false, kMathSystem), cases[3]["text"]);
  const auto& qwen = lrtest::fixture_tokenizer("qwen3-tokenizer");
  EXPECT_EQ(encode_prompt(qwen, "qwen25-math-cot", user), cases[2]["ids"].get<std::vector<TokenId>>());
  EXPECT_EQ(encode_prompt(qwen, "qwen-chat", user), cases[1]["ids"].get<std::vector<TokenId>>());
}

TEST(Templates, ToolkitZeroShotPromptsByteIdentical) {
  const auto dir = lrtest::fixture_dir() / "grader_vectors";
  std::map<std::string, std::string> question_of;  // file -> question of its first record
  for (const auto& r : io::read_jsonl(dir / "questions_sample.jsonl")) {
    if (r.value["line"] == 0) question_of[r.string_field("file")] = r.string_field("question");
  }
  int compared = 0;
  for (const auto& r : io::read_jsonl(dir / "prompts_sample.jsonl")) {
    if (r.value["num_shots"] != 0) continue;  // few-shot assembly is the eval module's job
    const std::string type = r.string_field("prompt_type");
    ASSERT_TRUE(question_of.count(r.string_field("file"))) << r.string_field("file");
    EXPECT_EQ(render_template(type, question_of[r.string_field("file")]), r.string_field("prompt"))
        << r.where() << " " << type;
    ++compared;
  }
  EXPECT_GE(compared, 9);
}

TEST(Templates, ExactTextOfTheOtherTemplates) {
  EXPECT_EQ(render_template("question-answer", "What is 2+2?"), "Question: What is 2+2?\nAnswer:");
  EXPECT_EQ(render_template("qwen-boxed", "Q"), "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nQ\n" + kMathSystem +
                                 "<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render_template("plain", " keep  spaces "), " keep  spaces ");
  EXPECT_EQ(llama2_chat(" Q ", std::nullopt), "<s>[INST] Q [/INST]");
  EXPECT_EQ(llama2_chat("Q", std::string("S")), "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nQ [/INST]");
  EXPECT_EQ(llama3_chat("Q", std::string("S")),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user"
            "<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(deepseek_r1("Q", std::nullopt), "<｜begin▁of▁sentence｜><｜User｜>Q<｜Assistant｜><think>\n");
  EXPECT_EQ(template_names().size(), 18u);  // 17 formats, question-answer also as cot
  for (const auto& name : template_names()) EXPECT_TRUE(is_template_name(name));
  EXPECT_FALSE(is_template_name("jinja"));
  EXPECT_LR_ERROR(render_template("jinja", "Q"), "unknown prompt template \"jinja\" (valid: ");
}

TEST(Templates, ASystemPromptIsRefusedByAFormatThatWouldDropIt) {
  const TemplateOptions brief{std::string("Be brief.")};
  EXPECT_EQ(render_template("qwen-chat", "Q", brief), qwen_chat("Q", std::string("Be brief.")));
  for (const char* name : {"question-answer", "cot", "qwen25-math-cot", "plain"}) {
    EXPECT_LR_ERROR(render_template(name, "Q", brief), "takes no system prompt, so it would be dropped");
    EXPECT_NO_THROW(render_template(name, "Q"));
  }
  EXPECT_LR_ERROR(check_system(format_named("plain"), std::string("S"), "prompt.system"),
                  "prompt.system is set (\"S\"), but the prompt format \"plain\" takes no system prompt");
  EXPECT_LR_ERROR(check_system(format_named("plain"), std::string("S"), "prompt.system"), "qwen-chat");
  EXPECT_NO_THROW(check_system(format_named("plain"), std::nullopt, "prompt.system"));
}

TEST(Templates, BosHandlingFollowsTheTemplate) {
  LR_SKIP_WITHOUT_SENTENCEPIECE();
  const auto& llama2 = lrtest::fixture_tokenizer("llama2-sentencepiece");
  // llama2-chat writes "<s>" itself: exactly one BOS.
  const auto ids = encode_prompt(llama2, "llama2-chat", "Hi");
  ASSERT_GE(ids.size(), 2u);
  EXPECT_EQ(ids[0], 1);
  EXPECT_NE(ids[1], 1);
  // question-answer relies on the tokenizer's BOS.
  EXPECT_EQ(encode_prompt(llama2, "question-answer", "Hi")[0], 1);
}
