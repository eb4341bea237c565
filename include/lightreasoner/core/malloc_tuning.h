// glibc's malloc beside tensor-sized blocks. By default a block above the mmap threshold (128 KiB,
// raised on the fly up to 32 MiB) is a fresh mmap of its own, and freed memory at the top of the
// heap goes back to the kernel at once; a training step's activations are then page-faulted and
// zeroed by the kernel again at every step (perf of step-packed LoRA training on the 2-core VM: a
// quarter of the samples in the kernel's clear_page). keep_freed_memory_for_reuse() serves blocks
// up to 32 MiB from the heap and keeps up to 1 GiB of freed heap for the next allocation: the
// process keeps its peak memory instead of returning it between steps. A user's
// MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES is left alone; other C
// libraries are left alone. No LibTorch here.
#pragma once

#include <string>

namespace lightreasoner {

// The values set (what `--version` prints).
constexpr long kMallocMmapThreshold = 32L << 20;  // glibc's largest allowed on 64-bit
constexpr long kMallocTrimThreshold = 1L << 30;

// Returns whether the settings were applied (false: the user set their own, or not glibc).
bool keep_freed_memory_for_reuse();

// For `--version`: what this process runs with ("blocks up to 32 MiB from the heap, 1 GiB of freed
// heap kept", "the user's MALLOC_TRIM_THRESHOLD_=...", or "the C library's default").
std::string malloc_settings();

}  // namespace lightreasoner
