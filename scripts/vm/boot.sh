#!/usr/bin/env bash
# Boots the full-cgroup-v2 test VM once and runs one JVM in it:
#     scripts/vm/boot.sh --out DIR [--java PATH] [--mem 2G] [--smp 2]
# DIR (absolute, existing, on the host) must hold java.args, the JVM's arguments as a Java
# @argfile; the guest mounts DIR read-write at the same path and the host's root read-only, runs
# PATH @DIR/java.args in a chroot of the host root with cgroup2 and every controller at
# /sys/fs/cgroup, writes DIR/exit-status, and powers off. The serial console (kernel, init and
# the JVM's output) is this script's stdout. qemu replaces this script (exec), so the caller
# holds qemu's pid and can kill it.
#
# Or boots an aarch64 guest once, to run a cross-compiled C test harness of forkline's native
# library on a real aarch64 kernel:
#     scripts/vm/boot.sh --arch arm64 --payload DIR [--mem 512M] [--smp 1]
# DIR (absolute, on the host) becomes the guest's whole root filesystem (an initramfs, see
# prepare.sh): the kernel runs DIR/init as PID 1, which must be an aarch64 binary (static, or
# dynamic with /lib/ld-linux-aarch64.so.1 and its libraries in DIR/lib), mount what it needs
# itself (/proc, /sys, cgroup2 at /sys/fs/cgroup) and end with reboot(RB_POWER_OFF); qemu then
# exits with status 0. There are no shares and no disk: the harness's results are what it
# writes to the console, this script's stdout, as in the amd64 mode.
#
# Emulated (TCG): KVM hangs on this project's machines, and an aarch64 guest on this host has
# no other way. The guest's memory must be free on the host: the script refuses to boot, and
# says why, when MemAvailable is short of it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
arch=amd64 out="" java="" payload="" mem="" smp=""
usage() {
  echo "usage: $0 --out DIR [--java PATH] [--mem 2G] [--smp 2]" >&2
  echo "       $0 --arch arm64 --payload DIR [--mem 512M] [--smp 1]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case "$1" in
    --arch) arch="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --java) java="$2"; shift 2 ;;
    --payload) payload="$2"; shift 2 ;;
    --mem) mem="$2"; shift 2 ;;
    --smp) smp="$2"; shift 2 ;;
    *) usage ;;
  esac
done
die() { echo "forkline-vm: ERROR: $*" >&2; exit 1; }
case "$arch" in
  amd64)
    mem="${mem:-2G}" smp="${smp:-2}"
    [ -z "$payload" ] || die "--payload is for --arch arm64; the amd64 guest runs a JVM from --out DIR"
    [ -n "$out" ] || die "--out DIR is required"
    case "$out" in /*) ;; *) die "--out must be absolute: $out" ;; esac
    [ -d "$out" ] || die "no directory $out"
    [ -f "$out/java.args" ] || die "no $out/java.args"
    if [ -z "$java" ]; then
      java="${JAVA_HOME:+$JAVA_HOME/bin/java}"
      [ -n "$java" ] || die "--java PATH or JAVA_HOME is required"
    fi
    [ -x "$java" ] || die "not executable: $java"
    case "$java $out" in *' '*' '*|*,*) die "paths with spaces or commas cannot be passed to the guest: $java $out" ;; esac
    ;;
  arm64)
    # A C harness needs far less memory than a JVM. One vCPU is one TCG thread, which leaves
    # the other of this host's two cores to whatever runs beside the VM; --smp raises it.
    mem="${mem:-512M}" smp="${smp:-1}"
    [ -z "$out$java" ] ||
      die "--out and --java are for the amd64 JVM guest; the arm64 guest has no shares and writes its results to the console"
    [ -n "$payload" ] || die "--payload DIR is required with --arch arm64 (DIR/init is the guest's PID 1)"
    case "$payload" in /*) ;; *) die "--payload must be absolute: $payload" ;; esac
    [ -d "$payload" ] || die "no directory $payload"
    ;;
  *) die "--arch must be amd64 or arm64, not $arch" ;;
esac

# qemu allocates guest memory lazily, so a short host would fail mid-test with an OOM kill of
# qemu; refuse up front instead. 256 MiB covers qemu's own code, TCG's translation cache and 9p.
[[ "$mem" =~ ^([0-9]+)([MmGg])$ ]] || die "--mem takes a whole size in M or G, like 2G: $mem"
mem_mib=${BASH_REMATCH[1]}
case "${BASH_REMATCH[2]}" in [Gg]) mem_mib=$(( mem_mib * 1024 )) ;; esac
available_mib=$(( $(awk '/^MemAvailable:/ {print $2}' /proc/meminfo) / 1024 ))
[ "$available_mib" -ge $(( mem_mib + 256 )) ] ||
  die "the VM needs $(( mem_mib + 256 )) MiB of free memory (--mem $mem and qemu's own), and MemAvailable is ${available_mib} MiB"

# The architecture is passed on explicitly, so an exported FORKLINE_VM_ARCH cannot make
# prepare.sh build for the other guest. Its assignments are taken only when it succeeded (eval
# of a failed command substitution would carry on, and fail later on an unset variable).
if [ "$arch" = arm64 ]; then
  prepared="$(FORKLINE_VM_ARCH=arm64 FORKLINE_VM_PAYLOAD="$payload" "$here/prepare.sh")" || exit 1
  eval "$prepared"
  # virt with -cpu max: every feature TCG emulates, so the harness meets a current aarch64 core.
  # pauth-impdef: pointer authentication stays on, computed with QEMU's own cheap hash instead of
  # the architected QARMA one, which makes the emulated boot about three times faster.
  # rdinit=/init: the payload's init, run from the initramfs (there is no other root).
  exec qemu-system-aarch64 \
    -M virt -cpu max,pauth-impdef=on -accel tcg -m "$mem" -smp "$smp" \
    -nodefaults -no-user-config -display none -monitor none -nic none -no-reboot \
    -serial stdio \
    -kernel "$kernel" -initrd "$initramfs" \
    -append "console=ttyAMA0 panic=-1 loglevel=4 rdinit=/init"
fi

prepared="$(FORKLINE_VM_ARCH=amd64 "$here/prepare.sh")" || exit 1
eval "$prepared"

# A small scratch disk for io.max (blk-throttle needs a real block device): sparse, beside DIR.
# IoLimitTest writes over it only after checking that /dev/vda has exactly this size.
disk="$out.scratch.img"
truncate -s 64M "$disk"

exec qemu-system-x86_64 \
  -accel tcg -cpu max -m "$mem" -smp "$smp" \
  -nodefaults -no-user-config -display none -monitor none -nic none -no-reboot \
  -serial stdio \
  -kernel "$kernel" -initrd "$initramfs" \
  -append "console=ttyS0 cgroup_no_v1=all panic=-1 loglevel=4 forkline.out=$out forkline.java=$java" \
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
  -virtfs "local,path=$out,mount_tag=forkline-out,security_model=none" \
  -drive "if=virtio,format=raw,file=$disk"
