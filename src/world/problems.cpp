// The worlds' problem generator (see problems.h): seven story templates written out by hand,
// each drawing its numbers so every intermediate result is a positive integer, and the solution
// checker the generator runs on its own output. No file I/O here.
#include "lightreasoner/world/problems.h"

#include <algorithm>
#include <functional>
#include <regex>
#include <unordered_set>

#include "lightreasoner/core/error.h"
#include "lightreasoner/core/hash.h"

namespace lightreasoner::world {
namespace {

// SplitMix64: tiny, seedable, and identical everywhere (std:: distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi] (the modulo bias is < 1e-15 for these ranges).
  int64_t between(int64_t lo, int64_t hi) {
    LR_CHECK(lo <= hi, "world generator: empty range [" << lo << ", " << hi << "]");
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(between(0, static_cast<int64_t>(items.size()) - 1))];
  }

 private:
  uint64_t state_;
};

const std::vector<std::string> kNames = {"Mia", "Noah", "Lily", "Omar", "Zoe", "Ben", "Ava", "Sam",
                                         "Ella", "Leo", "Nina", "Tom", "Ruby", "Max", "Ivy", "Jack"};
const std::vector<std::string> kItems = {"apples", "pencils", "stickers", "marbles", "cards",
                                         "shells", "stamps",  "coins",    "beads",   "books"};
const std::vector<std::string> kFoods = {"cookies", "muffins", "rolls", "cakes", "pies"};

std::string str(int64_t v) { return std::to_string(v); }

struct Draft {
  std::string question;
  std::vector<std::string> lines;
  int64_t result = 0;
};

// Each story: 2–4 steps. Every operand and every result has two digits (10..99) except the small
// counts (boxes, weeks, rows, friends: 2..9). Why two digits: in the first version of this world
// (results up to three digits, products like 9 * 28) a 0.3M-parameter expert trained for 1500
// steps got 6% of its equations right and 1.5% of the valid problems; the method needs an expert
// that is right often enough to learn from, within minutes on a CPU.
using Story = std::function<Draft(Rng&)>;

Draft packs(Rng& rng) {  // 2 steps: a * b, then - c
  const std::string name = rng.pick(kNames), item = rng.pick(kItems);
  const int64_t a = rng.between(2, 9), b = rng.between(10, 99 / a), x = a * b, c = rng.between(10, x - 10), y = x - c;
  return {name + " buys " + str(a) + " boxes of " + item + " with " + str(b) + " " + item + " in each box. " + name +
              " gives away " + str(c) + " " + item + ". How many " + item + " does " + name + " have left?",
          {name + " buys " + str(a) + " * " + str(b) + " = " + str(x) + " " + item + ".",
           name + " has " + str(x) + " - " + str(c) + " = " + str(y) + " " + item + " left."},
          y};
}

Draft savings(Rng& rng) {  // 3 steps: b * c, a + x, y - d
  const std::string name = rng.pick(kNames);
  const int64_t c = rng.between(2, 4), b = rng.between(10, 80 / c), x = b * c, a = rng.between(10, 99 - x), y = a + x;
  const int64_t d = rng.between(10, y - 10), z = y - d;
  return {name + " has " + str(a) + " dollars. " + name + " earns " + str(b) + " dollars a week for " + str(c) +
              " weeks and then spends " + str(d) + " dollars. How many dollars does " + name + " have now?",
          {name + " earns " + str(b) + " * " + str(c) + " = " + str(x) + " dollars.",
           "Then " + name + " has " + str(a) + " + " + str(x) + " = " + str(y) + " dollars.",
           "After spending, " + name + " has " + str(y) + " - " + str(d) + " = " + str(z) + " dollars."},
          z};
}

Draft bakery(Rng& rng) {  // 4 steps: a * b, c + d, x - s, y + e
  const std::string food = rng.pick(kFoods);
  const int64_t a = rng.between(3, 9), b = rng.between(10, 99 / a), x = a * b;
  const int64_t c = rng.between(10, x - 20), d = rng.between(10, x - 10 - c), s = c + d, y = x - s;
  const int64_t e = rng.between(10, 99 - y), z = y + e;
  return {"A bakery makes " + str(a) + " trays of " + str(b) + " " + food + ". It sells " + str(c) + " " + food +
              " in the morning and " + str(d) + " in the afternoon. Then it makes " + str(e) + " more. How many " +
              food + " does it have now?",
          {"It makes " + str(a) + " * " + str(b) + " = " + str(x) + " " + food + ".",
           "It sells " + str(c) + " + " + str(d) + " = " + str(s) + " " + food + ".",
           "It has " + str(x) + " - " + str(s) + " = " + str(y) + " " + food + " left.",
           "Then it has " + str(y) + " + " + str(e) + " = " + str(z) + " " + food + "."},
          z};
}

