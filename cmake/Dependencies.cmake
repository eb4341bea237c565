# Finds every dependency from system packages (Debian bookworm names in the errors) and
# collects them in LR_DEPENDENCY_TARGETS. Works against Debian's CPU LibTorch 1.13 and any
# LibTorch 2.x (e.g. the one inside a pip PyTorch: -DCMAKE_PREFIX_PATH=$(python3 -c
# 'import torch;print(torch.utils.cmake_prefix_path)')).
include(FindPkgConfig)

macro(lr_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "lightreasoner: ${what} not found. Install the Debian package `${package}` "
      "(or run scripts/setup.sh, which installs every dependency).")
  endif()
endmacro()

find_package(Torch QUIET)
lr_require(Torch_FOUND "LibTorch (TorchConfig.cmake)" "libtorch-dev")
# Debian's C++ libraries (spdlog, fmt, GiNaC, GoogleTest) use the C++11 string ABI; a LibTorch built
# with the old ABI links, then fails on the first std::string that crosses (undefined references or
# a crash). Refuse it here, naming the fix.
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR "lightreasoner: the LibTorch at ${Torch_DIR} uses the pre-C++11 ABI "
    "(TORCH_CXX_FLAGS: ${TORCH_CXX_FLAGS}), but the system libraries it must link with use the C++11 ABI. "
    "Use a LibTorch built with the C++11 ABI: PyTorch wheels >= 2.7, or the 'cxx11-abi' LibTorch zip.")
endif()
find_package(nlohmann_json 3.10 QUIET)
lr_require(nlohmann_json_FOUND "nlohmann/json" "nlohmann-json3-dev")
find_package(CLI11 QUIET)
lr_require(CLI11_FOUND "CLI11" "libcli11-dev")
find_package(spdlog QUIET)
lr_require(spdlog_FOUND "spdlog" "libspdlog-dev")
find_package(Threads REQUIRED)

find_package(PkgConfig QUIET)
lr_require(PKG_CONFIG_FOUND "pkg-config" "pkg-config")
pkg_check_modules(LR_SENTENCEPIECE QUIET IMPORTED_TARGET sentencepiece)
lr_require(LR_SENTENCEPIECE_FOUND "sentencepiece" "libsentencepiece-dev")
pkg_check_modules(LR_PCRE2 QUIET IMPORTED_TARGET libpcre2-8)
lr_require(LR_PCRE2_FOUND "PCRE2" "libpcre2-dev")
pkg_check_modules(LR_UTF8PROC QUIET IMPORTED_TARGET libutf8proc)
lr_require(LR_UTF8PROC_FOUND "utf8proc" "libutf8proc-dev")
pkg_check_modules(LR_GINAC QUIET IMPORTED_TARGET ginac)
lr_require(LR_GINAC_FOUND "GiNaC" "libginac-dev")

if(LR_BUILD_TESTS)
  find_package(GTest QUIET)
  lr_require(GTest_FOUND "GoogleTest" "libgtest-dev")
endif()

