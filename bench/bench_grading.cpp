// Grading throughput of the eval toolkit port: completions/s over every gold answer (each graded
// against a boxed copy of itself and against a wrong number) and over the hand-made cases, a
// per-stage cost breakdown, the strip_string fast path against its reference, and (with
// --emit-sympy FILE) the symbolic-stage pairs in Python syntax, each with our verdict, for the sympy
// peer (bench/peer_sympy.py), which times sympy doing the same decisions and lists every pair where
// its verdict differs from ours. The golds' verdicts are checked case by case: a boxed copy must be
// judged equal (the toolkit quirks that are not are listed) and the wrong number must not be.
// Usage: bench_grading [VECTORS_DIR] [--emit-sympy FILE]  (default: tests/fixtures/grader_vectors)
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lightreasoner/eval/extract_answer.h"
#include "lightreasoner/eval/math_equal.h"
#include "lightreasoner/core/pytext.h"
#include "lightreasoner/eval/strip_string.h"
#include "lightreasoner/eval/symbolic.h"
#include "lightreasoner/io/jsonl.h"

namespace {

using namespace lightreasoner;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string python_name_safe(std::string text) {
  text = py::replace(text, "\\", "cmd_");
  text = py::replace(text, "{", "_");
  return py::replace(text, "}", "_");
}

}  // namespace

