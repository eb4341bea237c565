#!/usr/bin/env bash
# Builds and tests this tree against LibTorch 2.x on the CPU, without a GPU machine: Debian trixie
# ships libtorch-dev 2.6, so a trixie chroot (debootstrap, made once and reused) with the packages of
# scripts/setup.sh, the tree bind-mounted at its own path (the test binaries embed absolute paths),
# a build in build-t26/ and ctest. Not the CUDA build (scripts/setup.sh --cuda, README "GPU quick start").
# Needs root and Debian's mirror; the chroot takes ~1.5 GB. Mounts are undone on exit.
#
# usage: scripts/libtorch2_check.sh [--chroot DIR] [--build-only] [ctest arguments...]
#   --chroot DIR   where the trixie system lives (default /work/trixie, or $LR_TRIXIE_DIR)
#   --build-only   configure and build, run no test
#   ctest arguments, e.g. -R test_lora; default: the whole suite, -j2
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
chroot_dir=${LR_TRIXIE_DIR:-/work/trixie}
build_only=0
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --chroot) chroot_dir=$2; shift ;;
    --build-only) build_only=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) ctest_args+=("$1") ;;
  esac
  shift
done
[ ${#ctest_args[@]} -gt 0 ] || ctest_args=(-j2)
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
