// c10d process groups behind dist::Group: TCPStore rendezvous, Gloo (CPU) or NCCL (CUDA), and
// collectives whose failures name this rank. Gloo and NCCL are compiled in only where the build
// found them (LR_WITH_GLOO / LR_WITH_NCCL, set by cmake/Dependencies.cmake on this file alone).
#include "lightreasoner/dist/process_group.h"

#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "lightreasoner/core/error.h"
#include "lightreasoner/core/hash.h"

#if defined(LR_WITH_GLOO) || defined(LR_WITH_NCCL)
#define LR_WITH_C10D 1
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef LR_WITH_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef LR_WITH_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace lightreasoner::dist {

#ifdef LR_WITH_C10D
// LibTorch 2.x split ProcessGroup into a dispatching front and per-backend Backends; the
// concrete Gloo/NCCL classes derive from Backend there and from ProcessGroup in 1.13.
#if TORCH_VERSION_MAJOR >= 2
using BackendBase = c10d::Backend;
#else
using BackendBase = c10d::ProcessGroup;
#endif

struct Group::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<BackendBase> backend;
  std::string name;
};
#else
struct Group::Impl {
  std::string name;
};
#endif

namespace {

Group& mutable_world() {
  static Group group;
  return group;
}

std::string failure_text(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) return c10_error->what_without_backtrace();
  return e.what();
}

bool is_loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

}  // namespace

std::string Group::backend_name() const { return impl_ ? impl_->name : "none"; }

bool backend_available(torch::Device device) {
#ifdef LR_WITH_GLOO
  if (device.is_cpu()) return true;
#endif
#ifdef LR_WITH_NCCL
  if (device.is_cuda()) return true;
#endif
  return false;
}

torch::Device rank_device(torch::Device requested, const LaunchEnv& env) {
  if (!env.launched || !requested.is_cuda()) return requested;
  if (requested.has_index() && requested.index() != env.local_rank)
    spdlog::warn("device {} replaced by cuda:{} (LOCAL_RANK={}): each rank of a node uses its own GPU",
                 requested.str(), env.local_rank, env.local_rank);
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
}

#ifdef LR_WITH_C10D
namespace {
// Asks for the classic TCPStore: true where TCPStoreOptions has useLibUV (LibTorch >= 2.2), false on
// older versions, whose store is always the classic one.
template <typename Options>
auto use_classic_tcp_store(Options& options, int) -> decltype(options.useLibUV = false, bool()) {
  options.useLibUV = false;
  return true;
}
template <typename Options>
bool use_classic_tcp_store(Options&, long) {
  return false;
}
}  // namespace
#endif

const Group& world() { return mutable_world(); }

const Group& join(const LaunchEnv& env, torch::Device device, const GroupOptions& options) {
  Group& group = mutable_world();
  if (!env.launched) return group;
  if (group.impl_) {
    LR_CHECK(group.device_.type() == device.type(), "rank " << env.rank << ": the process group was made for "
                                                             << group.device_.str() << ", not " << device.str());
    return group;
  }
  LR_CHECK(backend_available(device),
           "rank " << env.rank << ": this build has no c10d backend for device " << device.str() << " ("
                   << (device.is_cuda() ? "NCCL" : "Gloo") << " was not found when it was built; see "
                   << "cmake/Dependencies.cmake), so it cannot run under torchrun (WORLD_SIZE=" << env.world_size << ")");
#ifdef LR_WITH_C10D
  auto impl = std::make_shared<Group::Impl>();
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(env.master_port);
    store_options.isServer = env.rank == 0;
    store_options.numWorkers = static_cast<std::size_t>(env.world_size);
    store_options.waitWorkers = true;
    store_options.timeout = timeout;
    try {
      impl->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    } catch (const std::exception& e) {
      // LibTorch >= 2.4 asks for the libuv TCPStore by default, which builds without libuv refuse
      // (Debian's 2.6: "use_libuv was requested but PyTorch was build without libuv support"). The
      // classic store speaks the same protocol, so every rank falls back to it the same way.
      if (std::string(e.what()).find("libuv") == std::string::npos || !use_classic_tcp_store(store_options, 0)) throw;
      spdlog::debug("rank {}: this LibTorch has no libuv TCPStore; using the classic one", env.rank);
      impl->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    }
  } catch (const std::exception& e) {
    LR_FAIL("rank " << env.rank << ": rendezvous at " << env.master_addr << ":" << env.master_port << " with "
                    << env.world_size << " rank(s) failed within " << options.timeout.count()
                    << " s (is rank 0 running, and is MASTER_PORT free?): " << failure_text(e));
  }
  try {
    if (device.is_cpu()) {
#ifdef LR_WITH_GLOO
      auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
      // Like torch.distributed: GLOO_SOCKET_IFNAME names the interface; a loopback rendezvous
      // (one node) stays on loopback; otherwise the interface of this host's name.
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else if (is_loopback(env.master_addr)) {
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      impl->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, env.rank, env.world_size, gloo);
      impl->name = "gloo";
#endif
    } else {
#ifdef LR_WITH_NCCL
      auto nccl = c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = timeout;
      impl->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, env.rank, env.world_size, nccl);
      impl->name = "nccl";
#endif
    }
  } catch (const std::exception& e) {
    LR_FAIL("rank " << env.rank << ": cannot create the " << (device.is_cpu() ? "Gloo" : "NCCL")
                    << " process group of " << env.world_size << " rank(s): " << failure_text(e));
  }
  group.rank_ = env.rank;
  group.world_size_ = env.world_size;
  group.device_ = device.is_cuda() ? device : torch::Device(torch::kCPU);
  group.timeout_ = options.timeout;
  group.impl_ = std::move(impl);
  spdlog::info("dist: rank {} of {} joined via {}:{} ({} on {})", env.rank, env.world_size, env.master_addr,
               env.master_port, group.impl_->name, group.device_.str());
