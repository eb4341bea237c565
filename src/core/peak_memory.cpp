// Peak memory windows over a gauge, and the host gauge from /proc (see peak_memory.h).
#include "lightreasoner/core/peak_memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
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

std::mutex device_mutex;
std::string device_watched;  // the device whose allocator device_windows reads
std::shared_ptr<PeakWindows> device_windows;

}  // namespace

std::optional<int64_t> PeakWindows::open() {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (const auto mark = gauge_.read_peak())
    for (auto& [id, peak] : open_) peak = std::max(peak, *mark);
  if (!gauge_.reset()) return std::nullopt;
  open_.emplace(next_, 0);
  return next_++;
}

std::optional<int64_t> PeakWindows::close(int64_t window) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = open_.find(window);
  if (it == open_.end()) return std::nullopt;
  const int64_t folded = it->second;
  open_.erase(it);
  const auto mark = gauge_.read_peak();
  if (!mark) return std::nullopt;
  return std::max(folded, *mark);
}

PeakWindows& host_peak_windows() {
  static PeakWindows windows(PeakGauge{peak_host_memory_bytes, reset_peak_host_memory});
  return windows;
}

std::shared_ptr<PeakWindows> device_peak_windows() {
  const std::lock_guard<std::mutex> lock(device_mutex);
  return device_windows;
}

void set_device_peak_gauge(const std::string& device, PeakGauge gauge) {
  const std::lock_guard<std::mutex> lock(device_mutex);
  if (device_windows && device_watched == device) return;
  device_watched = device;
  device_windows = std::make_shared<PeakWindows>(std::move(gauge));
}

void clear_device_peak_gauge() {
  const std::lock_guard<std::mutex> lock(device_mutex);
  device_watched.clear();
  device_windows.reset();
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

std::string megabytes_or_na(std::optional<int64_t> bytes) {
  return bytes ? std::to_string(*bytes / 1'000'000) : "n/a";
}

}  // namespace lightreasoner