Draft sharing(Rng& rng) {  // 2 steps: a + b, x / c
  const std::string name = rng.pick(kNames), item = rng.pick(kItems);
  const int64_t c = rng.between(2, 9), y = rng.between(10, 99 / c), x = c * y, a = rng.between(10, x - 10), b = x - a;
  return {name + " has " + str(a) + " " + item + " and finds " + str(b) + " more. " + name +
              " shares them equally among " + str(c) + " friends. How many " + item + " does each friend get?",
          {name + " has " + str(a) + " + " + str(b) + " = " + str(x) + " " + item + ".",
           "Each friend gets " + str(x) + " / " + str(c) + " = " + str(y) + " " + item + "."},
          y};
}

Draft friends(Rng& rng) {  // 4 steps: a + b, x - c, a + x, s + y
  std::string first = rng.pick(kNames), second = rng.pick(kNames), third = rng.pick(kNames);
  while (second == first) second = rng.pick(kNames);
  while (third == first || third == second) third = rng.pick(kNames);
  const std::string item = rng.pick(kItems);
  // t = s + y = a + 2x - c <= 99 bounds c from below.
  const int64_t a = rng.between(10, 29), b = rng.between(10, 30), x = a + b;
  const int64_t c = rng.between(std::max<int64_t>(10, a + 2 * x - 99), x - 10), y = x - c;
  const int64_t s = a + x, t = s + y;
  return {first + " has " + str(a) + " " + item + ". " + second + " has " + str(b) + " more " + item + " than " + first +
              ". " + third + " has " + str(c) + " fewer " + item + " than " + second + ". How many " + item +
              " do the three have in total?",
          {second + " has " + str(a) + " + " + str(b) + " = " + str(x) + " " + item + ".",
           third + " has " + str(x) + " - " + str(c) + " = " + str(y) + " " + item + ".",
           first + " and " + second + " have " + str(a) + " + " + str(x) + " = " + str(s) + " " + item + ".",
           "All three have " + str(s) + " + " + str(y) + " = " + str(t) + " " + item + "."},
          t};
}

Draft bus(Rng& rng) {  // 3 steps: a - b, x + c, y - d
  const int64_t a = rng.between(30, 99), b = rng.between(10, a - 20), x = a - b, c = rng.between(10, 99 - x), y = x + c;
  const int64_t d = rng.between(10, y - 10), z = y - d;
  return {"A bus has " + str(a) + " people. At the first stop " + str(b) + " people get off and " + str(c) +
              " get on. At the second stop " + str(d) + " people get off. How many people are on the bus now?",
          {"After " + str(b) + " get off, there are " + str(a) + " - " + str(b) + " = " + str(x) + " people.",
           "After " + str(c) + " get on, there are " + str(x) + " + " + str(c) + " = " + str(y) + " people.",
           "At the second stop, " + str(y) + " - " + str(d) + " = " + str(z) + " people are left."},
          z};
}

Draft garden(Rng& rng) {  // 3 steps: a * b, c * d, x + y
  const std::string name = rng.pick(kNames);
  const int64_t a = rng.between(2, 7), b = rng.between(10, 79 / a), x = a * b;
  const int64_t c = rng.between(2, (99 - x) / 10), d = rng.between(10, (99 - x) / c), y = c * d, z = x + y;
  return {name + " plants " + str(a) + " rows of " + str(b) + " roses and " + str(c) + " rows of " + str(d) +
              " tulips. How many flowers does " + name + " plant?",
          {name + " plants " + str(a) + " * " + str(b) + " = " + str(x) + " roses.",
           name + " plants " + str(c) + " * " + str(d) + " = " + str(y) + " tulips.",
           "In total " + name + " plants " + str(x) + " + " + str(y) + " = " + str(z) + " flowers."},
          z};
}

