// The peak memory of a GPU for the stage log (core/stage_timer.h): once a command knows its device,
// watch_device_memory registers that device's allocator as the device gauge of core/peak_memory.h.
// The figure is what LibTorch's CUDA caching allocator handed out to tensors at its highest (the
// number torch.cuda.max_memory_allocated() gives in Python), not what it reserved from the driver.
// Compiled with the allocator only against a CUDA LibTorch (LR_WITH_CUDA, set by CMakeLists.txt on
// this file alone); elsewhere, and for a CPU device, it removes any device gauge and the log has no
// device line. Watching the GPU already watched keeps its gauge (peak_memory.h: nested commands).
#pragma once

#include <torch/torch.h>

namespace lightreasoner {

void watch_device_memory(torch::Device device);

}  // namespace lightreasoner