# LibTorch's CMake package gives a flags string and a list of libraries; wrap them in one target.
add_library(lr_torch INTERFACE)
target_link_libraries(lr_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(lr_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
separate_arguments(LR_TORCH_CXX_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")
target_compile_options(lr_torch INTERFACE ${LR_TORCH_CXX_FLAGS})

# Debian's LibTorch does its fp32 matmuls in whichever OpenBLAS the system's alternatives name,
# by default the pthreads build, whose own thread pool then competes with LibTorch's OpenMP threads
# for the cores (2-core VM: LoRA training 1.15-1.32x and f32 decode 1.09x slower than with the
# OpenMP build, bench/RESULTS.md). The OpenMP build runs its matmuls on LibTorch's OpenMP threads.
# Where it is installed (libopenblas0-openmp), everything linked against LibTorch looks in its
# folder first, whatever the system default: as DT_RPATH, because only an executable's DT_RPATH
# (not RUNPATH) is searched for the dependencies of its libraries (libtorch_cpu's libblas.so.3).
option(LR_PREFER_OPENBLAS_OPENMP "Run Debian's LibTorch on the OpenMP build of OpenBLAS where installed" ON)
set(LR_OPENBLAS_OPENMP_DIR "")
if(LR_PREFER_OPENBLAS_OPENMP AND Torch_DIR MATCHES "^/usr/lib" AND CMAKE_LIBRARY_ARCHITECTURE
   AND EXISTS "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp/libblas.so.3")
  set(LR_OPENBLAS_OPENMP_DIR "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp")
  target_link_options(lr_torch INTERFACE "LINKER:--disable-new-dtags" "LINKER:-rpath,${LR_OPENBLAS_OPENMP_DIR}")
  message(STATUS "lightreasoner: OpenBLAS, the OpenMP build (${LR_OPENBLAS_OPENMP_DIR})")
endif()

# sentencepiece is deliberately NOT linked into the program: Debian's libsentencepiece bundles
# and exports its own protobuf-lite, which clashes with the libprotobuf that LibTorch loads
# (segfault in static initialisation). It is linked only into the small sentencepiece shim
# module, which the tokenizer dlopen()s with RTLD_LOCAL | RTLD_DEEPBIND (see CMakeLists.txt).
# LibTorch goes LAST: the PyTorch wheel ships its own (newer) fmt headers in its include dir,
# and spdlog must see the fmt it was built with (checked on the GPU machine: spdlog 1.10 fails
# to compile against torch 2.11's fmt).
set(LR_DEPENDENCY_TARGETS nlohmann_json::nlohmann_json CLI11::CLI11 spdlog::spdlog
  PkgConfig::LR_PCRE2 PkgConfig::LR_UTF8PROC PkgConfig::LR_GINAC Threads::Threads ${CMAKE_DL_LIBS} lr_torch)
message(STATUS "lightreasoner: LibTorch ${Torch_VERSION} at ${Torch_DIR}")

# c10d backends for data-parallel runs under torchrun (src/dist/process_group.cpp only): Gloo for
# CPU tensors, NCCL for CUDA tensors. Debian's LibTorch needs `libgloo-dev` for the Gloo headers
# (its libtorch_cpu already links libgloo); a pip LibTorch may lack them, and has NCCL only in
# CUDA builds with the nvidia-nccl wheel's nccl.h. Without a backend the single-process path
# still builds, and a launch with WORLD_SIZE set fails with a clear error.
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_QUIET ON)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)  # headers only: LibTorch is not linked here
set(CMAKE_REQUIRED_INCLUDES ${TORCH_INCLUDE_DIRS})
set(CMAKE_REQUIRED_FLAGS "${TORCH_CXX_FLAGS}")
check_cxx_source_compiles("#define USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
int main() { return 0; }" LR_HAVE_GLOO)
if(Torch_DIR MATCHES "^/usr/lib")
  lr_require(LR_HAVE_GLOO "the Gloo headers (gloo/*.h, for c10d::ProcessGroupGloo)" "libgloo-dev")
endif()
set(LR_DIST_DEFINITIONS "")
set(LR_DIST_INCLUDE_DIRS "")
if(LR_HAVE_GLOO)
  list(APPEND LR_DIST_DEFINITIONS LR_WITH_GLOO=1)
endif()
if(TORCH_CUDA_LIBRARIES)
  # The PyTorch wheel keeps nccl.h in site-packages/nvidia/nccl/include (Torch_DIR is
  # site-packages/torch/share/cmake/Torch).
  find_path(LR_NCCL_INCLUDE_DIR nccl.h
    HINTS ${Torch_DIR}/../../../../nvidia/nccl/include $ENV{NCCL_HOME}/include ${CUDAToolkit_INCLUDE_DIRS})
  if(LR_NCCL_INCLUDE_DIR)
    list(APPEND CMAKE_REQUIRED_INCLUDES ${LR_NCCL_INCLUDE_DIR} ${CUDAToolkit_INCLUDE_DIRS})
    check_cxx_source_compiles("#define USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
int main() { return 0; }" LR_HAVE_NCCL)
  endif()
  if(LR_HAVE_NCCL)
    list(APPEND LR_DIST_DEFINITIONS LR_WITH_NCCL=1)
    list(APPEND LR_DIST_INCLUDE_DIRS ${LR_NCCL_INCLUDE_DIR})
  endif()
endif()
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_TRY_COMPILE_TARGET_TYPE)
message(STATUS "lightreasoner: c10d backends: Gloo ${LR_HAVE_GLOO}, NCCL ${LR_HAVE_NCCL}")