#endif
  return group;
}

namespace {

// Runs one collective, turning any failure into an Error that names the rank and the operation.
template <typename Launch>
void run_collective(const Group& group, const std::string& what, std::chrono::seconds timeout, Launch&& launch) {
  try {
    launch();
  } catch (const std::exception& e) {
    LR_FAIL("rank " << group.rank() << " of " << group.world_size() << ": " << what << " failed; another rank has "
                    << "probably exited or stopped responding (collective timeout " << timeout.count()
                    << " s), see the first error in the other ranks' logs. Cause: " << failure_text(e));
  }
}

std::vector<double> host_values(const torch::Tensor& t) {
  auto cpu = t.to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(cpu.data_ptr<double>(), cpu.data_ptr<double>() + cpu.numel());
}

void check_buffer(const Group& group, const torch::Tensor& t, const std::string& what) {
  LR_CHECK(t.is_contiguous() && t.device() == group.device(),
           "rank " << group.rank() << ": " << what << ": the buffer must be contiguous on " << group.device().str()
                   << " (got " << t.device().str() << (t.is_contiguous() ? "" : ", not contiguous") << ")");
}

}  // namespace

#ifdef LR_WITH_C10D
#define LR_RUN_COLLECTIVE(what, call) \
  run_collective(*this, what, timeout_, [&] { impl_->backend->call->wait(); })
#endif

#ifdef LR_WITH_C10D
namespace {
void all_reduce_with(const Group& group, const std::shared_ptr<Group::Impl>& impl, std::chrono::seconds timeout,
                     torch::Tensor& t, c10d::ReduceOp op, const std::string& what) {
  check_buffer(group, t, what);
  std::vector<at::Tensor> tensors{t};
  c10d::AllreduceOptions options;
  options.reduceOp = op;
  run_collective(group, what, timeout, [&] { impl->backend->allreduce(tensors, options)->wait(); });
}
}  // namespace
#endif

void Group::all_reduce_sum(torch::Tensor& t, const std::string& what) const {
  if (!impl_) return;
#ifdef LR_WITH_C10D
  all_reduce_with(*this, impl_, timeout_, t, c10d::ReduceOp::SUM, what);
#endif
}

void Group::all_reduce_max(torch::Tensor& t, const std::string& what) const {
  if (!impl_) return;
#ifdef LR_WITH_C10D
  all_reduce_with(*this, impl_, timeout_, t, c10d::ReduceOp::MAX, what);
#endif
}

void Group::barrier(const std::string& what) const {
  if (!impl_) return;
#ifdef LR_WITH_C10D
  LR_RUN_COLLECTIVE(what, barrier());
#endif
}

std::vector<double> Group::sum_of(const std::vector<double>& values, const std::string& what) const {
  if (!impl_) return values;
  auto t = torch::tensor(values, torch::kFloat64).to(device_);  // [n]
  all_reduce_sum(t, what);
  return host_values(t);
}

std::vector<double> Group::max_of(const std::vector<double>& values, const std::string& what) const {
  if (!impl_) return values;
  auto t = torch::tensor(values, torch::kFloat64).to(device_);  // [n]
  all_reduce_max(t, what);
  return host_values(t);
}

void Group::check_identical(const std::vector<torch::Tensor>& tensors, const std::string& what) const {
  if (!impl_) return;
  Fnv64 hash;
  for (const auto& tensor : tensors) {
    auto bytes = tensor.detach().contiguous().cpu();
    hash.add(static_cast<int64_t>(bytes.numel()));
    hash.bytes(bytes.data_ptr(), static_cast<size_t>(bytes.numel()) * bytes.element_size());
  }
  // Two 32-bit halves are exact in fp64; max(h) == -max(-h) on every rank iff all hashes agree.
  const double high = static_cast<double>(hash.value() >> 32), low = static_cast<double>(hash.value() & 0xffffffffULL);
  auto extremes = max_of({high, low, -high, -low}, what + " (parameter check)");
  LR_CHECK(extremes[0] == -extremes[2] && extremes[1] == -extremes[3],
           "rank " << rank_ << ": " << what << ": the ranks hold different values (hash of this rank " << hash.hex()
                   << "); the ranks must start from the same model, adapter and config");
}

}  // namespace lightreasoner::dist
