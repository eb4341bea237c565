// Peak memory over a stretch of time (a stage), for the stage log. A gauge is a memory counter with a
// high-water mark that can be read and reset: the process's resident host memory (Linux's VmHWM in
// /proc/self/status, reset by writing "5" to /proc/self/clear_refs, Linux 4.0 and later), and, once a
// command runs on a GPU, that device's allocator (core/device_memory.h registers it). Where a mark
// cannot be read or reset nothing is reported, rather than a lifetime peak passed off as a stage's.
// Resident host memory includes what the allocator keeps after a free (core/malloc_tuning.h keeps up
// to 1 GB), so a stage's host peak is at least what the previous stage left resident. No LibTorch here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace lightreasoner {

struct PeakGauge {
  // The high-water mark since the last reset (else since the counter began), in bytes; nullopt
  // where it cannot be read.
  std::function<std::optional<int64_t>()> read_peak;
  // Sets the mark to the current size; false where that is not possible.
  std::function<bool()> reset;
};

// Windows over one gauge. Windows may nest or overlap (train's "sample" stage holds the sample
// recipe's own stages) while the gauge has one mark: opening a window folds the mark reached so far
// into every window still open before resetting it, so each window's peak stays the largest size
// seen while it was open. open() gives nullopt where the mark cannot be reset; close() where it
// cannot be read, or for a window not open.
class PeakWindows {
 public:
  explicit PeakWindows(PeakGauge gauge) : gauge_(std::move(gauge)) {}
  std::optional<int64_t> open();
  std::optional<int64_t> close(int64_t window);

 private:
  PeakGauge gauge_;
  std::mutex mutex_;
  std::map<int64_t, int64_t> open_;  // id → the largest mark folded into it at a reset while open
  int64_t next_ = 0;
};

// The process's resident host memory.
PeakWindows& host_peak_windows();

// The GPU's allocator, once a command has named a GPU (core/device_memory.h); null before, and after
// clear_device_peak_gauge (a command on the CPU). Setting the gauge of the device already watched
// keeps its windows: a command run inside another on the same GPU (train's sample) must fold into the
// outer stages through the same windows, or its resets would cut their peaks. Another device replaces
// it; a holder of the old windows (a stage in progress) keeps them alive.
std::shared_ptr<PeakWindows> device_peak_windows();
void set_device_peak_gauge(const std::string& device, PeakGauge gauge);
void clear_device_peak_gauge();

// The peak resident host size since the last reset (else since the process started), in bytes;
// nullopt where it cannot be read. Prefer the windows above: a bare reset would cut the peak of any
// window open around it.
std::optional<int64_t> peak_host_memory_bytes();

// "812 MB", "1.24 GB": decimal units (10^6, 10^9 bytes).
std::string format_bytes(int64_t bytes);
// For the benchmarks' RESULT lines: whole megabytes (10^6 bytes), or "n/a" where the peak is unknown.
std::string megabytes_or_na(std::optional<int64_t> bytes);

}  // namespace lightreasoner
