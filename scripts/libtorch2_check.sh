#!/usr/bin/env bash
# Builds and tests this tree against LibTorch 2.x on the CPU, without a GPU machine: Debian trixie
# ships libtorch-dev 2.6, so a trixie chroot (debootstrap, made once and reused) with the packages of
# scripts/setup.sh, the tree bind-mounted at its own path (the test binaries embed absolute paths),
# a build in build-t26/ and ctest. Not the CUDA build (scripts/setup.sh --cuda, README "GPU quick start").
# Needs root and Debian's mirror; the chroot takes ~1.5 GB. Mounts are undone on exit.
#
# --cuda: the code that only a CUDA LibTorch compiles (the files CMakeLists.txt gives LR_WITH_CUDA,
# LR_WITH_CUDA_GRAPHS or LR_WITH_NCCL), compiled against trixie's libtorch-cuda-dev 2.6 (contrib) in a
# chroot of its own, and every CUDA symbol the objects need checked against LibTorch's CUDA libraries
# and cudart. No GPU needed, and no CMake build: Debian's CUDA TorchConfig.cmake wants a working nvcc,
# which trixie's toolkit cannot give with its GCC 14. nvidia-cudnn, an installer that downloads cuDNN
# from NVIDIA, is left out (dpkg --force-depends): nothing here runs. ~2.3 GB of packages, ~6 GB installed.
#
# usage: scripts/libtorch2_check.sh [--chroot DIR] [--build-only] [ctest arguments...]
#        scripts/libtorch2_check.sh --cuda [--chroot DIR]
#   --chroot DIR   where the trixie system lives (default /work/trixie, or $LR_TRIXIE_DIR; with
#                  --cuda /work/trixie-cuda, or $LR_TRIXIE_CUDA_DIR)
#   --build-only   configure and build, run no test
#   ctest arguments, e.g. -R test_lora; default: the whole suite, -j2
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
chroot_dir=""
build_only=0
cuda=0
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --chroot) chroot_dir=$2; shift ;;
    --build-only) build_only=1 ;;
    --cuda) cuda=1 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) ctest_args+=("$1") ;;
  esac
  shift
done
[ ${#ctest_args[@]} -gt 0 ] || ctest_args=(-j2)
if [ -z "$chroot_dir" ]; then
  if [ "$cuda" = 1 ]; then chroot_dir=${LR_TRIXIE_CUDA_DIR:-/work/trixie-cuda}; else chroot_dir=${LR_TRIXIE_DIR:-/work/trixie}; fi
fi
[ "$(id -u)" = 0 ] || { echo "libtorch2_check: needs root (debootstrap, chroot, mount)" >&2; exit 2; }

if [ ! -f "$chroot_dir/etc/debian_version" ]; then
  command -v debootstrap > /dev/null || apt-get install -y -qq debootstrap > /dev/null
  echo "libtorch2_check: debootstrap trixie into $chroot_dir"
  debootstrap --variant=minbase trixie "$chroot_dir" http://deb.debian.org/debian > "$chroot_dir.debootstrap.log" 2>&1 ||
    { tail -20 "$chroot_dir.debootstrap.log"; exit 1; }
fi

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[$i]}" 2> /dev/null || true; done
}
trap cleanup EXIT
bind() {  # SOURCE TARGET-INSIDE-THE-CHROOT
  mkdir -p "$chroot_dir$2"
  mountpoint -q "$chroot_dir$2" || { mount --bind "$1" "$chroot_dir$2"; mounted+=("$chroot_dir$2"); }
}
mountpoint -q "$chroot_dir/proc" || { mount -t proc proc "$chroot_dir/proc"; mounted+=("$chroot_dir/proc"); }
bind /dev /dev
bind "$repo" "$repo"
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"

