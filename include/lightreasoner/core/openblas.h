// OpenBLAS, where LibTorch does its CPU matmuls in it (Debian's libtorch): its own thread pool,
// which torch::set_num_threads does not reach, and its kernel choice, which on virtual machines
// whose CPUID hides the CPU model falls back to the SSE3 "Prescott" kernels although the CPU has
// AVX2/AVX-512; and how long LibTorch's OpenMP threads spin beside its pool. Found at run time (dlsym): with LibTorch builds on MKL there is no OpenBLAS and
// every function here does nothing. No LibTorch here.
#pragma once

#include <string>

namespace lightreasoner {

// The kernel set OpenBLAS runs ("Prescott", "Haswell", "SkylakeX", ...); "" without OpenBLAS.
std::string openblas_core();

// How the loaded OpenBLAS runs its threads: "OpenMP" (on LibTorch's own OpenMP threads),
// "pthreads" (a pool of its own beside them), "serial"; "" without OpenBLAS. Which build a Debian
// system loads is the alternatives' choice unless the build prefers the OpenMP one
// (LR_PREFER_OPENBLAS_OPENMP in cmake/Dependencies.cmake).
std::string openblas_threading();

// The file the OpenBLAS in this process was loaded from; "" without OpenBLAS.
std::string openblas_library();

// Sizes OpenBLAS's pool; no-op without OpenBLAS.
void set_openblas_threads(int threads);

// The OPENBLAS_CORETYPE this CPU should run when OpenBLAS picked a core older than its
// instruction set allows ("SkylakeX" with AVX-512, "Haswell" with AVX2 + FMA); "" when OpenBLAS's
// choice stands (no OpenBLAS, a good core already, or the CPU lacks AVX2).
std::string better_openblas_core();

// The libgomp spin count this process should run with ("" when it should keep its own). LibTorch's
// elementwise ops (and its bf16 matmuls) run on OpenMP threads (libgomp), which by default spin
// for ~300,000 iterations after every parallel region; OpenBLAS's pthreads build runs the fp32
// matmuls on threads of its own. On few cores the spinning OpenMP threads take the cores from the
// matmul in progress (perf on the 2-core VM: ~40% of a decode step in libgomp's spin loop and
// sched_yield). A short spin (kGompSpinCount) still catches back-to-back regions and then sleeps.
// Set only for OpenBLAS's pthreads build and when the user set neither GOMP_SPINCOUNT nor
// OMP_WAIT_POLICY.
constexpr const char* kGompSpinCount = "10000";
std::string gomp_spin_count_to_set();

// Call first thing in main. Tunes malloc for tensors (core/malloc_tuning.h), then: OpenBLAS reads
// OPENBLAS_CORETYPE, and libgomp GOMP_SPINCOUNT, once,
// when they are loaded, so the only way to change them is to run the program again: when
// better_openblas_core() or gomp_spin_count_to_set() names a value (a user's own setting is kept,
// and the new process sees both set, so this happens at most once), re-executes /proc/self/exe
// with the same arguments and those variables set. Returns normally when nothing needs doing or
// the exec fails.
void reexec_with_tuned_cpu_runtime(char** argv);

}  // namespace lightreasoner
