#!/usr/bin/env bash
# The GPU build: finds a CUDA LibTorch >= 2.7, checks it before CMake does (CUDA build, C++ ABI against
# Debian's libraries, a CUDA toolkit), configures the `cuda` preset into build-cuda/, builds, and runs
# the test suite there. Called by `scripts/setup.sh --cuda [LIBTORCH]`, which installs the Debian
# packages first (all but Debian's CPU libtorch-dev); it can also be run alone.
#
# usage: scripts/setup_cuda.sh [LIBTORCH] [--no-test]
#   LIBTORCH   an unpacked LibTorch zip (the folder holding share/cmake/Torch), or a CMake prefix
#              holding Torch/TorchConfig.cmake; default: $LIBTORCH, else the PyTorch wheel of `python3`
#              (torch.utils.cmake_prefix_path)
#   --no-test  configure and build only
# Environment: CUDA_HOME (the CUDA toolkit; default: nvcc on PATH, else /usr/local/cuda), JOBS (build
# jobs; default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "setup --cuda: $*" >&2; exit 1; }
libtorch=${LIBTORCH:-}
run_tests=1
for arg in "$@"; do
  case "$arg" in
    --no-test) run_tests=0 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) fail "unknown option '$arg' (usage: scripts/setup_cuda.sh [LIBTORCH] [--no-test])" ;;
    *) libtorch=$arg ;;
  esac
done

# 1. Where LibTorch is, and its version, CUDA and ABI, read from its own files.
if [ -n "$libtorch" ]; then
  [ -d "$libtorch" ] || fail "LibTorch folder '$libtorch' does not exist"
  libtorch=$(cd "$libtorch" && pwd)
  if [ -f "$libtorch/share/cmake/Torch/TorchConfig.cmake" ]; then
    prefix=$libtorch; config_dir=$libtorch/share/cmake/Torch; lib_dir=$libtorch/lib
  elif [ -f "$libtorch/Torch/TorchConfig.cmake" ]; then
    prefix=$libtorch; config_dir=$libtorch/Torch; lib_dir=$libtorch/../../lib
  else
    fail "'$libtorch' holds neither share/cmake/Torch/TorchConfig.cmake (a LibTorch zip) nor Torch/TorchConfig.cmake (a wheel's cmake prefix)"
  fi
  source_desc="LibTorch at $libtorch"
else
  command -v python3 > /dev/null || fail "no LibTorch given and no python3 to ask for a PyTorch wheel; pass the unpacked LibTorch folder"
  prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2> /dev/null) ||
    fail "no LibTorch given and python3 has no PyTorch ('import torch' failed); pip install torch (a CUDA wheel >= 2.7), or download the cxx11-abi LibTorch zip from pytorch.org and pass its folder"
  config_dir=$prefix/Torch; lib_dir=$prefix/../../lib
  source_desc="the PyTorch wheel of $(command -v python3) ($prefix)"
fi
version_file=$config_dir/TorchConfigVersion.cmake
[ -f "$version_file" ] || fail "$version_file is missing: not a complete LibTorch"
version=$(sed -n 's/^set(PACKAGE_VERSION "\([0-9.]*\).*/\1/p' "$version_file" | head -1)
[ -n "$version" ] || fail "cannot read the LibTorch version from $version_file"
major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}
if [ "$major" -lt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -lt 7 ]; }; then
  fail "$source_desc is version $version; the GPU build needs LibTorch >= 2.7 (CPU builds use Debian's 1.13: scripts/setup.sh)"
fi
ls "$lib_dir"/libtorch_cuda.so > /dev/null 2>&1 ||
  fail "$source_desc (version $version) is a CPU-only build: $lib_dir has no libtorch_cuda.so; get a CUDA wheel or the CUDA LibTorch zip"
# The ABI the LibTorch was built with: its CMake flags say it (a zip), or the wheel does.
abi=$(grep -ho '_GLIBCXX_USE_CXX11_ABI=[01]' "$config_dir"/*.cmake 2> /dev/null | head -1 | cut -d= -f2 || true)
if [ -z "$abi" ] && [ -z "$libtorch" ]; then
  abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
fi
if [ "$abi" = 0 ]; then
  fail "$source_desc (version $version) uses the pre-C++11 ABI (_GLIBCXX_USE_CXX11_ABI=0), but Debian's spdlog, fmt, GiNaC and GoogleTest use the C++11 ABI: the link would fail or the program crash. Use a PyTorch wheel >= 2.7 (built with the C++11 ABI) or the 'cxx11-abi' LibTorch zip."
fi
echo "setup --cuda: $source_desc, version $version, CUDA build, C++11 ABI ${abi:-1 (not stated; assumed)}"

# 2. A CUDA toolkit (the Torch CMake package looks for nvcc and the CUDA libraries).
cuda_home=${CUDA_HOME:-}
if [ -z "$cuda_home" ]; then
  if command -v nvcc > /dev/null; then cuda_home=$(dirname "$(dirname "$(command -v nvcc)")"); else cuda_home=/usr/local/cuda; fi
fi
[ -x "$cuda_home/bin/nvcc" ] ||
  fail "no CUDA toolkit at '$cuda_home' (no bin/nvcc); install one matching the LibTorch's CUDA version and set CUDA_HOME"
echo "setup --cuda: CUDA toolkit $("$cuda_home/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') at $cuda_home"

# 3. Configure and build build-cuda/ (the `cuda` preset), then the tests.
jobs=${JOBS:-$(nproc)}
if ! cmake --preset cuda -DCMAKE_PREFIX_PATH="$prefix" -DCUDAToolkit_ROOT="$cuda_home" > build-cuda-configure.log 2>&1; then
  tail -30 build-cuda-configure.log
  fail "configure failed (full log: build-cuda-configure.log)"
fi
rm -f build-cuda-configure.log
if ! cmake --build build-cuda -j"$jobs" > build-cuda/build.log 2>&1; then
  grep -E "error|Error|FAILED" -A5 build-cuda/build.log | head -60
  fail "build failed (full log: build-cuda/build.log)"
fi
build-cuda/lightreasoner --version
[ "$run_tests" = 1 ] || exit 0
ctest --test-dir build-cuda --output-on-failure -j"$jobs"
