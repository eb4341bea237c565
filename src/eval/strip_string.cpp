// strip_string and word_to_num, ported line by line from Qwen2.5-Math evaluation/parser.py and
// word2number 1.1 (docs/grading.md (Normalisation)). Every regex is the toolkit's own, run through PyRegex
// with Python semantics. The unit-word pass has a literal prefilter (a unit can only match
// where its literal text occurs); strip_string_reference() runs it without, for the tests.
#include "lightreasoner/eval/strip_string.h"

#include <algorithm>
#include <map>
#include <vector>

#include "lightreasoner/eval/pyregex.h"
#include "lightreasoner/core/pytext.h"

namespace lightreasoner::eval {

namespace {

const char* const kUnitTexts[] = {
    "east",
    "degree",
    "mph",
    "kmph",
    "ft",
    "m sqaure",
    " m east",
    "sq m",
    "deg",
    "mile",
    "q .",
    "monkey",
    "prime",
    "ratio",
    "profit of rs",
    "rd",
    "o",
    "gm",
    "p . m",
    "lb",
    "tile",
    "per",
    "dm",
    "lt",
    "gain",
    "ab",
    "way",
    "west",
    "a .",
    "b .",
    "c .",
    "d .",
    "e .",
    "f .",
    "g .",
    "h .",
    "t",
    "a",
    "h",
    "no change",
    "men",
    "soldier",
    "pie",
    "bc",
    "excess",
    "st",
    "inches",
    "noon",
    "percent",
    "by",
    "gal",
    "kmh",
    "c",
    "acre",
    "rise",
    "a . m",
    "th",
    "π r 2",
    "sq",
    "mark",
    "l",
    "toy",
    "coin",
    "sq . m",
    "gallon",
    "° f",
    "profit",
    "minw",
    "yr",
    "women",
    "feet",
    "am",
    "pm",
    "hr",
    "cu cm",
    "square",
    "v â € ™",
    "are",
    "rupee",
    "rounds",
    "cubic",
    "cc",
    "mtr",
    "s",
    "ohm",
    "number",
    "kmph",
    "day",
    "hour",
    "minute",
    "min",
    "second",
    "man",
    "woman",
    "sec",
    "cube",
    "mt",
    "sq inch",
    "mp",
    "∏ cm ³",
    "hectare",
    "more",
    "sec",
    "unit",
    "cu . m",
    "cm 2",
    "rs .",
    "rs",
    "kg",
    "g",
    "month",
    "km",
    "m",
    "cm",
    "mm",
    "apple",
    "liter",
    "loss",
    "yard",
    "pure",
    "year",
    "increase",
    "decrease",
    "d",
    "less",
    "Surface",
    "litre",
    "pi sq m",
    "s .",
    "metre",
    "meter",
    "inch"
};

struct UnitPattern {
  PyRegex regex;
  std::string literal;  // text that must occur for the regex to match (up to the first '.')
};

// unit_texts followed by the same list with "s" appended: 264 patterns, in the toolkit's order.
const std::vector<UnitPattern>& unit_patterns() {
  static const std::vector<UnitPattern> patterns = [] {
    std::vector<std::string> texts(std::begin(kUnitTexts), std::end(kUnitTexts));
    size_t n = texts.size();
    for (size_t i = 0; i < n; ++i) texts.push_back(texts[i] + "s");
    std::vector<UnitPattern> out;
    out.reserve(texts.size());
    for (const auto& text : texts) {
      out.push_back({PyRegex("(^|\\W)" + text + "($|\\W)"), text.substr(0, text.find('.'))});
    }
    return out;
  }();
  return patterns;
}

struct Patterns {
  PyRegex array_begin{"\\\\begin\\{array\\}\\{.*?\\}"};
  PyRegex array_end{"\\\\end\\{array\\}"};
  PyRegex trailing_text{"\\\\text{.*?}$"};
  PyRegex text_unwrap{"\\\\text\\{(.*?)\\}"};
  PyRegex mbox{"\\\\mbox{.*?}"};
  PyRegex zeros_before_nondigit{"(\\d+)\\.0*([^\\d])"};
  PyRegex zeros_at_end{"(\\d+)\\.0*$"};
  PyRegex sqrt_word{"\\\\sqrt(\\w+)"};
};

const Patterns& patterns() {
  static const Patterns instance;
  return instance;
}

// parser.py::_fix_fracs (on code points: piece[0] and piece[1] are characters).
std::string fix_fracs(const std::string& text) {
  std::vector<std::string> pieces = py::split(text, "\\frac");
  std::string out = pieces[0];
  for (size_t i = 1; i < pieces.size(); ++i) {
    out += "\\frac";
    const std::string& piece = pieces[i];
    if (!piece.empty() && piece[0] == '{') {
      out += piece;
      continue;
    }
    std::u32string cps = py::decode(piece);
    if (cps.size() < 2) return text;
    std::string a = py::encode(cps.substr(0, 1));
    std::string b = py::encode(cps.substr(1, 1));
    std::string rest = py::encode(cps.substr(2));
    if (b != "{") {
      out += "{" + a + "}{" + b + "}" + rest;
    } else {
      out += "{" + a + "}" + b + rest;
    }
  }
  return out;
}

// parser.py::_fix_a_slash_b: "a/b" with integer sides (or sides containing "sqrt") -> \frac{a}{b}.
std::string fix_a_slash_b(const std::string& text) {
  std::vector<std::string> sides = py::split(text, "/");
  if (sides.size() != 2) return text;
  for (const auto& side : sides) {
    if (!py::contains(side, "sqrt") && !py::is_canonical_int(side)) return text;
  }
  return "\\frac{" + sides[0] + "}{" + sides[1] + "}";
}

std::string convert_word_number(const std::string& text) {
  auto number = word_to_num(text);
  return number ? *number : text;
}

std::string strip_string_impl(std::string_view input, bool skip_unit, bool prefilter) {
  const Patterns& re = patterns();
  std::string s = py::strip(py::sanitize_utf8(input));
  s = py::replace(s, "\n", "");
  s = py::rstrip_chars(s, ".");
  s = py::replace(s, "\\!", "");

  s = re.array_begin.sub(s, "\\begin{pmatrix}");
  s = re.array_end.sub(s, "\\end{pmatrix}");
  s = py::replace(s, "bmatrix", "pmatrix");

  s = py::replace(s, "tfrac", "frac");
  s = py::replace(s, "dfrac", "frac");
  s = py::replace(py::replace(py::replace(s, "\\neq", "\\ne"), "\\leq", "\\le"), "\\geq", "\\ge");

  s = py::replace(s, "\\left", "");
  s = py::replace(s, "\\right", "");
  s = py::replace(s, "\\{", "{");
  s = py::replace(s, "\\}", "}");

  {  // trailing \text{...} (a unit) when something remains
    std::string without = py::strip(re.trailing_text.sub(s, ""));
    if (!without.empty() && without != s) s = without;
  }

  if (!skip_unit) {
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& unit : unit_patterns()) {
        if (prefilter && !py::contains(s, unit.literal)) continue;
        std::string without = unit.regex.sub(s, "$1$2");
        if (!without.empty()) s = without;
      }
    }
  }

