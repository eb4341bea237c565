// Device and dtype names as users write them ("auto", "cpu", "cuda", "cuda:1"; "f32", "bf16",
// "f16" and their long spellings) mapped to LibTorch values, plus the thread count and seeding
// set-up shared by all commands, and how host tensors reach a device. No model logic here.
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

// Host tensors built for `device` (a training batch and its layout): in pinned (page-locked)
// memory when it is a GPU, so that to_device copies them without waiting and the host goes on to
// the next batch while the copy and the current step run.
torch::TensorOptions host_staging(torch::Device device);
// `host` on `device`: a non-blocking copy from pinned memory, an ordinary one otherwise.
torch::Tensor to_device(const torch::Tensor& host, torch::Device device);

}  // namespace lightreasoner
