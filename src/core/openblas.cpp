// OpenBLAS thread count and kernel choice (see openblas.h), through dlsym so that the binary links
// and runs the same with LibTorch builds that use MKL instead.
#include "lightreasoner/core/openblas.h"

#include <dlfcn.h>
#include <strings.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "lightreasoner/core/malloc_tuning.h"

namespace lightreasoner {
namespace {

template <class Function>
Function find_openblas(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_DEFAULT, name));
}

// OpenBLAS's x86-64 kernel sets that predate AVX2 (its dynamic.c names them this way).
bool core_lacks_avx2(const std::string& core) {
  for (const char* old : {"Unknown", "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2",
                          "Penryn", "Dunnington", "Nehalem", "Sandybridge"}) {
    if (strcasecmp(core.c_str(), old) == 0) return true;
  }
  return false;
}

}  // namespace

std::string openblas_core() {
  auto get_corename = find_openblas<char* (*)()>("openblas_get_corename");
  if (get_corename == nullptr) return "";
  const char* name = get_corename();
  return name == nullptr ? "" : name;
}

std::string openblas_threading() {
  // openblas_get_parallel: 0 sequential, 1 its own pthreads pool, 2 OpenMP.
  auto get_parallel = find_openblas<int (*)()>("openblas_get_parallel");
  if (get_parallel == nullptr) return "";
  switch (get_parallel()) {
    case 0: return "serial";
    case 1: return "pthreads";
    case 2: return "OpenMP";
    default: return "unknown";
  }
}

std::string openblas_library() {
  auto get_parallel = find_openblas<void*>("openblas_get_parallel");
  Dl_info info;
  if (get_parallel == nullptr || dladdr(get_parallel, &info) == 0 || info.dli_fname == nullptr) return "";
  return info.dli_fname;
}

void set_openblas_threads(int threads) {
  if (auto set_threads = find_openblas<void (*)(int)>("openblas_set_num_threads")) set_threads(threads);
}

std::string better_openblas_core() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  const std::string core = openblas_core();
  if (core.empty() || !core_lacks_avx2(core)) return "";
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return "";
}

std::string gomp_spin_count_to_set() {
  if (std::getenv("GOMP_SPINCOUNT") != nullptr || std::getenv("OMP_WAIT_POLICY") != nullptr) return "";
  // The OpenMP build shares libgomp's threads: nothing for them to take the cores from.
  return openblas_threading() == "pthreads" ? kGompSpinCount : "";
}

void reexec_with_tuned_cpu_runtime(char** argv) {
  keep_freed_memory_for_reuse();  // (no re-exec needed: mallopt applies at once)
  std::vector<std::pair<const char*, std::string>> settings;
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr)
    if (std::string core = better_openblas_core(); !core.empty()) settings.emplace_back("OPENBLAS_CORETYPE", core);
  if (std::string spin = gomp_spin_count_to_set(); !spin.empty()) settings.emplace_back("GOMP_SPINCOUNT", spin);
  if (settings.empty()) return;
  for (const auto& [name, value] : settings)
    if (setenv(name, value.c_str(), 1) != 0) return;
  // The new process finds these set (a core already, a spin count already): at most one re-exec.
  execv("/proc/self/exe", argv);
  for (const auto& [name, value] : settings) unsetenv(name);  // exec failed: go on as we are
}

}  // namespace lightreasoner