  s = py::replace(s, "^{\\circ}", "");
  s = py::replace(s, "^\\circ", "");
  s = py::replace(s, "\\$", "");
  s = py::replace(s, "$", "");
  s = py::replace(py::replace(s, "\\(", ""), "\\)", "");

  s = convert_word_number(s);

  s = re.text_unwrap.sub(s, "$1");
  for (const char* key : {"x=", "y=", "z=", "x\\in", "y\\in", "z\\in", "x\\to", "y\\to", "z\\to"}) {
    s = py::replace(s, key, "");
  }
  s = py::replace(s, "\\emptyset", "{}");
  s = py::replace(s, "(-\\infty,\\infty)", "\\mathbb{R}");

  s = py::replace(s, "\\%", "");
  s = py::replace(s, "%", "");

  s = py::replace(s, " .", " 0.");
  s = py::replace(s, "{.", "{0.");
  // (The toolkit's "{x}"/"(x)"/"[x]" unwrap needs s.isalnum(), never true with brackets: dead.)

  s = py::replace(s, "infinity", "\\infty");
  if (!py::contains(s, "\\infty")) s = py::replace(s, "inf", "\\infty");
  s = py::replace(s, "+\\inity", "\\infty");

  s = py::replace(s, "and", "");
  s = py::replace(s, "\\mathbf", "");
  s = re.mbox.sub(s, "");

  if (py::contains(s, "j") && !py::contains(s, "i")) s = py::replace(s, "j", "i");

  s = re.zeros_before_nondigit.sub(s, "$1$2");
  s = re.zeros_at_end.sub(s, "$1");

  if (s.empty()) return s;
  if (s[0] == '.') s = "0" + s;

  {
    std::vector<std::string> sides = py::split(s, "=");
    if (sides.size() == 2 && py::length(sides[0]) <= 2) s = sides[1];
  }

  s = re.sqrt_word.sub(s, "\\sqrt{$1}");
  s = py::replace(s, " ", "");
  s = fix_fracs(s);
  s = fix_a_slash_b(s);
  return s;
}

