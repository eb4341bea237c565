// Stage times and peak host memory of a command (stage_timer.h).
#include "lightreasoner/core/stage_timer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "lightreasoner/core/peak_memory.h"

namespace lightreasoner {

StageTimer::StageTimer(std::string command) : command_(std::move(command)) {}

StageTimer::~StageTimer() {
  if (peak_window_) (void)close_peak_window(*peak_window_);
}

void StageTimer::start(const std::string& stage) {
  stop();
  current_ = stage;
  peak_window_ = open_peak_window();
  since_ = Clock::now();
}

void StageTimer::stop() {
  if (current_.empty()) return;
  const double elapsed = std::chrono::duration<double>(Clock::now() - since_).count();
  const std::optional<int64_t> peak = peak_window_ ? close_peak_window(*peak_window_) : std::nullopt;
  peak_window_.reset();
  auto it = std::find_if(stages_.begin(), stages_.end(), [&](const Stage& s) { return s.name == current_; });
  if (it == stages_.end()) {
    stages_.push_back({current_, elapsed, peak});
  } else {
    it->seconds += elapsed;
    if (peak) it->peak_bytes = std::max(it->peak_bytes.value_or(0), *peak);
  }
  current_.clear();
}

double StageTimer::seconds(const std::string& stage) const {
  for (const auto& s : stages_)
    if (s.name == stage) return s.seconds;
  return 0.0;
}

std::optional<int64_t> StageTimer::peak_bytes(const std::string& stage) const {
  for (const auto& s : stages_)
    if (s.name == stage) return s.peak_bytes;
  return std::nullopt;
}

std::string StageTimer::summary() const {
  std::string out;
  double total = 0.0;
  for (const auto& s : stages_) {
    out += fmt::format("{}{} {:.1f}s", out.empty() ? "" : ", ", s.name, s.seconds);
    total += s.seconds;
  }
  return out + fmt::format("{}(total {:.1f}s)", out.empty() ? "" : " ", total);
}

std::string StageTimer::memory_summary() const {
  std::string out;
  for (const auto& s : stages_)
    if (s.peak_bytes) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", s.name, format_bytes(*s.peak_bytes));
  return out;
}

void StageTimer::log() {
  stop();
  spdlog::info("{}: time by stage: {}", command_, summary());
  if (const std::string memory = memory_summary(); !memory.empty())
    spdlog::info("{}: peak host memory by stage: {}", command_, memory);
}

}  // namespace lightreasoner
