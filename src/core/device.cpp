// Device/dtype parsing, seeding and thread set-up.
#include "lightreasoner/core/device.h"

#include <torch/torch.h>

#include <sched.h>

#include <algorithm>
#include <thread>
#include <cctype>
#include <sstream>

#include "lightreasoner/core/error.h"
#include "lightreasoner/core/openblas.h"

namespace lightreasoner {

torch::TensorOptions host_staging(torch::Device device) {
  return torch::TensorOptions().pinned_memory(device.is_cuda());
}

torch::Tensor to_device(const torch::Tensor& host, torch::Device device) {
  return host.to(device, /*non_blocking=*/host.is_pinned());
}

torch::Device parse_device(const std::string& raw) {
  std::string name = raw;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (name == "auto") {
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  }
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (name.size() > 5) {
      std::string digits = name.substr(5);
      LR_CHECK(!digits.empty() && std::all_of(digits.begin(), digits.end(), ::isdigit),
               "device must be cpu, cuda, cuda:N or auto (got '" << raw << "')");
      index = std::stoi(digits);
    }
    LR_CHECK(torch::cuda::is_available(),
             "device '" << raw << "' requested but CUDA is not available in this build/machine "
                        << "(LibTorch " << TORCH_VERSION << "); use --device cpu");
    int count = static_cast<int>(torch::cuda::device_count());
    LR_CHECK(index < count, "device '" << raw << "' requested but only " << count << " CUDA device(s) are visible");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  LR_FAIL("device must be cpu, cuda, cuda:N or auto (got '" << raw << "')");
}

torch::ScalarType parse_dtype(const std::string& raw) {
  std::string name = raw;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (name == "f32" || name == "fp32" || name == "float32" || name == "float") return torch::kFloat32;
  if (name == "bf16" || name == "bfloat16") return torch::kBFloat16;
  if (name == "f16" || name == "fp16" || name == "float16" || name == "half") return torch::kFloat16;
  LR_FAIL("dtype must be one of f32, bf16, f16 (got '" << raw << "')");
}

std::string dtype_name(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat32: return "f32";
    case torch::kBFloat16: return "bf16";
    case torch::kFloat16: return "f16";
    default: return c10::toString(dtype);
  }
}

void set_threads(int threads) {
  if (threads <= 0) {
    // LibTorch's own default can be 1 here (Debian build); use every core we may run on.
    cpu_set_t set;
    CPU_ZERO(&set);
    threads = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                           : static_cast<int>(std::thread::hardware_concurrency());
    if (threads <= 0) threads = 1;
  }
  torch::set_num_threads(threads);
  // Debian's LibTorch does its matmuls in OpenBLAS, whose pool torch::set_num_threads does not size:
  // at --threads 1 a second OpenBLAS thread still spun in sched_yield (40% of a core, measured).
  set_openblas_threads(threads);
}

std::string describe_devices() {
  std::ostringstream out;
  out << "cpu (" << torch::get_num_threads() << " threads";
  if (const std::string core = openblas_core(); !core.empty()) out << ", OpenBLAS " << core;
  out << ")";
  if (torch::cuda::is_available()) {
    for (size_t i = 0; i < torch::cuda::device_count(); ++i) out << ", cuda:" << i;
  }
  return out.str();
}

}  // namespace lightreasoner
