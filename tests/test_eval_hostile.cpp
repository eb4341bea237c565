// Hostile inputs to extraction and grading: 10k braces, deep nesting, enormous completions,
// huge powers and factorials, invalid UTF-8, gold/completion fields of the wrong type. Each must
// finish in bounded time without crashing, and give the toolkit's answer or "undecided".
#include <gtest/gtest.h>

#include <chrono>

#include "lightreasoner/eval/dataset.h"
#include "lightreasoner/eval/extract_answer.h"
#include "lightreasoner/eval/math_equal.h"
#include "lightreasoner/eval/strip_string.h"
#include "lightreasoner/eval/symbolic.h"
#include "support.h"

namespace {

using namespace lightreasoner;

double seconds_of(const std::function<void()>& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(EvalHostile, TenThousandBraces) {
  std::string inner = repeat("{", 10000) + "1" + repeat("}", 10000);
  std::string completion = "so \\boxed{" + inner + "}";
  std::string pred;
  double t = seconds_of([&] { pred = eval::extract_prediction(completion, "math"); });
  EXPECT_LT(t, 5.0);
  EXPECT_EQ(pred, inner);  // the box's whole content, braces and all
  eval::EqualResult r;
  t = seconds_of([&] { r = eval::math_equal(pred, "1"); });
  EXPECT_LT(t, 5.0);
  // The toolkit's bracket-blind compare (math_eval.md: delete {}() and compare) reads "1" = "1"
  // before any parse, so no recursion is involved: equal.
  EXPECT_TRUE(r.equal);
  EXPECT_EQ(r.decided_by, "structural");
  // Unbalanced: an unclosed box runs to the end.
  std::string unclosed;
  EXPECT_LT(seconds_of([&] { unclosed = eval::extract_prediction("\\boxed{" + repeat("{", 10000), "math"); }), 5.0);
  EXPECT_EQ(unclosed, repeat("{", 10000));
}

TEST(EvalHostile, DeepNestingIsBoundedAndUndecided) {
  std::string parens = repeat("(", 10000) + "1" + repeat(")", 10000);
  eval::EqualResult r;
  double t = seconds_of([&] { r = eval::math_equal(parens, "2"); });
  EXPECT_LT(t, 5.0);
  EXPECT_FALSE(r.equal);
  std::string fracs = repeat("\\frac{1}{", 5000) + "2" + repeat("}", 5000);
  EXPECT_NE(eval::describe_parse(fracs).find("undecided"), std::string::npos);
  t = seconds_of([&] { r = eval::math_equal(fracs, "x"); });
  EXPECT_LT(t, 5.0);
  EXPECT_FALSE(r.equal);
  EXPECT_TRUE(r.undecided);
}

TEST(EvalHostile, EnormousCompletion) {
  std::string text = repeat("We add 12, 345 and 6.5 then think about x^2 + y. ", 100000) + "The answer is 42.";
  ASSERT_GT(text.size(), 4u << 20);
  std::string pred;
  double t = seconds_of([&] { pred = eval::extract_prediction(text, "gsm8k"); });
  EXPECT_EQ(pred, "42");
  EXPECT_LT(t, 10.0);
  t = seconds_of([&] { pred = eval::extract_prediction(repeat("1 2 3 ", 500000), "gsm8k"); });
  EXPECT_EQ(pred, "3");
  EXPECT_LT(t, 10.0);
}

TEST(EvalHostile, HugePowersAndFactorialsStayBounded) {
  eval::EqualResult r;
  double t = seconds_of([&] { r = eval::math_equal("2^{2^{2^{2^{100}}}}", "x+1"); });
  EXPECT_LT(t, 5.0);
  EXPECT_FALSE(r.equal);
  t = seconds_of([&] { r = eval::math_equal("100000!", "5"); });
  EXPECT_LT(t, 5.0);
  EXPECT_FALSE(r.equal);
  t = seconds_of([&] { r = eval::math_equal("(x+1)^{100000}", "(1+x)^{100000}"); });
  EXPECT_LT(t, 5.0);
  // Equal, as the toolkit decides it: both start with "(" and contain ")", so its tuple stage
  // compares prediction[1:-1] = "x+1)^{100000" with "1+x)^{100000", whose parse stops at the stray
  // ")" (trailing garbage ignored, as sympy's parse_latex does): x + 1 = 1 + x. No huge power is
  // ever built (our parser would refuse exponents above 4096 as undecided).
  EXPECT_TRUE(r.equal);
  EXPECT_EQ(r.decided_by, "structural");
  EXPECT_EQ(eval::math_equal("5!", "120").equal, true);
}

TEST(EvalHostile, TimeBudgetIsHonoured) {
  eval::MathEqualOptions options;
  options.timeout_s = 0.0;  // already over budget: scored wrong and flagged, like the toolkit's timeout
  auto r = eval::math_equal("x^2+2x+1", "(x+1)^2", options);
  EXPECT_FALSE(r.equal);
  EXPECT_TRUE(r.timed_out);
}

TEST(EvalHostile, InvalidUtf8AndControlCharacters) {
  std::string bad = "The answer is \xff\xfe 7\x80.";
  EXPECT_EQ(eval::extract_prediction(bad, "gsm8k"), "\xEF\xBF\xBD\xEF\xBF\xBD" "7" "\xEF\xBF\xBD");
  EXPECT_FALSE(eval::math_equal("\xff", "1").equal);
  EXPECT_NO_THROW(eval::strip_string(std::string("\0\x01\x02", 3)));
}

TEST(EvalHostile, WrongFieldTypesNameTheRecord) {
  io::JsonlRecord record;
  record.path = "data.jsonl";
  record.line = 7;
  record.value = io::Json{{"question", "q"}, {"answer", 5}};
  EXPECT_LR_ERROR(eval::parse_ground_truth(record, "gsm8k"), "data.jsonl:7");
  record.value = io::Json{{"question", "q"}};
  EXPECT_LR_ERROR(eval::parse_ground_truth(record, "gsm8k"), "answer");
  record.value = io::Json{{"question", "q"}, {"answer", "no hashes"}};
  EXPECT_LR_ERROR(eval::parse_ground_truth(record, "gsm8k"), "exactly one '####'");
  record.value = io::Json{{"question", "q"}, {"answer", 7}, {"choices", {"a", "b", "c", "d"}}};
  EXPECT_LR_ERROR(eval::parse_ground_truth(record, "mmlu_stem"), "integer 0..3");
  record.value = io::Json{{"final_answer", io::Json::array()}};
  EXPECT_LR_ERROR(eval::parse_ground_truth(record, "olympiadbench"), "final_answer");
  record.value = io::Json{{"problem", "p"}, {"solution", "no box here, only 12"}};
  EXPECT_EQ(eval::parse_ground_truth(record, "math"), "12");  // the toolkit's last-number fallback
}

}  // namespace
