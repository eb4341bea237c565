// The process group of a torchrun launch on PyTorch's own c10d engine: a TCPStore rendezvous
// (server on rank 0), then Gloo for CPU tensors or NCCL for CUDA tensors, with a timeout on every
// collective. A process without launch variables has the trivial group of one, whose collectives
// are no-ops, so callers never branch on it. A failed collective (a rank that died or hangs)
// becomes an Error naming this rank and the operation. Which rank does what is the callers' (parts.h, the trainer).
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lightreasoner/dist/launch.h"

namespace lightreasoner::dist {

struct GroupOptions {
  std::chrono::seconds timeout{600};  // rendezvous and every collective
};

class Group {
 public:
  Group() = default;  // the trivial group: rank 0 of 1, no communication

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool is_main() const { return rank_ == 0; }
  bool is_distributed() const { return world_size_ > 1; }
  // A launch's group, even of one rank: collectives really run (the trivial group's do nothing).
  bool communicates() const { return impl_ != nullptr; }
  // Where collective buffers live: cpu for Gloo, cuda:LOCAL_RANK for NCCL.
  torch::Device device() const { return device_; }
  std::string backend_name() const;

  // In place, elementwise over ranks; `t` is contiguous and on device(). `what` names the
  // operation in errors ("gradient all-reduce at step 12").
  void all_reduce_sum(torch::Tensor& t, const std::string& what) const;
  void all_reduce_max(torch::Tensor& t, const std::string& what) const;
  void barrier(const std::string& what) const;
  // Sums of a few host numbers (counts, seconds) over ranks; max_of likewise.
  std::vector<double> sum_of(const std::vector<double>& values, const std::string& what) const;
  std::vector<double> max_of(const std::vector<double>& values, const std::string& what) const;
  // Throws Error unless every rank holds bitwise-identical `tensors` (in this order): one small
  // all-reduce of a 64-bit hash of their bytes, so it is cheap enough for every checkpoint.
  void check_identical(const std::vector<torch::Tensor>& tensors, const std::string& what) const;

  struct Impl;

 private:
  friend const Group& join(const LaunchEnv& env, torch::Device device, const GroupOptions& options);
  int rank_ = 0;
  int world_size_ = 1;
  torch::Device device_ = torch::kCPU;
  std::chrono::seconds timeout_{0};
  std::shared_ptr<Impl> impl_;  // null for the trivial group
};

// The process-wide group: the trivial one until join() succeeds.
const Group& world();

// Joins the launch's group (once per process; later calls must name the same device): rendezvous
// at MASTER_ADDR:MASTER_PORT, then Gloo when `device` is the CPU, NCCL when it is CUDA. For a
// process that was not launched (env.launched false) it leaves the trivial group in place.
const Group& join(const LaunchEnv& env, torch::Device device, const GroupOptions& options = {});

// The device a rank computes on: "cuda" (any index) becomes cuda:LOCAL_RANK in a launch, so each
// rank of a node has its own GPU; the CPU stays the CPU.
torch::Device rank_device(torch::Device requested, const LaunchEnv& env);

// Whether this build can make a group for `device` (Gloo for cpu, NCCL for cuda).
bool backend_available(torch::Device device);

}  // namespace lightreasoner::dist
