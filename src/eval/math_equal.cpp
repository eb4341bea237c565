// math_equal stage by stage (docs/grading.md (Equality)). String and numeric logic is exact; structural
// stages recurse with a depth limit; the last stage is symbolic_equal (GiNaC). A shared
// deadline bounds the whole comparison including its recursive calls.
#include "lightreasoner/eval/math_equal.h"

#include <chrono>
#include <cmath>
#include <optional>
#include <vector>

#include "lightreasoner/eval/pyregex.h"
#include "lightreasoner/core/pytext.h"
#include "lightreasoner/eval/symbolic.h"

namespace lightreasoner::eval {

namespace {

using Clock = std::chrono::steady_clock;

struct Context {
  const MathEqualOptions& options;
  Clock::time_point deadline;
  int depth = 0;
  bool undecided = false;
  bool timed_out = false;
};

// grader.py::parse_digits: commas deleted, float(), else a trailing '%' (optionally '\%') / 100.
std::optional<double> parse_digits(std::string_view raw) {
  std::string text = py::replace(raw, ",", "");
  if (auto value = py::parse_float(text)) return value;
  if (py::ends_with(text, "%")) {
    text.pop_back();
    if (py::ends_with(text, "\\")) text.pop_back();
    if (auto value = py::parse_float(text)) return *value / 100;
  }
  return std::nullopt;
}

bool numeric_close(double reference, double prediction) {
  // math.isclose(reference, prediction, rel_tol=1e-4)
  if (reference == prediction) return true;
  if (std::isinf(reference) || std::isinf(prediction)) return false;
  return std::fabs(reference - prediction) <= 1e-4 * std::max(std::fabs(reference), std::fabs(prediction));
}

// grader.py::str_to_pmatrix: every "{...,...}" group -> \begin{pmatrix}..\end{pmatrix}, joined.
std::string str_to_pmatrix(const std::string& input) {
  static const PyRegex group("\\{.*,.*\\}");
  std::vector<std::string> parts;
  for (const auto& m : group.findall(py::strip(input))) {
    parts.push_back("\\begin{pmatrix}" + py::replace(py::strip_chars(m, "{}"), ",", "\\") + "\\end{pmatrix}");
  }
  return py::join(parts, ", ");
}

bool is_matrix(const std::string& s) {
  return (py::starts_with(s, "\\begin{pmatrix}") || py::starts_with(s, "\\begin{bmatrix}")) &&
         (py::ends_with(s, "\\end{pmatrix}") || py::ends_with(s, "\\end{bmatrix}"));
}

std::vector<std::string> matrix_rows(const std::string& s) {
  const size_t begin = std::string("\\begin{pmatrix}").size(), end = std::string("\\end{pmatrix}").size();
  std::string body = s.size() >= begin + end ? s.substr(begin, s.size() - begin - end) : std::string();
  std::vector<std::string> rows;
  for (const auto& line : py::split(body, "\\\\")) {
    std::string stripped = py::strip(line);
    if (!stripped.empty()) rows.push_back(stripped);
  }
  return rows;
}

std::string equation_difference(const std::string& text) {
  std::vector<std::string> sides = py::split(text, "=");
  return py::strip(sides[0]) + " - (" + py::strip(sides[1]) + ")";
}

bool out_of_time(Context& ctx) {
  if (Clock::now() > ctx.deadline) ctx.timed_out = true;
  return ctx.timed_out;
}

bool symbolic(Context& ctx, const std::string& a, const std::string& b) {
  if (out_of_time(ctx)) return false;
  SymbolicLimits limits;
  limits.deadline = ctx.deadline;
  SymbolicVerdict verdict = symbolic_equal(a, b, limits);
  if (verdict == SymbolicVerdict::kUndecided) {
    if (Clock::now() > ctx.deadline) {
      ctx.timed_out = true;
    } else {
      ctx.undecided = true;
    }
  }
  return verdict == SymbolicVerdict::kEqual;
}

bool equal_rec(Context& ctx, std::string prediction, std::string reference, std::string* decided_by);

bool equal_sub(Context& ctx, const std::string& prediction, const std::string& reference) {
  if (ctx.depth >= ctx.options.max_recursion) {
    ctx.undecided = true;  // Python would raise RecursionError here
    return false;
  }
  ++ctx.depth;
  std::string ignored;
  bool equal = equal_rec(ctx, prediction, reference, &ignored);
  --ctx.depth;
  return equal;
}

bool equal_rec(Context& ctx, std::string prediction, std::string reference, std::string* decided_by) {
  if (out_of_time(ctx)) return false;
  *decided_by = "string";
  if (py::lower(py::strip(prediction)) == py::lower(py::strip(reference))) return true;

  *decided_by = "choice";
  if (reference.size() == 1 && reference[0] >= 'A' && reference[0] <= 'E' &&
      grader_choice_answer_clean(prediction) == reference)
    return true;

  auto pred_number = parse_digits(prediction);
  auto ref_number = parse_digits(reference);
  if (pred_number && ref_number) {
    *decided_by = "numeric";
    std::vector<double> candidates{*ref_number};
    if (ctx.options.include_percentage) candidates = {*ref_number / 100, *ref_number, *ref_number * 100};
    for (double candidate : candidates) {
      if (ctx.options.is_close ? numeric_close(candidate, *pred_number) : candidate == *pred_number) return true;
    }
    return false;
  }

  *decided_by = "empty";
  if (prediction.empty()) return false;

  *decided_by = "structural";
  reference = py::strip(reference);
  prediction = py::strip(prediction);
  if (py::contains(prediction, "pmatrix") && !py::contains(reference, "pmatrix")) reference = str_to_pmatrix(reference);

  {  // bracket-blind compare
    std::string pred_str = prediction, ref_str = reference;
    bool pred_square = py::starts_with(prediction, "[") && py::ends_with(prediction, "]");
    bool pred_round = py::starts_with(prediction, "(") && py::ends_with(prediction, ")");
    if ((pred_square && !py::starts_with(reference, "(")) || (pred_round && !py::starts_with(reference, "["))) {
      pred_str = py::strip_chars(pred_str, "[]()");
      ref_str = py::strip_chars(ref_str, "[]()");
    }
    for (const char* bracket : {"{", "}", "(", ")"}) {
      ref_str = py::replace(ref_str, bracket, "");
      pred_str = py::replace(pred_str, bracket, "");
    }
    if (py::lower(pred_str) == py::lower(ref_str)) return true;
  }

  static const PyRegex tuple_start("(\\(|\\[).+(\\)|\\])");
  if (tuple_start.match(prediction) && tuple_start.match(reference)) {
    // prediction[1:-1].split(","), element-wise
    std::u32string p = py::decode(prediction), r = py::decode(reference);
    auto pred_parts = py::split(py::encode(p.substr(1, p.size() - 2)), ",");
    auto ref_parts = py::split(py::encode(r.substr(1, r.size() - 2)), ",");
    if (pred_parts.size() == ref_parts.size()) {
      bool all = true;
      for (size_t i = 0; i < pred_parts.size() && all; ++i) all = equal_sub(ctx, pred_parts[i], ref_parts[i]);
      if (all) return true;
    }
  }

  if (is_matrix(prediction) && is_matrix(reference)) {
    auto pred_rows = matrix_rows(prediction), ref_rows = matrix_rows(reference);
    bool matched = pred_rows.size() == ref_rows.size();
    for (size_t i = 0; matched && i < pred_rows.size(); ++i) {
      auto pred_cells = py::split(pred_rows[i], "&"), ref_cells = py::split(ref_rows[i], "&");
      if (pred_cells.size() != ref_cells.size()) {
        matched = false;
        break;
      }
      for (size_t j = 0; j < pred_cells.size() && matched; ++j) matched = equal_sub(ctx, pred_cells[j], ref_cells[j]);
    }
    if (matched) return true;
  }

  if (py::count(prediction, "=") == 1 && py::count(reference, "=") == 1) {
    std::string pred = equation_difference(prediction), ref = equation_difference(reference);
    *decided_by = "symbolic";
    if (symbolic(ctx, pred, ref) || symbolic(ctx, "-(" + pred + ")", ref)) return true;
  } else if (py::count(prediction, "=") == 1 && py::length(py::strip(py::split(prediction, "=")[0])) <= 2 &&
             !py::contains(reference, "=")) {
    if (equal_sub(ctx, py::split(prediction, "=")[1], reference)) return true;
  } else if (py::count(reference, "=") == 1 && py::length(py::strip(py::split(reference, "=")[0])) <= 2 &&
             !py::contains(prediction, "=")) {
    if (equal_sub(ctx, prediction, py::split(reference, "=")[1])) return true;
  }

  *decided_by = "symbolic";
  return symbolic(ctx, prediction, reference);
}

}  // namespace

std::string grader_choice_answer_clean(std::string_view raw) {
  static const PyRegex letter("\\b(A|B|C|D|E)\\b");
  std::string pred = py::lstrip_chars(
      py::strip_chars(py::rstrip_chars(py::rstrip_chars(py::strip_chars(raw, "\n"), "."), "/"), " "), ":");
  std::vector<std::string> letters = letter.findall(py::upper(pred));
  std::string chosen = letters.empty() ? py::strip_chars(py::strip(pred), ".") : letters.back();
  return py::rstrip_chars(py::rstrip_chars(chosen, "."), "/");
}

EqualResult math_equal(std::string_view prediction, std::string_view reference, const MathEqualOptions& options) {
  Context ctx{options, Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(options.timeout_s))};
  EqualResult result;
  result.equal = equal_rec(ctx, py::sanitize_utf8(prediction), py::sanitize_utf8(reference), &result.decided_by);
  result.timed_out = ctx.timed_out;
  if (result.timed_out) result.equal = false;
  result.undecided = !result.equal && !result.timed_out && ctx.undecided;
  return result;
}

}  // namespace lightreasoner::eval
