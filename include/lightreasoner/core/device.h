// Device and dtype names as users write them ("auto", "cpu", "cuda", "cuda:1"; "f32", "bf16",
// "f16" and their long spellings) mapped to LibTorch values, plus the thread count and seeding
// set-up shared by all commands. No model or tensor logic here.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace lightreasoner {

// "auto" picks cuda:0 when CUDA is available, else cpu. Throws Error on unknown names or a
// CUDA device that is not present.
torch::Device parse_device(const std::string& name);

// "f32"/"fp32"/"float32"/"float", "bf16"/"bfloat16", "f16"/"fp16"/"float16"/"half".
torch::ScalarType parse_dtype(const std::string& name);
// Canonical short name: "f32", "bf16", "f16" (or the LibTorch name for others).
std::string dtype_name(torch::ScalarType dtype);

// threads <= 0 uses every core this process may run on.
void set_threads(int threads);

// One line per device: "cpu", "cuda:0 NVIDIA H100 (79.6 GiB)" ...
std::string describe_devices();

}  // namespace lightreasoner
