// Command-line options of the benchmarks: "--name value" pairs. A name without a value, a name the
// bench does not know, or a number or switch that does not parse stops the bench with exit status 2
// and a line naming the option, so a bench never runs with a setting it silently ignored (a typo in
// scripts/gpu_goals.sh would otherwise measure the defaults). bench_contrast's positional numbers go
// through the same integer check. Header-only, no LibTorch; what each option means stays with its bench.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lightreasoner::bench {

class Options {
 public:
  Options(const char* bench, int argc, char** argv) : bench_(bench) {
    for (int i = 1; i < argc; i += 2) {
      const std::string name = argv[i];
      if (name == "--help" || name == "-h") {
        std::printf("%s: options are --name value pairs; the opening comment of bench/%s.cpp lists them\n", bench_,
                    bench_);
        std::exit(0);
      }
      if (name.rfind("--", 0) != 0) fail("expected an option --name, got '" + name + "'");
      if (i + 1 >= argc) fail("option " + name + " needs a value");
      pairs_.emplace_back(name, argv[i + 1]);
    }
  }

  // In command-line order; the bench's if-chain ends with unknown(name).
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

  long long integer(const std::string& name, const std::string& value) const { return parse_integer(bench_, name, value); }

  bool flag(const std::string& name, const std::string& value) const {
    if (value != "0" && value != "1") fail(name + " needs 0 or 1, got '" + value + "'");
    return value == "1";
  }

  [[noreturn]] void unknown(const std::string& name) const { fail("unknown option " + name); }

  [[noreturn]] void fail(const std::string& message) const { fail_bench(bench_, message); }

  [[noreturn]] static void fail_bench(const char* bench, const std::string& message) {
    std::fprintf(stderr, "%s: %s\n", bench, message.c_str());
    std::exit(2);
  }

  // For a bench with positional arguments too (bench_contrast): `what` names the argument.
  static long long parse_integer(const char* bench, const std::string& what, const std::string& value) {
    size_t used = 0;
    long long parsed = 0;
    try {
      parsed = std::stoll(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != value.size()) fail_bench(bench, what + " needs an integer, got '" + value + "'");
    return parsed;
  }

 private:
  const char* bench_;
  std::vector<std::pair<std::string, std::string>> pairs_;
};

}  // namespace lightreasoner::bench
