// GiNaC-backed symbolic_equal (see symbolic.h). The parser is a recursive-descent reading of
// sympy's LaTeX grammar (relation > additive > mp > unary/implicit product > postfix ! > ^ >
// atoms, groups, \frac, \sqrt, \binom, functions, |abs|) with a depth limit; equality follows
// grader.py's order of checks. GiNaC exceptions (division by zero, overflow) are caught.
#include "lightreasoner/eval/symbolic.h"

#include <ginac/ginac.h>

#include <cmath>
#include <complex>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "lightreasoner/core/pytext.h"

namespace lightreasoner::eval {

const char* verdict_name(SymbolicVerdict verdict) {
  switch (verdict) {
    case SymbolicVerdict::kEqual: return "equal";
    case SymbolicVerdict::kDifferent: return "different";
    case SymbolicVerdict::kUndecided: return "undecided";
  }
  return "?";
}

namespace {

// Parse outcomes: a failure is what sympy's parsers would also reject (-> not equal); an
// undecided input is one sympy would read but this port does not.
struct ParseFailure {
  std::string reason;
};
struct ParseUndecided {
  std::string reason;
};

enum class TokenKind { kNumber, kLetter, kCommand, kChar, kEnd };
struct Token {
  TokenKind kind;
  std::string text;  // number digits (no separators), letter, command name (no '\'), or char
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> tokens;
  size_t i = 0;
  auto digits_at = [&](size_t pos, size_t n) {
    if (pos + n > s.size()) return false;
    for (size_t k = 0; k < n; ++k)
      if (!is_digit(s[pos + k])) return false;
    return pos + n == s.size() || !is_digit(s[pos + n]);
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (is_digit(c) || (c == '.' && i + 1 < s.size() && is_digit(s[i + 1]))) {
      std::string number;
      while (i < s.size() && is_digit(s[i])) number.push_back(s[i++]);
      // Thousands groups: "1,000" (sympy's NUMBER rule) and "1\,000" (a thin space).
      while (!number.empty() && i < s.size()) {
        if (s[i] == ',' && digits_at(i + 1, 3)) {
          number.append(s.substr(i + 1, 3));
          i += 4;
        } else if (s.compare(i, 2, "\\,") == 0 && digits_at(i + 2, 3)) {
          number.append(s.substr(i + 2, 3));
          i += 5;
        } else {
          break;
        }
      }
      if (i < s.size() && s[i] == '.' && i + 1 < s.size() && is_digit(s[i + 1])) {
        number.push_back(s[i++]);
        while (i < s.size() && is_digit(s[i])) number.push_back(s[i++]);
      }
      tokens.push_back({TokenKind::kNumber, number});
    } else if (is_alpha(c)) {
      tokens.push_back({TokenKind::kLetter, std::string(1, c)});
      ++i;
    } else if (c == '\\') {
      size_t start = ++i;
      while (i < s.size() && is_alpha(s[i])) ++i;
      std::string name(s.substr(start, i - start));
      if (name.empty()) {
        if (i < s.size() && (s[i] == ',' || s[i] == ';' || s[i] == ':' || s[i] == '!' || s[i] == ' ')) {
          ++i;  // spacing commands
          continue;
        }
        if (i < s.size() && (s[i] == '{' || s[i] == '}')) {
          tokens.push_back({TokenKind::kChar, std::string(1, s[i++])});
          continue;
        }
        throw ParseFailure{"lexer: '\\' not followed by a command"};
      }
      if (name == "quad" || name == "qquad" || name == "left" || name == "right" || name == "displaystyle") continue;
      tokens.push_back({TokenKind::kCommand, name});
    } else if (std::string_view("+-*/^_()[]{}|!=<>,").find(c) != std::string_view::npos) {
      tokens.push_back({TokenKind::kChar, std::string(1, c)});
      ++i;
    } else {
      throw ParseFailure{std::string("lexer: unexpected character '") + c + "'"};
    }
  }
  tokens.push_back({TokenKind::kEnd, ""});
  return tokens;
}

struct Parsed {
  GiNaC::ex lhs;
  std::optional<GiNaC::ex> rhs;  // set for a relation
  std::string relation;          // "=", "<", ">", "le", "ge", "ne"
};

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::map<std::string, GiNaC::symbol>& symbols, int max_depth)
      : tokens_(std::move(tokens)), symbols_(symbols), max_depth_(max_depth) {}

