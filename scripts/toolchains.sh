#!/usr/bin/env bash
# Makes sure the compilers the native build and its harness tests use are here, and installs the
# missing ones with apt-get (as root); running it again changes nothing.
#   gcc-aarch64-linux-gnu    cross-compiles libforkline.so for linux-aarch64, so that one jar
#   libc6-dev-arm64-cross    carries both architectures (and the harness that runs in the arm64 VM)
#   musl-tools               musl-gcc: the harness that loads the x86_64 library into a musl process
#   qemu-system-arm          qemu-system-aarch64, which boots the arm64 test VM
# Called by native/src/main/c/build.sh when a compiler is missing, by the harness tests, and by
# scripts/setup.sh. Prints nothing when everything is there; exits non-zero, saying what is
# missing and how to install it, when it cannot install.
#     scripts/toolchains.sh [build|harness|vm|all]   (default all)
set -euo pipefail

what="${1:-all}"
declare -A command_of=(
  [gcc-aarch64-linux-gnu]=aarch64-linux-gnu-gcc
  [libc6-dev-arm64-cross]=/usr/aarch64-linux-gnu/lib/crt1.o
  [musl-tools]=musl-gcc
  [qemu-system-arm]=qemu-system-aarch64
)
case "$what" in
  build) packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
  harness) packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross musl-tools) ;;
  vm) packages=(qemu-system-arm) ;;
  all) packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross musl-tools qemu-system-arm) ;;
  *) echo "usage: $0 [build|harness|vm|all]" >&2; exit 2 ;;
esac

present() { case "$1" in /*) [ -e "$1" ] ;; *) command -v "$1" >/dev/null 2>&1 ;; esac; }
missing=()
for package in "${packages[@]}"; do
  present "${command_of[$package]}" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

say() { echo "scripts/toolchains.sh: $*" >&2; }
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  say "missing ${missing[*]}: install them as root, on Debian or Ubuntu with 'apt-get install -y ${missing[*]}'"
  exit 1
fi
log="${TMPDIR:-/tmp}/forkline-toolchains.log"
say "installing ${missing[*]} with apt-get (log: $log)"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  apt-get update -q >>"$log" 2>&1 || true
  apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    say "apt-get install ${missing[*]} failed; see $log"
    exit 1
  }
fi
for package in "${missing[@]}"; do
  present "${command_of[$package]}" || { say "$package is installed but ${command_of[$package]} is still missing"; exit 1; }
done
