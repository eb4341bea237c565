// Stage times of a command (stage_timer.h).
#include "lightreasoner/core/stage_timer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace lightreasoner {

StageTimer::StageTimer(std::string command) : command_(std::move(command)) {}

void StageTimer::start(const std::string& stage) {
  stop();
  current_ = stage;
  since_ = Clock::now();
}

void StageTimer::stop() {
  if (current_.empty()) return;
  const double elapsed = std::chrono::duration<double>(Clock::now() - since_).count();
  auto it = stages_.begin();
  while (it != stages_.end() && it->first != current_) ++it;
  if (it == stages_.end()) {
    stages_.emplace_back(current_, elapsed);
  } else {
    it->second += elapsed;
  }
  current_.clear();
}

double StageTimer::seconds(const std::string& stage) const {
  for (const auto& [name, s] : stages_)
    if (name == stage) return s;
  return 0.0;
}

std::string StageTimer::summary() const {
  std::string out;
  double total = 0.0;
  for (const auto& [name, s] : stages_) {
    out += fmt::format("{}{} {:.1f}s", out.empty() ? "" : ", ", name, s);
    total += s;
  }
  return out + fmt::format("{}(total {:.1f}s)", out.empty() ? "" : " ", total);
}

void StageTimer::log() {
  stop();
  spdlog::info("{}: time by stage: {}", command_, summary());
}

}  // namespace lightreasoner
