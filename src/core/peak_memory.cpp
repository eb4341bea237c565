// Peak host memory from /proc (see peak_memory.h).
#include "lightreasoner/core/peak_memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace lightreasoner {

namespace {

bool reset_peak_host_memory() {
  std::ofstream clear("/proc/self/clear_refs");
  if (!clear) return false;
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

// The open windows: id → the largest high-water mark folded into it at a reset while it was open.
std::mutex windows_mutex;
std::map<int64_t, int64_t> open_windows;
int64_t next_window = 0;

}  // namespace

std::optional<int64_t> open_peak_window() {
  const std::lock_guard<std::mutex> lock(windows_mutex);
  if (const auto mark = peak_host_memory_bytes())
    for (auto& [id, peak] : open_windows) peak = std::max(peak, *mark);
  if (!reset_peak_host_memory()) return std::nullopt;
  open_windows.emplace(next_window, 0);
  return next_window++;
}

std::optional<int64_t> close_peak_window(int64_t window) {
  const std::lock_guard<std::mutex> lock(windows_mutex);
  const auto it = open_windows.find(window);
  if (it == open_windows.end()) return std::nullopt;
  const int64_t folded = it->second;
  open_windows.erase(it);
  const auto mark = peak_host_memory_bytes();
  if (!mark) return std::nullopt;
  return std::max(folded, *mark);
}

std::optional<int64_t> peak_host_memory_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    int64_t kib = 0;
    std::string unit;
    if (fields >> kib >> unit && unit == "kB") return kib * 1024;
    return std::nullopt;
  }
  return std::nullopt;
}

std::string format_bytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1e9) return fmt::format("{:.2f} GB", b / 1e9);
  return fmt::format("{:.0f} MB", b / 1e6);
}

}  // namespace lightreasoner
