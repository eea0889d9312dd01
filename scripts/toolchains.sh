#!/usr/bin/env bash
# The one place that installs the Debian packages the build, the tests, the VM tier and the lab
# use. Each set is checked and only what is missing is installed, with apt-get, as root; running
# it again changes nothing. As another user it says what is missing and the one command to run.
#     scripts/toolchains.sh [SET...]            install what SET needs (default: all)
#     scripts/toolchains.sh --versions [SET...] print "package version" for each package of SET
# The sets:
#   build    gcc-aarch64-linux-gnu, libc6-dev-arm64-cross: libforkline.so for linux-aarch64, so
#            that one jar carries both architectures
#   harness  build's, and musl-tools (musl-gcc): the C harness under musl
#   vm       qemu-system-x86, busybox-static, cpio: the full-cgroup-v2 VM tier (scripts/vm/)
#   arm64vm  qemu-system-arm (qemu-system-aarch64): the arm64 VM of the native harness
#   lab      golang-1.19 (seed 002's own program on the last Go whose ForkLock serializes forks,
#            in /usr/lib/go-1.19) and strace (E5's trace of glibc's posix_spawn): `forkline lab`
#   browser  chromium: the lab report's test looks at the page as a browser draws it
#   jdks     debootstrap: the trixie root that holds the other JDKs the agent is tested on (scripts/jdks.sh)
#   bench    parallel (GNU parallel) and hyperfine: `forkline bench parallel` and timing by hand
#   all      every set above
# Called by native/src/main/c/build.sh, the harness and VM scripts, the ./forkline script (lab),
# the report's test, and scripts/setup.sh. A package this release's archive does not have
# (golang-1.19 after Debian 12) is skipped with a word, and what needs it says so when it runs.
# Waits up to 10 minutes for another apt-get or dpkg (two worktrees' builds at once) to finish.
set -euo pipefail

say() { echo "scripts/toolchains.sh: $*" >&2; }
usage() { echo "usage: $0 [--versions] [build|harness|vm|arm64vm|lab|browser|jdks|bench|all]..." >&2; exit 2; }

# What shows that a package is installed: a command on the PATH or a file.
declare -A evidence=(
  [gcc-aarch64-linux-gnu]=aarch64-linux-gnu-gcc
  [libc6-dev-arm64-cross]=/usr/aarch64-linux-gnu/lib/crt1.o
  [musl-tools]=musl-gcc
  [qemu-system-x86]=qemu-system-x86_64
  [busybox-static]=busybox-static
  [cpio]=cpio
  [qemu-system-arm]=qemu-system-aarch64
  [golang-1.19]=/usr/lib/go-1.19/bin/go
  [strace]=strace
  [chromium]=/usr/bin/chromium
  [debootstrap]=debootstrap
  [parallel]=parallel
  [hyperfine]=hyperfine
)
set_packages() {
  case "$1" in
    build) echo gcc-aarch64-linux-gnu libc6-dev-arm64-cross ;;
    harness) echo gcc-aarch64-linux-gnu libc6-dev-arm64-cross musl-tools ;;
    vm) echo qemu-system-x86 busybox-static cpio ;;
    arm64vm) echo qemu-system-arm ;;
    lab) echo golang-1.19 strace ;;
    browser) echo chromium ;;
    jdks) echo debootstrap ;;
    bench) echo parallel hyperfine ;;
    all) for s in harness vm arm64vm lab browser jdks bench; do set_packages "$s"; done ;;
    *) usage ;;
  esac
}

versions=""
[ "${1:-}" = --versions ] && { versions=1; shift; }
[ $# -gt 0 ] || set -- all
packages=()
for s in "$@"; do
  for p in $(set_packages "$s"); do
    case " ${packages[*]} " in *" $p "*) ;; *) packages+=("$p") ;; esac
  done
done

if [ -n "$versions" ]; then
  for p in "${packages[@]}"; do
    echo "$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo 'not installed')"
  done
  exit 0
fi

present() {
  case "$1" in
    busybox-static) [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ;; # the static one, not busybox
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}
missing=()
for p in "${packages[@]}"; do
  present "${evidence[$p]}" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  say "missing ${missing[*]}: install them as root, on Debian or Ubuntu with 'apt-get install -y --no-install-recommends ${missing[*]}' (or run 'sudo scripts/toolchains.sh $*')"
  exit 1
fi
log="${TMPDIR:-/tmp}/forkline-toolchains.log"
export DEBIAN_FRONTEND=noninteractive
apt=(-o DPkg::Lock::Timeout=600 -q)
# The host's package lists may be older than the mirror (a machine image's date): read them again
# when a package is not known, or its version can no longer be downloaded.
installable() { apt-cache show "$1" >/dev/null 2>&1; }
known=()
for p in "${missing[@]}"; do installable "$p" && known+=("$p"); done
if [ "${#known[@]}" -ne "${#missing[@]}" ]; then
  apt-get "${apt[@]}" update >"$log" 2>&1 || true
  known=()
  for p in "${missing[@]}"; do
    if installable "$p"; then known+=("$p"); else say "$p is not in this system's package archive: skipped (what needs it says so)"; fi
  done
fi
[ "${#known[@]}" -gt 0 ] || exit 0
say "installing ${known[*]} with apt-get (log: $log)"
if ! apt-get "${apt[@]}" install -y --no-install-recommends "${known[@]}" >>"$log" 2>&1; then
  apt-get "${apt[@]}" update >>"$log" 2>&1 || true
  apt-get "${apt[@]}" install -y --no-install-recommends "${known[@]}" >>"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    say "apt-get install ${known[*]} failed; see $log"
    exit 1
  }
fi
for p in "${known[@]}"; do
  present "${evidence[$p]}" || { say "$p is installed but ${evidence[$p]} is still missing"; exit 1; }
  say "installed $p $(dpkg-query -W -f='${Version}' "$p")"
done
