// A GPU's allocator as the device gauge of the stage log (device_memory.h).
#include "lightreasoner/core/device_memory.h"

#include "lightreasoner/core/peak_memory.h"

#if defined(LR_WITH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace lightreasoner {

void watch_device_memory(torch::Device device) {
  if (!device.is_cuda()) {
    clear_device_peak_gauge();  // a GPU's gauge left by an earlier command in this process
    return;
  }
#if defined(LR_WITH_CUDA)
  const c10::DeviceIndex index = device.has_index() ? device.index() : c10::cuda::current_device();
  // Entry 0 of each stat array is the aggregate over pool types (StatType::AGGREGATE), whose
  // enclosing namespace moved between LibTorch versions; the index did not.
  set_device_peak_gauge(torch::Device(torch::kCUDA, index).str(), PeakGauge{
      [index]() -> std::optional<int64_t> {
        return c10::cuda::CUDACachingAllocator::getDeviceStats(index).allocated_bytes[0].peak;
      },
      [index]() {
        c10::cuda::CUDACachingAllocator::resetPeakStats(index);
        return true;
      }});
#endif
}

}  // namespace lightreasoner