in_chroot() { chroot "$chroot_dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 bash -c "$1"; }
packages=$(scripts/setup.sh --packages)
if [ "$cuda" = 1 ]; then
  echo "deb http://deb.debian.org/debian trixie main contrib non-free non-free-firmware" > "$chroot_dir/etc/apt/sources.list"
  packages=$(echo "$packages" | tr ' ' '\n' | grep -vE '^(libtorch-dev|libgloo-dev)$' | tr '\n' ' ')
  # Once installed, apt sees the missing nvidia-cudnn and refuses to install anything: all in one go.
  if ! in_chroot "dpkg-query -W -f='\${Status}' libtorch-cuda-dev 2> /dev/null | grep -q 'ok installed'"; then
    echo "libtorch2_check: packages (those of scripts/setup.sh but the CPU LibTorch and Gloo) in the chroot"
    in_chroot "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages > /dev/null"
    echo "libtorch2_check: libtorch-cuda-dev, libnccl-dev, libgloo-cuda-dev and their dependencies (~2.3 GB)"
    in_chroot "mkdir -p /var/cache/lr-cuda/partial && apt-get install -y -qq --download-only --no-install-recommends \
        -o Dir::Cache::archives=/var/cache/lr-cuda libtorch-cuda-dev libnccl-dev libgloo-cuda-dev > /dev/null &&
      cd /var/cache/lr-cuda && DEBIAN_FRONTEND=noninteractive dpkg -i --force-depends \$(ls *.deb | grep -v '^nvidia-cudnn_') > /var/cache/lr-cuda/dpkg.log 2>&1" ||
      { echo "libtorch2_check: installing the CUDA LibTorch failed (see $chroot_dir/var/cache/lr-cuda/dpkg.log)" >&2; exit 1; }
  fi
  torch_version=$(in_chroot "dpkg-query -W -f='\${Version}' libtorch-cuda-dev")
  sources=$(grep -lE 'defined\(LR_WITH_(CUDA|CUDA_GRAPHS|NCCL)\)|ifdef LR_WITH_NCCL' src/*/*.cpp | tr '\n' ' ')
  echo "libtorch2_check: CUDA LibTorch $torch_version; compiling" $sources
  # process_group.cpp's NCCL and Gloo backends want LibTorch's own c10d definitions as well.
  in_chroot "cd '$repo' && mkdir -p build-cuda-check && for f in $sources; do
      c++ -std=c++17 -O2 -Wall -Wextra -Wno-unused-parameter -Werror -Iinclude -isystem /usr/include/torch/csrc/api/include \
        -DLR_WITH_CUDA=1 -DLR_WITH_CUDA_GRAPHS=1 -DLR_WITH_NCCL=1 -DLR_WITH_GLOO=1 -DUSE_DISTRIBUTED -DUSE_C10D_NCCL -DUSE_C10D_GLOO \
        -c \$f -o build-cuda-check/\$(basename \$f .cpp).o || exit 1; done" ||
    { echo "libtorch2_check: a CUDA-only source did not compile against the CUDA LibTorch" >&2; exit 1; }
  # Every symbol of a CUDA library the objects need (LibTorch's CUDA parts, c10's, cudart's, NCCL's).
  missing=$(in_chroot "cd '$repo/build-cuda-check' && L=/usr/lib/x86_64-linux-gnu &&
      nm -C --undefined-only *.o | sed 's/^ *U //' | grep -iE 'cuda|nccl' | sort -u > needed.txt &&
      nm -DC --defined-only \$L/libtorch_cuda.so \$L/libc10_cuda.so \$L/libcudart.so.12 \$L/libnccl.so.2 \
        \$L/libtorch_cpu.so \$L/libc10.so | sed 's/^[0-9a-f]* [A-Za-z] //; s/@@*[A-Za-z0-9_.]*\$//' | sort -u > defined.txt &&
      comm -23 needed.txt defined.txt")
  [ -z "$missing" ] || { echo "libtorch2_check: symbols no CUDA library defines:"; echo "$missing"; exit 1; } >&2
  echo "libtorch2_check: the CUDA-only sources compile (-Werror) and link against LibTorch $torch_version's CUDA libraries"
  exit 0
fi
echo "libtorch2_check: packages (those of scripts/setup.sh) in the chroot"
in_chroot "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages > /dev/null"
torch_version=$(in_chroot "dpkg-query -W -f='\${Version}' libtorch-dev")
echo "libtorch2_check: LibTorch $torch_version; building $repo/build-t26"
mkdir -p "$repo/build-t26"
in_chroot "cd '$repo' && { [ -f build-t26/build.ninja ] || cmake -S . -B build-t26 -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLR_USE_CCACHE=OFF > build-t26/configure.log 2>&1; } && cmake --build build-t26 -j$(nproc) > build-t26/build.log 2>&1" ||
  { tail -20 "$repo/build-t26/configure.log" 2> /dev/null; grep -E "error|FAILED" -A5 "$repo/build-t26/build.log" 2> /dev/null | head -40
    echo "libtorch2_check: configure or build failed (logs in $repo/build-t26/)" >&2; exit 1; }
[ "$build_only" = 1 ] && { echo "libtorch2_check: built"; exit 0; }
in_chroot "cd '$repo' && ctest --test-dir build-t26 --output-on-failure $(printf '%q ' "${ctest_args[@]}")"
