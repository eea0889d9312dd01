#!/usr/bin/env bash
# Installs the optional tools of the benchmarks (Debian packages), each only when it is missing:
#   parallel   GNU parallel, a runner that `forkline bench parallel` compares against
#              (without it the bench says so and skips that runner)
#   strace     to see what a runner or a job does per spawn
#   hyperfine  to time single commands by hand
#   golang-1.19  Go 1.19 (in /usr/lib/go-1.19), the last Go whose syscall.ForkLock serializes
#              forks: `forkline lab fork-lock` (E1) runs seed 002's own program on it (without it,
#              E1 says so and skips that part). Debian 12 has it; a release without the package
#              is told so, and the others are installed anyway.
#   chromium   headless, to look at `forkline lab --report`'s page as a browser draws it (a
#              test screenshots it when Chromium is there, and is skipped when it is not)
# The test suite needs none of them. It also runs scripts/toolchains.sh, which installs what the
# build and the test suite do need (the aarch64 cross compiler, musl-gcc, qemu-system-aarch64);
# the build runs that itself when one is missing. Run as root (or with sudo); running it again
# changes nothing.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/setup.sh: needs root for apt-get (run it with sudo)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "scripts/setup.sh: no apt-get here; install parallel, strace, hyperfine, Go 1.19 and Chromium with this system's package manager" >&2
  exit 1
fi

"$(dirname "${BASH_SOURCE[0]}")/toolchains.sh" all

missing=()
packages=(parallel strace hyperfine golang-1.19 chromium)
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "scripts/setup.sh: ${packages[*]} are installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# An optional package this release's archive lacks (golang-1.19 after Debian 12) must not stop the rest.
available=()
for package in "${missing[@]}"; do
  if apt-cache show "$package" >/dev/null 2>&1; then
    available+=("$package")
  else
    echo "scripts/setup.sh: $package is not in this system's package archive: skipped (what needs it says so)" >&2
  fi
done
if [ "${#available[@]}" -eq 0 ]; then
  exit 0
fi
echo "scripts/setup.sh: installing ${available[*]}"
apt-get install -y -qq --no-install-recommends "${available[@]}"