// word2number 1.1 tables.
const std::map<std::string, long long>& number_words() {
  static const std::map<std::string, long long> table = {
      {"zero", 0},        {"one", 1},         {"two", 2},          {"three", 3},       {"four", 4},
      {"five", 5},        {"six", 6},         {"seven", 7},        {"eight", 8},       {"nine", 9},
      {"ten", 10},        {"eleven", 11},     {"twelve", 12},      {"thirteen", 13},   {"fourteen", 14},
      {"fifteen", 15},    {"sixteen", 16},    {"seventeen", 17},   {"eighteen", 18},   {"nineteen", 19},
      {"twenty", 20},     {"thirty", 30},     {"forty", 40},       {"fifty", 50},      {"sixty", 60},
      {"seventy", 70},    {"eighty", 80},     {"ninety", 90},      {"hundred", 100},   {"thousand", 1000},
      {"million", 1000000}, {"billion", 1000000000}};
  return table;
}

struct W2nError {};

// w2n.number_formation; an empty list raises IndexError in Python.
long long number_formation(const std::vector<std::string>& words) {
  if (words.empty()) throw W2nError{};
  std::vector<long long> n;
  for (const auto& w : words) n.push_back(number_words().at(w));
  if (n.size() == 4) return n[0] * n[1] + n[2] + n[3];
  if (n.size() == 3) return n[0] * n[1] + n[2];
  if (n.size() == 2) return std::find(n.begin(), n.end(), 100) != n.end() ? n[0] * n[1] : n[0] + n[1];
  return n[0];
}

}  // namespace

std::string strip_string(std::string_view text, bool skip_unit) { return strip_string_impl(text, skip_unit, true); }

std::string strip_string_reference(std::string_view text, bool skip_unit) {
  return strip_string_impl(text, skip_unit, false);
}

std::optional<std::string> word_to_num(std::string_view raw) {
  std::string sentence = py::lower(py::replace(raw, "-", " "));
  // str.isdigit(): non-empty and all digits (ASCII here); int() drops leading zeros.
  if (!sentence.empty() && std::all_of(sentence.begin(), sentence.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    size_t first = sentence.find_first_not_of('0');
    return first == std::string::npos ? std::string("0") : sentence.substr(first);
  }
  std::vector<std::string> clean;
  for (const auto& word : py::split_whitespace(sentence)) {
    if (word == "point" || number_words().count(word)) clean.push_back(word);
  }
  if (clean.empty()) return std::nullopt;
  auto occurrences = [&](const char* w) { return std::count(clean.begin(), clean.end(), w); };
  if (occurrences("thousand") > 1 || occurrences("million") > 1 || occurrences("billion") > 1 ||
      occurrences("point") > 1)
    return std::nullopt;
  std::vector<std::string> decimals;
  auto point = std::find(clean.begin(), clean.end(), "point");
  if (point != clean.end()) {
    decimals.assign(point + 1, clean.end());
    clean.erase(point, clean.end());
  }
  auto index_of = [&](const char* w) -> long {
    auto it = std::find(clean.begin(), clean.end(), w);
    return it == clean.end() ? -1 : static_cast<long>(it - clean.begin());
  };
  long billion = index_of("billion"), million = index_of("million"), thousand = index_of("thousand");
  if ((thousand > -1 && (thousand < million || thousand < billion)) || (million > -1 && million < billion))
    return std::nullopt;
  auto slice = [&](long from, long to) {
    return std::vector<std::string>(clean.begin() + from, clean.begin() + to);
  };
  long long total = 0;
  try {
    const long size = static_cast<long>(clean.size());
    if (size == 1) {
      total += number_words().at(clean[0]);
    } else if (size > 1) {
      if (billion > -1) total += number_formation(slice(0, billion)) * 1000000000LL;
      if (million > -1) {
        total += number_formation(billion > -1 ? slice(billion + 1, million) : slice(0, million)) * 1000000LL;
      }
      if (thousand > -1) {
        long from = million > -1 ? million + 1 : (billion > -1 ? billion + 1 : 0);
        total += number_formation(slice(from, thousand)) * 1000LL;
      }
      long long hundreds = 0;
      if (thousand > -1 && thousand != size - 1) {
        hundreds = number_formation(slice(thousand + 1, size));
      } else if (million > -1 && million != size - 1) {
        hundreds = number_formation(slice(million + 1, size));
      } else if (billion > -1 && billion != size - 1) {
        hundreds = number_formation(slice(billion + 1, size));
      } else if (thousand == -1 && million == -1 && billion == -1) {
        hundreds = number_formation(clean);
      }
      total += hundreds;
    }
  } catch (const W2nError&) {
    return std::nullopt;
  }
  if (!decimals.empty()) {
    // get_decimal_sum: "0." + digits, or 0 (an int) when any word is not zero..nine.
    std::string digits;
    for (const auto& w : decimals) {
      auto it = number_words().find(w);
      if (it == number_words().end() || it->second > 9) return std::to_string(total);
      digits += std::to_string(it->second);
    }
    return py::float_repr(static_cast<double>(total) + std::stod("0." + digits));
  }
  return std::to_string(total);
}

const char* const* unit_texts(size_t* count) {
  *count = sizeof(kUnitTexts) / sizeof(kUnitTexts[0]);
  return kUnitTexts;
}

}  // namespace lightreasoner::eval
