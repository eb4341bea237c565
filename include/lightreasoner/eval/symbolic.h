// The symbolic stage of math_equal, done with GiNaC instead of sympy: a LaTeX/ASCII parser that
// follows sympy's parse_latex conventions (every letter and unknown \command is a free symbol,
// so \pi and e are symbols; f(x) is an application; trailing garbage after a complete relation
// is ignored) and an equality test in sympy's order (structural, then exact/numeric for
// constants with rel 1e-4, then agreement at random points standing in for simplify(a-b)==0).
// Constructs sympy handles but this parser does not (\int, \sum, \lim, matrices, huge powers,
// deep nesting, time budget exceeded) give kUndecided rather than a guess.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace lightreasoner::eval {

enum class SymbolicVerdict { kEqual, kDifferent, kUndecided };
const char* verdict_name(SymbolicVerdict verdict);

struct SymbolicLimits {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  size_t max_chars = 2000;  // longer inputs are undecided (sympy would be slow or fail)
  int max_depth = 200;      // parser nesting limit (no stack overflow on 10k braces)
};

// grader.py::symbolic_equal(a, b).
SymbolicVerdict symbolic_equal(std::string_view a, std::string_view b, const SymbolicLimits& limits = {});

// How the parser reads `text` (GiNaC's printed form, or Python/sympy syntax with
// python_syntax), or an "error: ..." / "undecided: ..." line. For tests, debugging and the
// sympy peer benchmark.
std::string describe_parse(std::string_view text, bool python_syntax = false);

}  // namespace lightreasoner::eval
