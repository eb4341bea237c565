// extract_answer / choice_answer_clean / run_execute, ported from Qwen2.5-Math parser.py and
// math_eval.py (docs/grading.md (Answer extraction)). Pure string logic; the only regexes are the toolkit's.
#include "lightreasoner/eval/extract_answer.h"

#include <vector>

#include "lightreasoner/eval/pyregex.h"
#include "lightreasoner/core/pytext.h"
#include "lightreasoner/eval/strip_string.h"

namespace lightreasoner::eval {

namespace {

const PyRegex& choice_letter() {
  static const PyRegex regex("\\b(A|B|C|D|E)\\b");
  return regex;
}

bool is_choice_letter(const std::string& s) { return s.size() == 1 && s[0] >= 'A' && s[0] <= 'E'; }

// math_eval.py::is_multi_choice: true for the empty string too (so an empty gold turns any
// prediction into its A-E letters, usually "", which then matches: a toolkit quirk, kept).
bool only_choice_letters(const std::string& s) {
  for (char c : s)
    if (c < 'A' || c > 'E') return false;
  return true;
}

// The text after the last "boxed", brace-matched (or up to the first '$' when no '{' follows).
std::string boxed_content(const std::string& text) {
  std::vector<std::string> pieces = py::split(text, "boxed");
  const std::string& ans = pieces.back();
  if (ans.empty()) return "";
  if (ans[0] != '{') return py::strip(py::split(ans, "$")[0]);
  int depth = 1;
  std::string out;
  for (size_t i = 1; i < ans.size(); ++i) {
    char c = ans[i];
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) break;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

bool skips_units(std::string_view data_name) { return data_name == "carp_en" || data_name == "minerva_math"; }

std::string choice_answer_clean(std::string_view raw) {
  std::string pred = py::strip_chars(raw, "\n");
  if (py::count(pred, "choice is") > 1 || py::count(pred, "answer is") > 1) pred = py::split(pred, "\n\n")[0];
  // re.split("choice is|answer is"): the last piece, flagged when there was a split.
  bool answer_flag = false;
  {
    size_t last_end = std::string::npos;
    for (size_t pos = 0; pos < pred.size();) {
      size_t a = pred.find("choice is", pos), b = pred.find("answer is", pos);
      size_t hit = std::min(a, b);
      if (hit == std::string::npos) break;
      last_end = hit + 9;
      pos = last_end;
    }
    if (last_end != std::string::npos) {
      answer_flag = true;
      pred = pred.substr(last_end);
    }
  }
  pred = py::lstrip_chars(py::strip_chars(py::rstrip_chars(py::rstrip_chars(py::strip_chars(pred, "\n"), "."), "/"), " "), ":");
  std::vector<std::string> letters = choice_letter().findall(py::upper(pred));
  std::string chosen;
  if (!letters.empty()) {
    chosen = answer_flag ? letters.front() : letters.back();
  } else {
    chosen = py::strip_chars(py::strip(pred), ".");
  }
  return py::rstrip_chars(py::rstrip_chars(chosen, "."), "/");
}

std::string extract_answer(std::string_view completion, std::string_view data_name) {
  std::string text = py::replace(py::sanitize_utf8(completion), "\xD0\xBA\xD0\xB8", "");  // "ки"
  if (data_name == "mmlu_stem" || data_name == "sat_math" || data_name == "aqua" || data_name == "gaokao2023") {
    return choice_answer_clean(text);
  }
  std::string pred;
  if (py::contains(text, "final answer is $") && py::contains(text, "$. I hope")) {
    std::string after = text.substr(text.find("final answer is $") + 17);
    pred = py::strip(after.substr(0, after.find("$. I hope")));
  } else if (py::contains(text, "boxed")) {
    std::vector<std::string> pieces = py::split(text, "boxed");
    if (pieces.back().empty()) return "";
    pred = boxed_content(text);
  } else if (py::contains(text, "he answer is")) {
    pred = py::strip(py::split(text, "he answer is").back());
  } else if (py::contains(text, "final answer is")) {
    pred = py::strip(py::split(text, "final answer is").back());
  } else if (py::contains(text, "答案是")) {
    pred = py::strip(py::split(py::strip(py::split(text, "答案是")[1]), "\n\n")[0]);
  } else {
    static const PyRegex number("-?\\d*\\.?\\d+");
    std::vector<std::string> numbers = number.findall(py::replace(text, ",", ""));
    pred = numbers.empty() ? "" : numbers.back();
  }

  if (data_name == "sat_math" || data_name == "aqua" || py::contains(data_name, "mmlu")) {
    std::vector<std::string> letters = choice_letter().findall(py::upper(pred));
    pred = letters.empty() ? py::strip_chars(py::strip(pred), ".") : letters.back();
  }

  static const PyRegex newline_run("\\n\\s*");
  pred = newline_run.sub(pred, "");
  if (!pred.empty() && pred.front() == ':') pred.erase(0, 1);
  if (!pred.empty() && pred.back() == '.') pred.pop_back();
  if (!pred.empty() && pred.back() == '/') pred.pop_back();
  return strip_string(pred, skips_units(data_name));
}

std::string extract_prediction(std::string_view completion, std::string_view data_name) {
  return strip_string(extract_answer(completion, data_name), skips_units(data_name));
}

std::string apply_choice_fixup(const std::string& prediction, const std::string& gold, std::string_view completion) {
  if (is_choice_letter(gold) && !is_choice_letter(prediction)) return choice_answer_clean(completion);
  if (only_choice_letters(gold) && !only_choice_letters(prediction)) {
    std::string letters;
    for (char c : prediction)
      if (c >= 'A' && c <= 'E') letters.push_back(c);
    return letters;
  }
  return prediction;
}

}  // namespace lightreasoner::eval
