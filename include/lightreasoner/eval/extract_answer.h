// Answer extraction from a completion, ported from Qwen2.5-Math parser.py: extract_answer with
// its exact precedence (Minerva "final answer is $...$. I hope", last "boxed" with brace
// matching, "he answer is", "final answer is", "答案是", last number), the multiple-choice
// choice_answer_clean, and run_execute's second strip_string. No grading here.
#pragma once

#include <string>
#include <string_view>

namespace lightreasoner::eval {

// Data sets whose golds and predictions skip the unit list (STRIP_EXCEPTIONS).
bool skips_units(std::string_view data_name);

// parser.py::extract_answer(pred_str, data_name, use_last_number=True): includes one strip_string
// (except for the multiple-choice data sets, which return choice_answer_clean directly).
std::string extract_answer(std::string_view completion, std::string_view data_name);

// What run_execute returns: strip_string(extract_answer(...)) — the prediction that is graded.
std::string extract_prediction(std::string_view completion, std::string_view data_name);

// parser.py::choice_answer_clean (in-context trigger handling, first letter after a trigger).
std::string choice_answer_clean(std::string_view text);

// math_eval.py's multiple-choice fix-up, applied to the prediction when the gold is made of A-E.
std::string apply_choice_fixup(const std::string& prediction, const std::string& gold, std::string_view completion);

}  // namespace lightreasoner::eval