  // relation; anything after a complete relation is ignored (sympy's non-strict parse).
  Parsed parse() {
    Parsed out;
    out.lhs = expr();
    if (auto rel = relation_at()) {
      out.relation = *rel;
      ++pos_;
      out.rhs = expr();
      if (relation_at()) throw ParseUndecided{"chained relation"};
    }
    return out;
  }

 private:
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > p.max_depth_) throw ParseUndecided{"nesting deeper than the parser limit"};
    }
    ~DepthGuard() { --p.depth_; }
  };

  const Token& peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  bool at_char(const char* c, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::kChar && peek(ahead).text == c;
  }
  bool at_command(const char* name) const { return peek().kind == TokenKind::kCommand && peek().text == name; }
  void expect_char(const char* c) {
    if (!at_char(c)) throw ParseFailure{std::string("expected '") + c + "'"};
    ++pos_;
  }

  std::optional<std::string> relation_at() const {
    const Token& t = peek();
    if (t.kind == TokenKind::kChar && (t.text == "=" || t.text == "<" || t.text == ">")) return t.text;
    if (t.kind == TokenKind::kCommand) {
      static const std::map<std::string, std::string> names = {{"le", "le"}, {"leq", "le"}, {"ge", "ge"},
                                                                {"geq", "ge"}, {"ne", "ne"},  {"neq", "ne"},
                                                                {"lt", "<"},   {"gt", ">"}};
      auto it = names.find(t.text);
      if (it != names.end()) return it->second;
    }
    return std::nullopt;
  }

  GiNaC::ex expr() {
    DepthGuard guard(*this);
    GiNaC::ex value = mp();
    while (at_char("+") || at_char("-")) {
      bool minus = at_char("-");
      size_t saved = pos_++;
      if (peek().kind == TokenKind::kEnd) {  // a dangling operator at the very end: ignored
        pos_ = saved;
        break;
      }
      GiNaC::ex rhs = mp();
      value = minus ? value - rhs : value + rhs;
    }
    return value;
  }

  bool at_mul_op() const {
    return at_char("*") || at_char("/") || at_command("cdot") || at_command("times") || at_command("div");
  }

  GiNaC::ex mp() {
    DepthGuard guard(*this);
    GiNaC::ex value = unary();
    while (at_mul_op()) {
      bool divide = at_char("/") || at_command("div");
      size_t saved = pos_++;
      if (peek().kind == TokenKind::kEnd) {
        pos_ = saved;
        break;
      }
      GiNaC::ex rhs = unary();
      if (divide) {
        if (rhs.is_zero()) throw ParseFailure{"division by zero"};
        value = value / rhs;
      } else {
        value = value * rhs;
      }
    }
    return value;
  }

  // Can the current token start another factor of an implicit product?
  bool starts_factor() const {
    const Token& t = peek();
    if (t.kind == TokenKind::kNumber || t.kind == TokenKind::kLetter) return true;
    if (t.kind == TokenKind::kChar) return t.text == "(" || t.text == "[" || t.text == "{" || (t.text == "|" && abs_depth_ == 0);
    if (t.kind == TokenKind::kCommand) return !relation_at() && !at_mul_op();
    return false;
  }

  GiNaC::ex unary() {
    DepthGuard guard(*this);
    if (at_char("+")) {
      ++pos_;
      return unary();
    }
    if (at_char("-")) {
      ++pos_;
      return -unary();
    }
    GiNaC::ex value = postfix();
    while (starts_factor()) value = value * postfix();
    return value;
  }

  GiNaC::ex postfix() {
    DepthGuard guard(*this);
    GiNaC::ex value = power();
    while (at_char("!")) {
      ++pos_;
      if (!GiNaC::is_a<GiNaC::numeric>(value) || !GiNaC::ex_to<GiNaC::numeric>(value).is_nonneg_integer())
        throw ParseUndecided{"factorial of a non-integer"};
      if (GiNaC::ex_to<GiNaC::numeric>(value) > 2000) throw ParseUndecided{"factorial too large"};
      value = GiNaC::factorial(value);
    }
    return value;
  }

  GiNaC::ex exponent_operand() {
    if (at_char("{")) {
      ++pos_;
      GiNaC::ex e = expr();
      expect_char("}");
      return e;
    }
    const Token& t = peek();
    if (t.kind == TokenKind::kNumber || t.kind == TokenKind::kLetter || t.kind == TokenKind::kCommand) return atom();
    throw ParseFailure{"bad exponent"};
  }

  GiNaC::ex power() {
    DepthGuard guard(*this);
    GiNaC::ex base = component();
    while (at_char("^")) {
      ++pos_;
      base = safe_pow(base, exponent_operand());
    }
    return base;
  }

  // GiNaC evaluates powers of exact numbers eagerly: refuse results too large to compute in
  // bounded time (sympy would keep some unevaluated), and huge symbolic exponents.
  static GiNaC::ex safe_pow(const GiNaC::ex& base, const GiNaC::ex& exponent) {
    if (GiNaC::is_a<GiNaC::numeric>(exponent)) {
      const auto& e = GiNaC::ex_to<GiNaC::numeric>(exponent);
      if (e.is_rational()) {
        GiNaC::numeric magnitude = GiNaC::abs(e.numer());
        if (magnitude > 4096) throw ParseUndecided{"exponent too large"};
        if (GiNaC::is_a<GiNaC::numeric>(base) && GiNaC::ex_to<GiNaC::numeric>(base).is_rational()) {
          const auto& b = GiNaC::ex_to<GiNaC::numeric>(base);
          long bits = b.numer().int_length() + b.denom().int_length();
          if (magnitude * bits > 400000) throw ParseUndecided{"power too large to evaluate exactly"};
        }
      }
    }
    return GiNaC::pow(base, exponent);
  }

  GiNaC::ex braced() {
    expect_char("{");
    GiNaC::ex e = expr();
    expect_char("}");
    return e;
  }

  GiNaC::ex component() {
    DepthGuard guard(*this);
    const Token& t = peek();
    if (t.kind == TokenKind::kChar) {
      if (t.text == "(" || t.text == "[" || t.text == "{") {
        const char* close = t.text == "(" ? ")" : t.text == "[" ? "]" : "}";
        ++pos_;
        GiNaC::ex e = expr();
        expect_char(close);
        return e;
      }
      if (t.text == "|") {
        ++pos_;
        ++abs_depth_;
        GiNaC::ex e = expr();
        --abs_depth_;
        expect_char("|");
        return GiNaC::abs(e);
      }
      throw ParseFailure{"unexpected '" + t.text + "'"};
    }
    if (t.kind == TokenKind::kCommand) return command();
    return atom();
  }

  GiNaC::ex symbol(const std::string& name) {
    auto it = symbols_.find(name);
    if (it == symbols_.end()) it = symbols_.emplace(name, GiNaC::symbol(name)).first;
    return it->second;
  }

  // Subscript text: _x, _1, _{...} (kept literally as part of the symbol name).
  std::string subscript() {
    if (!at_char("_")) return "";
    ++pos_;
    const Token& t = peek();
    if (t.kind == TokenKind::kNumber || t.kind == TokenKind::kLetter) {
      ++pos_;
      return "_" + t.text;
    }
    if (at_char("{")) {
      std::string text = "_{";
      int depth = 0;
      while (true) {
        const Token& u = peek();
        if (u.kind == TokenKind::kEnd) throw ParseFailure{"unclosed subscript"};
        bool open = u.kind == TokenKind::kChar && u.text == "{";
        bool close = u.kind == TokenKind::kChar && u.text == "}";
        ++pos_;
        if (open && depth++ == 0) continue;
        if (close && --depth == 0) break;
        text += (u.kind == TokenKind::kCommand ? "\\" : "") + u.text;
      }
      return text + "}";
    }
    throw ParseFailure{"bad subscript"};
  }

  GiNaC::ex number(const std::string& digits) {
    size_t dot = digits.find('.');
    std::string whole = dot == std::string::npos ? digits : digits.substr(0, dot) + digits.substr(dot + 1);
    size_t first = whole.find_first_not_of('0');
    whole = first == std::string::npos ? "0" : whole.substr(first);
    if (whole.size() > 4000) throw ParseUndecided{"number too long"};
    GiNaC::numeric value(whole.c_str());
    if (dot != std::string::npos) value = value / GiNaC::pow(GiNaC::numeric(10), GiNaC::numeric(long(digits.size() - dot - 1)));
    return value;
  }

  GiNaC::ex atom() {
    DepthGuard guard(*this);
    const Token t = peek();
    if (t.kind == TokenKind::kNumber) {
      ++pos_;
      return number(t.text);
    }
    if (t.kind == TokenKind::kLetter) {
      ++pos_;
      std::string name = t.text + subscript();
      if (at_char("(")) {  // f(x): an applied undefined function, kept opaque but comparable
        ++pos_;
        std::vector<GiNaC::ex> args{expr()};
        while (at_char(",")) {
          ++pos_;
          args.push_back(expr());
        }
        expect_char(")");
        std::ostringstream key;
        key << name << "(";
        for (size_t i = 0; i < args.size(); ++i) key << (i ? "," : "") << args[i].expand();
        key << ")";
        return symbol(key.str());
      }
      return symbol(name);
    }
    if (t.kind == TokenKind::kCommand) return command();
    throw ParseFailure{"expected an operand"};
  }

  // Argument of \sin-like functions: a group, or an implicit product without parentheses.
  GiNaC::ex function_argument() {
    if (at_char("(") || at_char("{") || at_char("[")) return component();
    GiNaC::ex value = postfix();
    while (starts_factor() && !(peek().kind == TokenKind::kCommand && is_function(peek().text))) value = value * postfix();
    return value;
  }

  static bool is_function(const std::string& name) {
    static const std::set<std::string> names = {"sin",  "cos",    "tan",    "sec",    "csc",  "cot",  "arcsin",
                                                "arccos", "arctan", "sinh", "cosh", "tanh", "ln",   "log",
                                                "exp"};
    return names.count(name) > 0;
  }

  GiNaC::ex apply_function(const std::string& name, const GiNaC::ex& x, const std::optional<GiNaC::ex>& log_base) {
    if (name == "sin") return GiNaC::sin(x);
    if (name == "cos") return GiNaC::cos(x);
    if (name == "tan") return GiNaC::tan(x);
    if (name == "sec") return 1 / GiNaC::cos(x);
    if (name == "csc") return 1 / GiNaC::sin(x);
    if (name == "cot") return GiNaC::cos(x) / GiNaC::sin(x);
    if (name == "arcsin") return GiNaC::asin(x);
    if (name == "arccos") return GiNaC::acos(x);
    if (name == "arctan") return GiNaC::atan(x);
    if (name == "sinh") return GiNaC::sinh(x);
    if (name == "cosh") return GiNaC::cosh(x);
    if (name == "tanh") return GiNaC::tanh(x);
    if (name == "exp") return GiNaC::exp(x);
    if (name == "log" && log_base) return GiNaC::log(x) / GiNaC::log(*log_base);
    return GiNaC::log(x);  // \ln, and \log without a base (natural, as sympy)
  }

  GiNaC::ex command() {
    DepthGuard guard(*this);
    const std::string name = peek().text;
    ++pos_;
    if (name == "frac" || name == "dfrac" || name == "tfrac") {
      GiNaC::ex num = braced();
      GiNaC::ex den = braced();
      if (den.is_zero()) throw ParseFailure{"division by zero"};
      return num / den;
    }
    if (name == "binom") {
      GiNaC::ex n = braced();
      GiNaC::ex k = braced();
      return GiNaC::binomial(n, k);
    }
    if (name == "sqrt") {
      std::optional<GiNaC::ex> root;
      if (at_char("[")) {
        ++pos_;
        root = expr();
        expect_char("]");
      }
      GiNaC::ex radicand = at_char("{") ? braced() : atom();
      return root ? GiNaC::pow(radicand, 1 / *root) : GiNaC::sqrt(radicand);
    }
    if (is_function(name)) {
      std::optional<GiNaC::ex> log_base, power;
      if (name == "log" && at_char("_")) {
        ++pos_;
        log_base = at_char("{") ? braced() : atom();
      }
      if (at_char("^")) {
        ++pos_;
        power = exponent_operand();
      }
      GiNaC::ex value = apply_function(name, function_argument(), log_base);
      return power ? safe_pow(value, *power) : value;
    }
    static const std::set<std::string> unsupported = {
        "int",   "iint",  "oint",  "sum",    "prod",   "lim",    "partial", "begin",    "end",
        "mathrm", "text", "operatorname", "overline", "lfloor", "rfloor", "lceil", "rceil",
        "mathbb", "vec",  "hat",   "bar",    "infty",  "to",     "circ",    "mathit",   "angle",
        "cup",   "cap",   "in",    "notin",  "subset", "pm",     "mp",      "boxed",    "deg",
        "prime", "ldots", "cdots", "dots",   "min",    "max",    "gcd",     "det",      "arg"};
    if (unsupported.count(name)) throw ParseUndecided{"\\" + name + " is not supported by the C++ parser"};
    if (name == "cdot" || name == "times" || name == "div") throw ParseFailure{"operator without a left operand"};
    return symbol("\\" + name + subscript());  // sympy: any other \command is a plain symbol (\pi, \alpha)
  }

  std::vector<Token> tokens_;
  std::map<std::string, GiNaC::symbol>& symbols_;
  size_t pos_ = 0;
  int depth_ = 0;
  int max_depth_;
  int abs_depth_ = 0;
};

