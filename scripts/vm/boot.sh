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
# Emulated (TCG): KVM hangs on this project's machines. The guest's memory must be free on the
# host: the script refuses to boot, and says why, when MemAvailable is short of it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="" java="" mem=2G smp=2
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --java) java="$2"; shift 2 ;;
    --mem) mem="$2"; shift 2 ;;
    --smp) smp="$2"; shift 2 ;;
    *) echo "usage: $0 --out DIR [--java PATH] [--mem 2G] [--smp 2]" >&2; exit 2 ;;
  esac
done
die() { echo "forkline-vm: ERROR: $*" >&2; exit 1; }
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

# qemu allocates guest memory lazily, so a short host would fail mid-test with an OOM kill of
# qemu; refuse up front instead. 256 MiB covers qemu's own code, TCG's translation cache and 9p.
[[ "$mem" =~ ^([0-9]+)([MmGg])$ ]] || die "--mem takes a whole size in M or G, like 2G: $mem"
mem_mib=${BASH_REMATCH[1]}
case "${BASH_REMATCH[2]}" in [Gg]) mem_mib=$(( mem_mib * 1024 )) ;; esac
available_mib=$(( $(awk '/^MemAvailable:/ {print $2}' /proc/meminfo) / 1024 ))
[ "$available_mib" -ge $(( mem_mib + 256 )) ] ||
  die "the VM needs $(( mem_mib + 256 )) MiB of free memory (--mem $mem and qemu's own), and MemAvailable is ${available_mib} MiB"

eval "$("$here/prepare.sh")"

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
