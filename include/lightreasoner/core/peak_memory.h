// The process's peak resident memory (host RAM) over a stretch of time, for the stage log: Linux's
// VmHWM (/proc/self/status), whose high-water mark can be reset to the current size by writing "5"
// to /proc/self/clear_refs (Linux 4.0 and later). Where either is unavailable nothing is reported,
// rather than a lifetime peak passed off as a stage's. Resident memory includes what the allocator
// keeps after a free (core/malloc_tuning.h keeps up to 1 GB), so a stage's peak is at least what the
// previous stage left resident. Device (GPU) memory is not here: it needs
// LibTorch's CUDA allocator. No LibTorch here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace lightreasoner {

// A window over which the peak resident size is wanted (a stage). Windows may nest or overlap
// (train's "sample" stage holds the sample recipe's own stages): the kernel has one high-water mark
// per process, so opening a window folds the mark reached so far into every window still open before
// resetting it, and each window's peak stays the largest size seen while it was open. nullopt from
// open_peak_window where the mark cannot be reset; from close_peak_window where it cannot be read.
std::optional<int64_t> open_peak_window();
std::optional<int64_t> close_peak_window(int64_t window);

// The peak resident size since the last reset (else since the process started), in bytes;
// nullopt where it cannot be read. Prefer the windows above: a bare reset would cut the peak of
// any window open around it.
std::optional<int64_t> peak_host_memory_bytes();

// "812 MB", "1.24 GB": decimal units (10^6, 10^9 bytes).
std::string format_bytes(int64_t bytes);

}  // namespace lightreasoner
