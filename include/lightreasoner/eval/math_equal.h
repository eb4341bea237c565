// grader.py::math_equal, ported stage by stage: case-insensitive string, A-E choice, numeric
// (commas deleted, Python float(), '%' suffix, candidates ref/100, ref, ref*100 with rel 1e-4;
// numeric pairs never fall through), pmatrix rewrite, bracket-blind compare, tuples/intervals,
// matrices, equations, then the GiNaC symbolic stage (symbolic.h). Each call has a time budget
// (the toolkit's 3 s) and a recursion limit; the result says which stage decided and whether
// the symbolic stage could not decide what sympy would.
#pragma once

#include <string>
#include <string_view>

namespace lightreasoner::eval {

struct MathEqualOptions {
  bool include_percentage = true;
  bool is_close = true;
  double timeout_s = 3.0;  // a comparison over budget counts as wrong (timed_out)
  int max_recursion = 64;  // nested tuple/matrix/equation recursion
};

struct EqualResult {
  bool equal = false;
  std::string decided_by;   // "string", "choice", "numeric", "empty", "structural", "symbolic"
  bool undecided = false;   // the symbolic stage met something only sympy could decide (scored wrong)
  bool timed_out = false;   // budget exceeded (scored wrong, as the toolkit does)
};

EqualResult math_equal(std::string_view prediction, std::string_view reference, const MathEqualOptions& options = {});

// grader.py::choice_answer_clean (the simpler grader-side variant: last standalone A-E).
std::string grader_choice_answer_clean(std::string_view text);

}  // namespace lightreasoner::eval
