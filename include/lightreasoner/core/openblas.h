// OpenBLAS, where LibTorch does its CPU matmuls in it (Debian's libtorch): its own thread pool,
// which torch::set_num_threads does not reach, and its kernel choice, which on virtual machines
// whose CPUID hides the CPU model falls back to the SSE3 "Prescott" kernels although the CPU has
// AVX2/AVX-512. Found at run time (dlsym): with LibTorch builds on MKL there is no OpenBLAS and
// every function here does nothing. No LibTorch here.
#pragma once

#include <string>

namespace lightreasoner {

// The kernel set OpenBLAS runs ("Prescott", "Haswell", "SkylakeX", ...); "" without OpenBLAS.
std::string openblas_core();

// Sizes OpenBLAS's pool; no-op without OpenBLAS.
void set_openblas_threads(int threads);

// The OPENBLAS_CORETYPE this CPU should run when OpenBLAS picked a core older than its
// instruction set allows ("SkylakeX" with AVX-512, "Haswell" with AVX2 + FMA); "" when OpenBLAS's
// choice stands (no OpenBLAS, a good core already, or the CPU lacks AVX2).
std::string better_openblas_core();

// Call first thing in main. OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded, so the only
// way to change its kernels is to run the program again: when better_openblas_core() names one and
// OPENBLAS_CORETYPE is unset (a user's own setting is kept, and the new process sees it set, so
// this happens at most once), re-executes /proc/self/exe with the same arguments and
// OPENBLAS_CORETYPE set. Returns normally when nothing needs doing or the exec fails.
void reexec_with_better_openblas_core(char** argv);

}  // namespace lightreasoner