const std::vector<std::pair<std::string, Story>>& stories() {
  static const std::vector<std::pair<std::string, Story>> kStories = {
      {"packs", packs}, {"savings", savings}, {"bakery", bakery}, {"sharing", sharing},
      {"friends", friends}, {"bus", bus}, {"garden", garden}};
  return kStories;
}

}  // namespace

std::vector<std::string> story_names() {
  std::vector<std::string> names;
  for (const auto& [name, _] : stories()) names.push_back(name);
  return names;
}

WorldSplits generate_world(const WorldOptions& options) {
  LR_CHECK(options.train_count >= 0 && options.valid_count >= 0 && options.test_count >= 0,
           "world: counts must be >= 0 (train " << options.train_count << ", valid " << options.valid_count
                                                << ", test " << options.test_count << ")");
  LR_CHECK(options.test_percent > 0 && options.test_percent < 100,
           "world: test_percent must be in 1..99, got " << options.test_percent);
  Rng rng(options.seed);
  WorldSplits splits;
  std::unordered_set<std::string> seen;
  auto full = [](const std::vector<WorldProblem>& split, int64_t count) {
    return static_cast<int64_t>(split.size()) >= count;
  };
  const int64_t wanted = options.train_count + options.valid_count + options.test_count;
  const int64_t max_draws = 50 * wanted + 1000;  // the question space is far larger; this only stops a runaway loop
  for (int64_t draw = 0; draw < max_draws; ++draw) {
    if (full(splits.train, options.train_count) && full(splits.valid, options.valid_count) &&
        full(splits.test, options.test_count))
      break;
    const auto& [story, make] = stories()[static_cast<size_t>(rng.between(0, static_cast<int64_t>(stories().size()) - 1))];
    Draft draft = make(rng);
    if (!seen.insert(draft.question).second) continue;
    Fnv64 hash;
    hash.add(draft.question);
    const bool is_test = static_cast<int>(hash.value() % 100) < options.test_percent;
    const bool is_train = !is_test && !full(splits.train, options.train_count);
    auto& split = is_test ? splits.test : is_train ? splits.train : splits.valid;
    if (full(split, is_test ? options.test_count : is_train ? options.train_count : options.valid_count)) continue;
    WorldProblem p;
    p.id = std::string(is_test ? "test-" : is_train ? "train-" : "valid-") + std::to_string(split.size());
    p.question = std::move(draft.question);
    for (const auto& line : draft.lines) p.answer += line + "\n";
    p.answer += "#### " + str(draft.result);
    p.result = draft.result;
    p.steps = static_cast<int>(draft.lines.size());
    p.story = story;
    std::string problem_error = check_solution(p);
    LR_CHECK(problem_error.empty(), "world generator: story '" << story << "' wrote a wrong solution: " << problem_error);
    split.push_back(std::move(p));
  }
  LR_CHECK(full(splits.train, options.train_count) && full(splits.valid, options.valid_count) &&
               full(splits.test, options.test_count),
           "world: could not draw " << options.train_count << " train + " << options.valid_count << " valid + "
                                    << options.test_count << " test distinct problems (got " << splits.train.size()
                                    << " + " << splits.valid.size() << " + " << splits.test.size() << ")");
  return splits;
}

std::string check_solution(const WorldProblem& problem) {
  static const std::regex equation(R"((\d+) ([-+*/]) (\d+) = (\d+))");
  int equations = 0;
  int64_t last = -1;
  for (std::sregex_iterator it(problem.answer.begin(), problem.answer.end(), equation), end; it != end; ++it) {
    const int64_t a = std::stoll((*it)[1]), b = std::stoll((*it)[3]), c = std::stoll((*it)[4]);
    const char op = (*it)[2].str()[0];
    const int64_t want = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : (b != 0 && a % b == 0 ? a / b : -1);
    if (want != c) return "'" + it->str() + "' (expected " + str(want) + ")";
    ++equations;
    last = c;
  }
  if (equations != problem.steps) return str(equations) + " equations for " + str(problem.steps) + " steps";
  const std::string tail = "#### " + str(problem.result);
  if (problem.answer.size() < tail.size() || problem.answer.compare(problem.answer.size() - tail.size(), tail.size(), tail) != 0)
    return "the answer does not end in '" + tail + "'";
  if (last != problem.result) return "the last step gives " + str(last) + ", the answer says " + str(problem.result);
  return "";
}

}  // namespace lightreasoner::world
