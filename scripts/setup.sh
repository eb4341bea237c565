#!/usr/bin/env bash
# Set-up for Debian bookworm: installs the packages lightreasoner needs (only the missing ones),
# then configures (CMake preset "release", folder build/) and builds. Idempotent; quiet when
# everything is present and up to date.
# Usage: scripts/setup.sh [--no-build | --binary | --packages | --cuda [LIBTORCH]]
#   --binary  build only build/lightreasoner (what the toy world needs; about half the work of the
#             full build, which adds the test suites and benchmarks)
#   --packages  print the Debian package list and exit (scripts/libtorch2_check.sh installs the same)
#   --cuda [LIBTORCH]  the GPU build: every package but Debian's CPU LibTorch, then scripts/setup_cuda.sh
#             (a CUDA LibTorch >= 2.7 from a PyTorch wheel or an unpacked zip -> build-cuda/, tests)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  libtorch-dev libopenblas0-openmp           # LibTorch 1.13 (CPU) and its BLAS: the OpenMP build of OpenBLAS shares LibTorch's
                                             # threads (the build prefers it: cmake/Dependencies.cmake); without OpenBLAS a slow reference BLAS
  libgloo-dev                                # Gloo headers for c10d::ProcessGroupGloo (data-parallel runs on CPU)
  libsentencepiece-dev sentencepiece         # Llama-2-style tokenizer.model (+ spm_train for the toy world)
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libpcre2-dev libutf8proc-dev               # byte-level BPE pre-tokenizer regex and NFC
  libginac-dev libcln-dev                    # symbolic answer grading
  python3 python3-matplotlib                 # plots
)

mode=${1:-}
case "$mode" in
  "" | --no-build | --binary | --packages) ;;
  --cuda)
    shift
    # Debian's libtorch-dev (1.13, CPU) would sit beside the CUDA LibTorch in the include path.
    kept=()
    for package in "${PACKAGES[@]}"; do [ "$package" = libtorch-dev ] || kept+=("$package"); done
    PACKAGES=("${kept[@]}")
    ;;
  *) echo "setup: unknown argument '$mode' (usage: scripts/setup.sh [--no-build | --binary | --packages | --cuda [LIBTORCH]])" >&2; exit 2 ;;
esac
if [ "$mode" = --packages ]; then
  echo "${PACKAGES[*]}"
  exit 0
fi

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
if [ "$mode" != --binary ]; then scripts/install_peer_tokenizers.sh; fi  # test_tokenizer_peer's Node peer

[ "$mode" = --no-build ] && exit 0
[ "$mode" = --cuda ] && exec scripts/setup_cuda.sh "$@"
targets=()
[ "$mode" = --binary ] && targets=(--target lightreasoner)

if [ ! -f build/build.ninja ]; then
  cmake --preset release > build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
  rm -f build-configure.log
fi
if ! cmake --build build -j"$(nproc)" "${targets[@]}" > build/build.log 2>&1; then
  grep -E "error|Error|FAILED" -A5 build/build.log | head -60
  echo "setup: build failed (full log: build/build.log)"
  exit 1
fi
grep -q "no work to do" build/build.log || echo "setup: built build/lightreasoner"
