// A small progress display for long loops: done/total, rate, ETA and custom fields (tokens/s,
// loss). On a terminal it redraws one line in place (stderr); otherwise it logs a plain line
// through spdlog at most every `log_interval_s` seconds. It does not time anything else.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lightreasoner {

class Progress {
 public:
  // total <= 0 means unknown (no ETA). unit names what is counted ("problems", "steps").
  // initial_done: items already done by an earlier (resumed) run; the rate counts only new ones.
  Progress(std::string label, int64_t total, std::string unit, int64_t initial_done = 0,
           double log_interval_s = 10.0);
  ~Progress();

  // Sets the absolute count and the custom fields shown after the rate, e.g. {"tok/s", "812"}.
  void update(int64_t done, const std::vector<std::pair<std::string, std::string>>& fields = {});
  // Final line (always printed), newline on a terminal.
  void finish(const std::vector<std::pair<std::string, std::string>>& fields = {});

  double elapsed_seconds() const;
  // Text of the current state, as printed (exposed for tests).
  std::string render(const std::vector<std::pair<std::string, std::string>>& fields) const;

 private:
  std::string label_;
  int64_t total_;
  std::string unit_;
  double log_interval_s_;
  int64_t done_ = 0;
  int64_t start_done_ = 0;
  bool terminal_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

// "1h02m", "3m07s", "12.3s"
std::string format_duration(double seconds);
// "812", "12.3k", "4.56M"
std::string format_rate(double per_second);

}  // namespace lightreasoner