enum class ParseStatus { kOk, kFail, kUndecided };

struct ParseResult {
  ParseStatus status = ParseStatus::kFail;
  Parsed value;
  std::string message;
};

// grader.py::_parse: the text with "\\\\" -> "\\" first, then the raw text.
ParseResult parse_text(std::string_view text, std::map<std::string, GiNaC::symbol>& symbols,
                       const SymbolicLimits& limits) {
  ParseResult result;
  if (text.size() > limits.max_chars) {
    result.status = ParseStatus::kUndecided;
    result.message = "input longer than " + std::to_string(limits.max_chars) + " characters";
    return result;
  }
  std::string first = py::replace(text, "\\\\", "\\");
  std::vector<std::string> attempts{first};
  if (first != text) attempts.emplace_back(text);
  for (const auto& attempt : attempts) {
    try {
      Parser parser(tokenize(attempt), symbols, limits.max_depth);
      result.value = parser.parse();
      result.status = ParseStatus::kOk;
      return result;
    } catch (const ParseUndecided& e) {
      result.status = ParseStatus::kUndecided;
      result.message = e.reason;
    } catch (const ParseFailure& e) {
      if (result.status != ParseStatus::kUndecided) result.message = e.reason;
    } catch (const std::exception& e) {  // GiNaC arithmetic errors while building
      if (result.status != ParseStatus::kUndecided) result.message = e.what();
    }
  }
  return result;
}

