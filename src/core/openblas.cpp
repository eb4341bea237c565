// OpenBLAS thread count and kernel choice (see openblas.h), through dlsym so that the binary links
// and runs the same with LibTorch builds that use MKL instead.
#include "lightreasoner/core/openblas.h"

#include <dlfcn.h>
#include <strings.h>
#include <unistd.h>

#include <cstdlib>

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

void reexec_with_better_openblas_core(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const std::string core = better_openblas_core();
  if (core.empty()) return;
  if (setenv("OPENBLAS_CORETYPE", core.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // exec failed: go on with the kernels we have
}

}  // namespace lightreasoner
