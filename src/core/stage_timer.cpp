// Stage times and peak host memory of a command (stage_timer.h).
#include "lightreasoner/core/stage_timer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "lightreasoner/core/peak_memory.h"

namespace lightreasoner {

StageTimer::StageTimer(std::string command) : command_(std::move(command)) {}

StageTimer::~StageTimer() { close_windows(nullptr, nullptr); }

void StageTimer::close_windows(std::optional<int64_t>* host_peak, std::optional<int64_t>* device_peak) {
  const auto host = peak_window_ ? host_peak_windows().close(*peak_window_) : std::nullopt;
  const auto device = device_window_ ? device_windows_->close(*device_window_) : std::nullopt;
  if (host_peak) *host_peak = host;
  if (device_peak) *device_peak = device;
  peak_window_.reset();
  device_window_.reset();
  device_windows_.reset();
}

void StageTimer::start(const std::string& stage) {
  stop();
  current_ = stage;
  peak_window_ = host_peak_windows().open();
  device_windows_ = device_peak_windows();
  if (device_windows_) device_window_ = device_windows_->open();
  since_ = Clock::now();
}

namespace {
void keep_larger(std::optional<int64_t>& kept, const std::optional<int64_t>& peak) {
  if (peak) kept = std::max(kept.value_or(0), *peak);
}
}  // namespace

void StageTimer::stop() {
  if (current_.empty()) return;
  const double elapsed = std::chrono::duration<double>(Clock::now() - since_).count();
  std::optional<int64_t> peak, device_peak;
  close_windows(&peak, &device_peak);
  auto it = std::find_if(stages_.begin(), stages_.end(), [&](const Stage& s) { return s.name == current_; });
  if (it == stages_.end()) {
    stages_.push_back({current_, elapsed, peak, device_peak});
  } else {
    it->seconds += elapsed;
    keep_larger(it->peak_bytes, peak);
    keep_larger(it->device_peak_bytes, device_peak);
  }
  current_.clear();
}

const StageTimer::Stage* StageTimer::find(const std::string& stage) const {
  const auto it = std::find_if(stages_.begin(), stages_.end(), [&](const Stage& s) { return s.name == stage; });
  return it == stages_.end() ? nullptr : &*it;
}

double StageTimer::seconds(const std::string& stage) const {
  const Stage* s = find(stage);
  return s ? s->seconds : 0.0;
}

std::optional<int64_t> StageTimer::peak_bytes(const std::string& stage) const {
  const Stage* s = find(stage);
  return s ? s->peak_bytes : std::nullopt;
}

std::optional<int64_t> StageTimer::device_peak_bytes(const std::string& stage) const {
  const Stage* s = find(stage);
  return s ? s->device_peak_bytes : std::nullopt;
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

std::string StageTimer::peaks_summary(std::optional<int64_t> Stage::*peak) const {
  std::string out;
  for (const auto& s : stages_)
    if (s.*peak) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", s.name, format_bytes(*(s.*peak)));
  return out;
}

std::string StageTimer::memory_summary() const { return peaks_summary(&Stage::peak_bytes); }

std::string StageTimer::device_memory_summary() const { return peaks_summary(&Stage::device_peak_bytes); }

void StageTimer::log() {
  stop();
  spdlog::info("{}: time by stage: {}", command_, summary());
  if (const std::string memory = memory_summary(); !memory.empty())
    spdlog::info("{}: peak host memory by stage: {}", command_, memory);
  if (const std::string memory = device_memory_summary(); !memory.empty())
    spdlog::info("{}: peak device memory by stage: {}", command_, memory);
}

}  // namespace lightreasoner