int main(int argc, char** argv) {
  std::string vectors = std::string(LR_SOURCE_DIR) + "/tests/fixtures/grader_vectors";
  std::string emit_sympy;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--emit-sympy" && i + 1 < argc) {
      emit_sympy = argv[++i];
    } else {
      vectors = arg;
    }
  }
  auto golds = io::read_jsonl(vectors + "/gold_answers.jsonl");
  auto cases = io::read_jsonl(vectors + "/cases.jsonl");

  // 1. Every gold: a completion boxing the gold (right) and one with a wrong last number.
  int64_t graded = 0, correct = 0;
  double extract_s = 0, equal_s = 0;
  std::vector<std::string> unmatched;  // golds that a boxed copy of themselves does not match
  std::vector<std::string> wrong_equal;  // golds that the wrong number was judged equal to
  for (const auto& g : golds) {
    std::string data_name = g.value.at("data_name"), gold = g.value.at("gt");
    for (const std::string& completion :
         {"Step by step we get the result $\\boxed{" + gold + "}$.", std::string("so the total is 123456789.")}) {
      auto t0 = Clock::now();
      std::string pred = eval::apply_choice_fixup(eval::extract_prediction(completion, data_name), gold, completion);
      auto t1 = Clock::now();
      bool equal = eval::math_equal(pred, gold).equal;
      correct += equal;
      if (!equal && completion[0] == 'S') unmatched.push_back(data_name + ": '" + gold + "' -> '" + pred + "'");
      if (equal && completion[0] != 'S') wrong_equal.push_back(data_name + ": '" + gold + "' -> '" + pred + "'");
      equal_s += since(t1);
      extract_s += std::chrono::duration<double>(t1 - t0).count();
      ++graded;
    }
  }
  double golds_s = extract_s + equal_s;
  std::printf("golds: %lld completions graded in %.3f s = %.0f completions/s (extract+strip %.1f us, math_equal %.1f us "
              "per completion; %lld judged equal)\n",
              static_cast<long long>(graded), golds_s, graded / golds_s, 1e6 * extract_s / graded,
              1e6 * equal_s / graded, static_cast<long long>(correct));

  std::printf("golds, case by case: %lld of %zu boxed copies judged equal, %zu of %zu wrong numbers judged equal\n",
              static_cast<long long>(golds.size() - unmatched.size()), golds.size(), wrong_equal.size(), golds.size());
  for (const auto& u : unmatched) std::printf("  a boxed gold that does not match itself (toolkit quirk): %s\n", u.c_str());
  for (const auto& u : wrong_equal) std::printf("  a wrong number judged equal to the gold: %s\n", u.c_str());

  // 2. The hand-made cases, repeated, with the math_equal time split by deciding stage.
  std::map<std::string, std::pair<int64_t, double>> by_stage;
  int64_t case_calls = 0;
  auto cases_start = Clock::now();
  const int repeats = 20;
  for (int r = 0; r < repeats; ++r) {
    for (const auto& c : cases) {
      const auto& v = c.value;
      std::string kind = v.at("kind");
      auto t0 = Clock::now();
      std::string stage;
      if (kind == "math_equal") {
        stage = eval::math_equal(v.at("pred").get<std::string>(), v.at("gold").get<std::string>()).decided_by;
      } else if (kind == "extract") {
        eval::extract_prediction(v.at("text").get<std::string>(), v.at("data_name").get<std::string>());
        stage = "extract";
      } else {
        eval::strip_string(v.at("input").get<std::string>(), v.at("skip_unit").get<bool>());
        stage = "strip_string";
      }
      auto& slot = by_stage[stage];
      slot.first += 1;
      slot.second += since(t0);
      ++case_calls;
    }
  }
  double cases_s = since(cases_start);
  std::printf("cases: %lld calls (%zu cases x %d) in %.3f s = %.0f calls/s\n", static_cast<long long>(case_calls),
              cases.size(), repeats, cases_s, case_calls / cases_s);
  for (const auto& [stage, slot] : by_stage) {
    std::printf("  %-13s %6lld calls  %9.1f us/call\n", stage.c_str(), static_cast<long long>(slot.first),
                1e6 * slot.second / slot.first);
  }

  // 3. strip_string: fast path (literal prefilter before each unit regex) vs the reference path.
  for (bool reference : {false, true}) {
    auto t0 = Clock::now();
    for (const auto& g : golds) {
      const std::string gold = g.value.at("gt");
      if (reference) {
        eval::strip_string_reference(gold);
      } else {
        eval::strip_string(gold);
      }
    }
    double s = since(t0);
    std::printf("strip_string %-9s: %zu golds in %.3f s = %.1f us/call\n", reference ? "reference" : "fast",
                golds.size(), s, 1e6 * s / golds.size());
  }

  // 4. The symbolic-stage pairs (the cases sympy decided), our time per decision, and the
  //    same pairs in Python syntax for bench/peer_sympy.py.
  std::ofstream sympy_out;
  if (!emit_sympy.empty()) sympy_out.open(emit_sympy);
  // Pairs both sides of which parse to plain expressions are the ones the peer can take.
  std::vector<std::pair<std::string, std::string>> peer_pairs;
  int64_t symbolic_calls = 0;
  auto sym_start = Clock::now();
  for (int r = 0; r < repeats; ++r) {
    for (const auto& c : cases) {
      const auto& v = c.value;
      if (v.at("kind") != "math_equal" || v.at("decided_by") != "structural_or_sympy") continue;
      std::string a = v.at("pred"), b = v.at("gold");
      eval::symbolic_equal(a, b);
      ++symbolic_calls;
      if (r > 0) continue;
      std::string pa = eval::describe_parse(a, true), pb = eval::describe_parse(b, true);
      auto plain = [](const std::string& p) {
        return p.rfind("error", 0) != 0 && p.rfind("undecided", 0) != 0 && p.find(" = ") == std::string::npos;
      };
      if (plain(pa) && plain(pb)) {
        peer_pairs.emplace_back(a, b);
        const bool ours = eval::symbolic_equal(a, b) == eval::SymbolicVerdict::kEqual;
        if (sympy_out)
          sympy_out << io::Json{{"a", python_name_safe(pa)}, {"b", python_name_safe(pb)}, {"ours", ours},
                                {"latex_a", a}, {"latex_b", b}}
                           .dump()
                    << "\n";
      }
    }
  }
  double sym_s = since(sym_start);
  std::printf("symbolic_equal (GiNaC) on the sympy-stage pairs: %lld calls in %.3f s = %.1f us/call\n",
              static_cast<long long>(symbolic_calls), sym_s, 1e6 * sym_s / symbolic_calls);
  auto peer_start = Clock::now();
  for (int r = 0; r < repeats; ++r) {
    for (const auto& [a, b] : peer_pairs) eval::symbolic_equal(a, b);
  }
  double peer_s = since(peer_start);
  std::printf("symbolic_equal (GiNaC, parse included) on the %zu peer pairs: %.1f us/call\n", peer_pairs.size(),
              1e6 * peer_s / (repeats * std::max<size_t>(peer_pairs.size(), 1)));
  if (sympy_out) std::printf("wrote the parsed pairs for the sympy peer to %s\n", emit_sympy.c_str());
  return 0;
}
