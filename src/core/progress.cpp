// Progress display: in-place redraw on a terminal, throttled plain log lines otherwise.
#include "lightreasoner/core/progress.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <sstream>

#include "lightreasoner/core/logging.h"

namespace lightreasoner {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else if (seconds < 3600) {
    int s = static_cast<int>(seconds);
    std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
  } else {
    int m = static_cast<int>(seconds / 60);
    std::snprintf(buf, sizeof buf, "%dh%02dm", m / 60, m % 60);
  }
  return buf;
}

std::string format_rate(double per_second) {
  char buf[32];
  if (!std::isfinite(per_second)) return "?";
  if (per_second >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", per_second / 1e6);
  } else if (per_second >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.1fk", per_second / 1e3);
  } else if (per_second >= 100) {
    std::snprintf(buf, sizeof buf, "%.0f", per_second);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", per_second);
  }
  return buf;
}

Progress::Progress(std::string label, int64_t total, std::string unit, int64_t initial_done,
                   double log_interval_s)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      log_interval_s_(log_interval_s),
      done_(initial_done),
      start_done_(initial_done),
      // Redrawing in place is for a terminal, and only where info lines show (not on ranks > 0).
      terminal_(stderr_is_terminal() && spdlog::should_log(spdlog::level::info)),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() {
  if (terminal_ && !finished_ && done_ > 0) std::fputc('\n', stderr);
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::render(const std::vector<std::pair<std::string, std::string>>& fields) const {
  std::ostringstream out;
  double elapsed = elapsed_seconds();
  double rate = elapsed > 0 ? static_cast<double>(done_ - start_done_) / elapsed : 0.0;
  out << label_ << ": " << done_;
  if (total_ > 0) {
    char pct[16];
    std::snprintf(pct, sizeof pct, " (%.1f%%)", 100.0 * static_cast<double>(done_) / static_cast<double>(total_));
    out << "/" << total_ << pct;
  }
  out << " " << unit_ << " | " << format_rate(rate) << " " << unit_ << "/s";
  for (const auto& [name, value] : fields) out << " | " << name << " " << value;
  out << " | elapsed " << format_duration(elapsed);
  if (total_ > 0 && rate > 0 && done_ < total_) {
    out << " | ETA " << format_duration(static_cast<double>(total_ - done_) / rate);
  }
  return out.str();
}

void Progress::update(int64_t done, const std::vector<std::pair<std::string, std::string>>& fields) {
  done_ = done;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_print_).count();
  if (terminal_) {
    if (since < 0.2) return;  // redraw at most 5 times a second
    std::fprintf(stderr, "\r\033[K%s", render(fields).c_str());
    std::fflush(stderr);
  } else {
    if (since < log_interval_s_) return;
    spdlog::info("{}", render(fields));
  }
  last_print_ = now;
}

void Progress::finish(const std::vector<std::pair<std::string, std::string>>& fields) {
  if (finished_) return;
  finished_ = true;
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s\n", render(fields).c_str());
    std::fflush(stderr);
  } else {
    spdlog::info("{}", render(fields));
  }
}

}  // namespace lightreasoner
