// `lightreasoner tokenize` end to end: --text and --file/--field, --json, --template,
// --no-special, and clear errors for bad arguments.
#include <gtest/gtest.h>

#include <fstream>

#include "support.h"

namespace {
std::string fixture(const char* folder) {
  return "'" + (lrtest::fixture_dir() / folder).string() + "'";
}
}  // namespace

TEST(TokenizeCli, TextJsonTemplateAndNoSpecial) {
  auto r = lrtest::run_binary("--log-level warn tokenize --model " + fixture("mistral-tokenizer") +
                              " --text 'Hello world!' --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "[1,22557,1526,28808]\n");
  r = lrtest::run_binary("--log-level warn tokenize --model " + fixture("mistral-tokenizer") +
                         " --text 'Hello world!' --json --no-special");
  EXPECT_EQ(r.output, "[22557,1526,28808]\n");
  r = lrtest::run_binary("--log-level warn tokenize --model " + fixture("qwen3-tokenizer") +
                         " --template qwen25-math-cot --text 'What is 2+2?' --json");
  EXPECT_EQ(r.output,
            "[151644,8948,198,5501,2874,3019,553,3019,11,323,2182,697,1590,4226,2878,1124,79075,46391,151645,198,151644,"
            "872,198,3838,374,220,17,10,17,30,151645,198,151644,77091,198]\n");
  // The readable form: id, vocabulary token and decoded text per line, then the count.
  r = lrtest::run_binary("--log-level warn tokenize --model " + fixture("qwen3-tokenizer") + " --text 'Hello world'");
  EXPECT_EQ(r.output, "9707\t\"Hello\"\t\"Hello\"\n1879\t\"Ġworld\"\t\" world\"\n2 tokens\n");
  if (lrtest::sentencepiece_available()) {  // not in a sanitizer build (support.h)
    r = lrtest::run_binary("--log-level warn tokenize --model " + fixture("llama2-sentencepiece") +
                           " --text 'Hello world!' --json");
    EXPECT_EQ(r.output, "[1,15043,3186,29991]\n");
  }
}

TEST(TokenizeCli, FileFieldOneLinePerRecord) {
  const auto file = lrtest::temp_dir() / "in.jsonl";
  std::ofstream(file) << "{\"q\": \"Hello world\"}\n{\"q\": \"<|im_end|>\"}\n";
  auto r = lrtest::run_binary("--log-level warn tokenize --model " + fixture("qwen3-tokenizer") + " --file '" +
                              file.string() + "' --field q --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "[9707,1879]\n[151645]\n");
  r = lrtest::run_binary("--log-level warn tokenize --model " + fixture("qwen3-tokenizer") + " --file '" +
                         file.string() + "' --field missing --json");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("missing"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("in.jsonl:1"), std::string::npos) << r.output;
}

TEST(TokenizeCli, BadArgumentsFailClearly) {
  auto r = lrtest::run_binary("tokenize --model " + fixture("qwen3-tokenizer"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("give --text TEXT or --file"), std::string::npos) << r.output;
  r = lrtest::run_binary("tokenize --model " + fixture("qwen3-tokenizer") + " --text x --template nope");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("nope"), std::string::npos) << r.output;
  r = lrtest::run_binary("tokenize --model /nonexistent --text x");
  EXPECT_NE(r.exit_code, 0);
  r = lrtest::run_binary("tokenize --model " + fixture("qwen3-tokenizer") + " --text \"$(printf 'bad\\377')\"");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("not valid UTF-8 at byte offset 3"), std::string::npos) << r.output;
}