using Complex = std::complex<double>;

std::optional<Complex> to_complex(const GiNaC::ex& value) {
  GiNaC::ex v = value.evalf();
  if (!GiNaC::is_a<GiNaC::numeric>(v)) return std::nullopt;
  const auto& n = GiNaC::ex_to<GiNaC::numeric>(v);
  Complex c(n.real().to_double(), n.imag().to_double());
  if (!std::isfinite(c.real()) || !std::isfinite(c.imag())) return std::nullopt;
  return c;
}

bool isclose(double a, double b, double rel) { return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)); }

bool timed_out(const SymbolicLimits& limits) { return std::chrono::steady_clock::now() > limits.deadline; }

// Equality of two expressions as sympy's chain decides it (str/==, simplify(a-b)==0, N() rel 1e-4).
SymbolicVerdict expressions_equal(const GiNaC::ex& a, const GiNaC::ex& b,
                                  const std::map<std::string, GiNaC::symbol>& symbols, const SymbolicLimits& limits) {
  if (a.is_equal(b)) return SymbolicVerdict::kEqual;
  GiNaC::lst free;
  for (const auto& [name, sym] : symbols) {
    if (a.has(sym) || b.has(sym)) free.append(sym);
  }
  if (free.nops() == 0) {
    // Constants: exact zero difference, else float(N(a)) vs float(N(b)) with rel 1e-4 (real only).
    auto va = to_complex(a), vb = to_complex(b);
    if (!va || !vb) return SymbolicVerdict::kUndecided;
    double scale = std::max({1.0, std::abs(*va), std::abs(*vb)});
    if (std::abs(*va - *vb) <= 1e-12 * scale) return SymbolicVerdict::kEqual;
    if (va->imag() != 0.0 || vb->imag() != 0.0) return SymbolicVerdict::kDifferent;
    return isclose(va->real(), vb->real(), 1e-4) ? SymbolicVerdict::kEqual : SymbolicVerdict::kDifferent;
  }
  // With free symbols sympy needs simplify(a - b) == 0: an identity. Stand-in: agreement at
  // random points (fixed seed), tolerance relative to the values' size.
  // Points of both signs (|v| in [0.3, 2.7]) so that |x| vs x or sqrt(x^2) vs x differ, as they
  // do for sympy's complex symbols.
  std::mt19937_64 rng(0x5eed);
  std::uniform_real_distribution<double> magnitude(0.3, 2.7);
  std::bernoulli_distribution negative(0.5);
  int agreed = 0;
  for (int attempt = 0; attempt < 12 && agreed < 5; ++attempt) {
    if (timed_out(limits)) return SymbolicVerdict::kUndecided;
    GiNaC::exmap point;
    for (const auto& sym : free) point[sym] = GiNaC::numeric(negative(rng) ? -magnitude(rng) : magnitude(rng));
    try {
      auto va = to_complex(a.subs(point)), vb = to_complex(b.subs(point));
      if (!va || !vb) continue;
      double scale = std::max({1.0, std::abs(*va), std::abs(*vb)});
      if (std::abs(*va - *vb) > 1e-8 * scale) return SymbolicVerdict::kDifferent;
      ++agreed;
    } catch (const std::exception&) {
      continue;  // a pole at this point: try another
    }
  }
  return agreed >= 3 ? SymbolicVerdict::kEqual : SymbolicVerdict::kUndecided;
}

}  // namespace

