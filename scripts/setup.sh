#!/usr/bin/env bash
# Installs the optional tools of the benchmarks (Debian packages), each only when it is missing:
#   parallel   GNU parallel, a runner that `forkline bench parallel` compares against
#              (without it the bench says so and skips that runner)
#   strace     to see what a runner or a job does per spawn
#   hyperfine  to time single commands by hand
# The test suite needs none of them. Run as root (or with sudo); running it again changes nothing.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/setup.sh: needs root for apt-get (run it with sudo)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "scripts/setup.sh: no apt-get here; install parallel, strace and hyperfine with this system's package manager" >&2
  exit 1
fi

missing=()
for package in parallel strace hyperfine; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "scripts/setup.sh: parallel, strace and hyperfine are installed"
  exit 0
fi
echo "scripts/setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