SymbolicVerdict symbolic_equal(std::string_view a, std::string_view b, const SymbolicLimits& limits) {
  std::map<std::string, GiNaC::symbol> symbols;
  ParseResult pa = parse_text(a, symbols, limits);
  ParseResult pb = parse_text(b, symbols, limits);
  if (pa.status == ParseStatus::kUndecided || pb.status == ParseStatus::kUndecided) {
    // sympy may still fail on the other side; a failed side alone decides "different".
    if (pa.status == ParseStatus::kFail || pb.status == ParseStatus::kFail) return SymbolicVerdict::kDifferent;
    return SymbolicVerdict::kUndecided;
  }
  // grader.py keeps the raw string when every parser fails; str(a) == str(b) then compares them.
  if (pa.status == ParseStatus::kFail || pb.status == ParseStatus::kFail) {
    return pa.status == pb.status && a == b ? SymbolicVerdict::kEqual : SymbolicVerdict::kDifferent;
  }
  try {
    const Parsed& x = pa.value;
    const Parsed& y = pb.value;
    if (x.rhs.has_value() != y.rhs.has_value()) return SymbolicVerdict::kDifferent;
    if (!x.rhs) return expressions_equal(x.lhs, y.lhs, symbols, limits);
    if (x.relation != y.relation) return SymbolicVerdict::kDifferent;
    if (x.lhs.is_equal(y.lhs) && x.rhs->is_equal(*y.rhs)) return SymbolicVerdict::kEqual;
    if (x.relation != "=") return SymbolicVerdict::kDifferent;
    // abs(a.lhs - a.rhs).equals(abs(b.lhs - b.rhs))
    return expressions_equal(GiNaC::abs(x.lhs - *x.rhs), GiNaC::abs(y.lhs - *y.rhs), symbols, limits);
  } catch (const std::exception&) {
    return SymbolicVerdict::kUndecided;
  }
}

std::string describe_parse(std::string_view text, bool python_syntax) {
  std::map<std::string, GiNaC::symbol> symbols;
  ParseResult result = parse_text(text, symbols, SymbolicLimits{});
  if (result.status == ParseStatus::kFail) return "error: " + result.message;
  if (result.status == ParseStatus::kUndecided) return "undecided: " + result.message;
  std::ostringstream out;
  if (python_syntax) out << GiNaC::python;
  out << result.value.lhs;
  if (result.value.rhs) out << " " << result.value.relation << " " << *result.value.rhs;
  return out.str();
}

}  // namespace lightreasoner::eval
