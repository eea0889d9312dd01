#!/usr/bin/env bash
# Prepares what the full-cgroup-v2 VM tier boots: qemu, a Debian kernel with its modules (6.1, or
# 6.12 from bookworm-security and -backports), and an initramfs of static busybox, the modules the
# guest needs that the kernel does not have built in, and scripts/vm/init.
#
# Why a VM: this project's hosts are hybrid (memory, pids and cpu on cgroup v1, and forkline
# never writes to the v1 memory hierarchy), so memory.max, OOM kills, cpu.max, io.max and v2
# pids.max can only be tested on a kernel booted with every controller on v2
# (cgroup_no_v1=all). The guest shares the host's root read-only over virtio-9p and runs the
# host's JDK there, so nothing but the kernel and busybox is downloaded.
#
# Idempotent: missing host packages are installed by scripts/toolchains.sh (as root); the kernel is
# the newest build of its series that the mirror serves today (see "Which build" below),
# downloaded once into ${XDG_CACHE_HOME:-$HOME/.cache}/forkline-vm/<kernel-version>/ with a record
# of where it came from (inputs: package, Debian version, suite, sha256 of the .deb, date), and
# the initramfs is rebuilt only when its inputs change (recorded beside it, initramfs-*.inputs).
# Every step that cannot be done fails with a message that says what is missing.
#
# Prints, on stdout, shell assignments for boot.sh and the tests:
#   kernel=PATH initramfs=PATH version=RELEASE package=NAME debian_version=VER inputs=PATH
# and on stderr the kernel's record and qemu's version (the VM tier puts both in the test output).
# Environment: FORKLINE_VM_KERNEL=6.1 or 6.12 picks the series (default 6.1): 6.1 is bookworm's
#              own, 6.12 the +deb12 builds of bookworm-security and bookworm-backports.
#              FORKLINE_VM_KERNEL_PACKAGE=linux-image-VERSION[-unsigned] picks one exact build of
#              either; exit status 3 when it is neither cached nor served by the mirror.
#              FORKLINE_VM_LISTS_MAX_AGE: minutes between reads of the mirror's lists (60).
#              FORKLINE_VM_CACHE overrides the cache directory.
#
# arm64 mode (FORKLINE_VM_ARCH=arm64 FORKLINE_VM_PAYLOAD=/abs/dir): for running a cross-compiled
# C test harness of forkline's native library on a real aarch64 kernel (qemu-system-aarch64,
# TCG), its results on the serial console. The kernel is bookworm's newest plain 6.1 arm64 one
# (bookworm, -updates and -security, read through a private arm64 apt state in the cache, so
# the host's apt sources and dpkg architectures are never changed), cached in
# <cache>/arm64/<kernel-version>/. It loads no modules: its PL011 console, initramfs, ELF, cgroup2
# and PSCI poweroff are built in, which the download checks. The initramfs is the payload
# directory as it is (the caller puts /init there, and for a dynamic init the loader
# /lib/ld-linux-aarch64.so.1 and its libraries, libc.so.6 and so on, in /lib), plus
# /dev/console and empty /proc, /sys, /dev and /tmp when the payload lacks them; it is named
# after a hash of the payload's contents. FORKLINE_VM_KERNEL may only be 6.1 there, and
# FORKLINE_VM_KERNEL_PACKAGE may name one exact linux-image-6.1.0-NN-arm64[-unsigned].
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${FORKLINE_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/forkline-vm}"

say() { echo "forkline-vm: $*" >&2; }
die() { echo "forkline-vm: ERROR: $*" >&2; exit 1; }
# Exit status 3: the kernel build asked for cannot be had (a test may skip a pinned build then).
not_served() { echo "forkline-vm: ERROR: $*" >&2; exit 3; }

arch="${FORKLINE_VM_ARCH:-amd64}"
case "$arch" in
  amd64|arm64) ;;
  *) die "FORKLINE_VM_ARCH must be amd64 (the JVM tier, the default) or arm64 (a payload of aarch64 binaries), not $arch" ;;
esac
# amd64 kernels sit at the top of the cache, as they always have; other architectures get a
# subdirectory each, so neither sees the other's kernels.
kroot="$cache"
[ "$arch" = amd64 ] || kroot="$cache/$arch"
# Loaded in this order by init: virtio transport, then the 9p filesystem, then the scratch disk.
# One the kernel has built in (6.12 has virtio and its PCI transport, and fscache inside netfs)
# is left out. The arm64 guest has no 9p shares or disk, so it needs none of them.
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
         netfs fscache 9pnet 9pnet_virtio 9p virtio_blk)
[ "$arch" = amd64 ] || modules=()
# What the arm64 guest relies on, so it must be built in (=y): the PL011 serial console, a gzip
# initramfs, ELF and #! binaries, proc, sysfs, devtmpfs and tmpfs, cgroup2 with the controllers
# forkline drives, and PSCI, through which the guest powers off (and qemu, with -no-reboot, exits).
arm64_builtins=(SERIAL_AMBA_PL011 SERIAL_AMBA_PL011_CONSOLE BLK_DEV_INITRD RD_GZIP BINFMT_ELF
                BINFMT_SCRIPT PROC_FS SYSFS DEVTMPFS TMPFS CGROUPS MEMCG CGROUP_PIDS CGROUP_SCHED
                CFS_BANDWIDTH ARM_PSCI_FW)
series="${FORKLINE_VM_KERNEL:-6.1}"
case "$arch/$series" in
  amd64/6.1) series_glob='6.1.0-*' package_regex='^linux-image-6\.1\.0-[0-9]+-amd64(-unsigned)?$' ;;
  amd64/6.12) series_glob='6.12.*' package_regex='^linux-image-6\.12\.[0-9]+\+deb12(\.[0-9]+)?-amd64(-unsigned)?$' ;;
  amd64/*) echo "forkline-vm: ERROR: FORKLINE_VM_KERNEL must be 6.1 or 6.12, not $series" >&2; exit 1 ;;
  arm64/6.1) series_glob='6.1.0-*' package_regex='^linux-image-6\.1\.0-[0-9]+-arm64(-unsigned)?$' ;;
  arm64/*) die "FORKLINE_VM_KERNEL must be 6.1 with FORKLINE_VM_ARCH=arm64 (bookworm's own arm64 kernel), not $series" ;;
esac
if [ "$arch" = arm64 ] && [ -n "${FORKLINE_VM_KERNEL_PACKAGE:-}" ]; then
  [[ "$FORKLINE_VM_KERNEL_PACKAGE" =~ $package_regex ]] ||
    die "with FORKLINE_VM_ARCH=arm64, FORKLINE_VM_KERNEL_PACKAGE must be a linux-image-6.1.0-NN-arm64[-unsigned], not $FORKLINE_VM_KERNEL_PACKAGE"
fi

# --- arm64 payload ---------------------------------------------------------------------------
# Checked before anything is downloaded: a payload the kernel cannot run as /init would only
# show up as a kernel panic on the guest's console.
payload=""
if [ "$arch" = arm64 ]; then
  payload="${FORKLINE_VM_PAYLOAD:-}"
  [ -n "$payload" ] ||
    die "FORKLINE_VM_ARCH=arm64 needs FORKLINE_VM_PAYLOAD=/abs/dir, the directory that becomes the guest's root (with an aarch64 /init)"
  case "$payload" in /*) ;; *) die "FORKLINE_VM_PAYLOAD must be absolute: $payload" ;; esac
  [ -d "$payload" ] || die "FORKLINE_VM_PAYLOAD is not a directory: $payload"
  payload="$(cd "$payload" && pwd -P)"
  init="$payload/init"
  [ -e "$init" ] || [ -L "$init" ] ||
    die "$payload has no init: the guest runs /init (rdinit=/init), so put the harness there"
  if [ -f "$init" ] && [ ! -L "$init" ]; then
    [ -x "$init" ] || die "$init is not executable: chmod +x it"
    if [ "$(head -c 4 "$init" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
      machine="$(od -An -tu2 -j18 -N2 "$init" | tr -d ' ')" # e_machine; 183 is EM_AARCH64
      [ "$machine" = 183 ] ||
        die "$init is an ELF for machine $machine, not aarch64 (183): build it with aarch64-linux-gnu-gcc"
      # A dynamic init whose loader is missing fails in the guest with a bare "No working init found".
      if command -v readelf >/dev/null; then
        interp="$(readelf -lW "$init" 2>/dev/null | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]$/\1/p')"
        [ -z "$interp" ] || [ -e "$payload$interp" ] || [ -L "$payload$interp" ] ||
          die "$init is dynamic and needs its loader $interp, which $payload lacks: copy /usr/aarch64-linux-gnu/lib/${interp##*/} to $payload$interp and the libraries it needs (libc.so.6, ...) to $payload/lib"
      fi
    fi
  fi
fi

mkdir -p "$cache"

# --- host tools ------------------------------------------------------------------------------
# Installed (as root) by the one installer, which says what to run when it cannot.
if [ "$arch" = amd64 ]; then
  "$here/../toolchains.sh" vm || die "the VM tier needs qemu-system-x86, busybox-static and cpio"
  qemu=qemu-system-x86_64
else
  # The payload brings its own userland, so no busybox.
  "$here/../toolchains.sh" arm64vm || die "the arm64 VM needs qemu-system-arm"
  qemu=qemu-system-aarch64
fi
for tool in "$qemu" cpio gzip dpkg; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
if [ "$arch" = amd64 ]; then
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
    die "/bin/busybox is missing or not static (install busybox-static)"
fi

# --- kernel ----------------------------------------------------------------------------------
# Which build: the newest of the series that the mirror serves today, never merely the newest one
# a warm cache holds, because a new build can change what a test sees (Debian's 6.12.115 and
# 6.1.192 stopped SIGKILLing a child born into a group after cgroup.kill, which their earlier
# builds, and 6.18, do).
# The package lists are read into a private apt state (the host's apt sources and lists are never
# used or changed, so a machine's image date does not pick the kernel either), at most once per
# FORKLINE_VM_LISTS_MAX_AGE minutes (default 60: the several boots of one test run read them
# once). When the mirror cannot be read, the lists read last time decide, and the script says
# so; with none, the newest cached kernel of the series, said just as loudly.
# FORKLINE_VM_KERNEL_PACKAGE=linux-image-VERSION[-unsigned] names one exact build instead.
complete() { [ -f "$1/.complete" ] && [ -f "$1/inputs" ]; }
pick_cached() { # the newest complete kernel of the series already in the cache
  local d
  for d in $(ls -1d "$kroot"/$series_glob 2>/dev/null | sort -V -r); do
    complete "$d" && { basename "$d"; return 0; }
  done
  return 1
}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
# Every bookworm suite that carries kernels: the release, its point updates, the security
# archive (6.1 updates, and the 6.12 builds Debian 12 now ships there) and backports (6.12).
apt_state="$cache/apt-bookworm-$arch"
apt_sources=("deb [signed-by=$keyring] http://deb.debian.org/debian bookworm main"
             "deb [signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main"
             "deb [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main"
             "deb [signed-by=$keyring] http://deb.debian.org/debian bookworm-backports main")
. "$here/../mirror.sh"
lists_state="" # fresh, stale or none once private_lists has run
apt_options=()
private_lists() { # the private package lists (mirror.sh), read at most once per run of this script
  [ -z "$lists_state" ] || return 0
  mirror_lists "$apt_state" "$arch" "${FORKLINE_VM_LISTS_MAX_AGE:-60}" "${apt_sources[@]}" ||
    die "FORKLINE_VM_LISTS_MAX_AGE must be a number of minutes, not ${FORKLINE_VM_LISTS_MAX_AGE:-}"
  lists_state="$mirror_state"
  apt_options=("${mirror_apt[@]}")
}
package="${FORKLINE_VM_KERNEL_PACKAGE:-}"
version=""
if [ -n "$package" ]; then
  version="$(sed -E 's/^linux-image-//; s/-unsigned$//' <<<"$package")"
else
  private_lists
  if [ "$lists_state" != none ]; then
    # The newest plain kernel of the series (not cloud, rt or dbg); the signed package where
    # there is one (the unsigned image is the same kernel).
    candidates="$(apt-cache "${apt_options[@]}" search --names-only "$package_regex" 2>/dev/null | awk '{print $1}')"
    newest="$(sed -E 's/-unsigned$//' <<<"$candidates" | sort -uV | tail -n 1)"
    [ -n "$newest" ] || die "the mirror's bookworm suites hold no $series linux-image package matching $package_regex"
    if grep -qx -- "$newest" <<<"$candidates"; then package="$newest"; else package="$newest-unsigned"; fi
    version="$(sed -E 's/^linux-image-//' <<<"$newest")"
  elif version="$(pick_cached)"; then
    say "WARNING: using the newest cached $series kernel, $version, without knowing what the mirror serves today"
    package="$(cat "$kroot/$version/package")"
  else
    die "no $series kernel is cached in $kroot, and the mirror could not be read to find one"
  fi
fi
kdir="$kroot/$version"
if ! complete "$kdir"; then
  command -v apt-get >/dev/null || die "apt-get is needed to download $package"
  private_lists
  [ "$lists_state" != none ] || not_served "$package is not cached in $kroot, and the mirror could not be read to download it"
  debian_version="$(mirror_version "$package")"
  [ -n "$debian_version" ] || not_served "$package is not cached in $kroot, and the mirror's bookworm suites ($arch) do not serve it today"
  say "downloading $package $debian_version into $kdir"
  mkdir -p "$kroot"
  work="$(mktemp -d "$cache/.download.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  # apt-get download checks the file against the SHA256 of the signed index it was listed in.
  (cd "$work" && apt-get "${apt_options[@]}" download -q "$package=$debian_version" >download.log 2>&1) ||
    { cat "$work/download.log" >&2; die "apt-get download $package failed"; }
  deb="$(ls "$work"/*.deb)"
  # Where the build came from, kept beside it and printed at every use (the test output shows it).
  suite="$(apt-cache "${apt_options[@]}" madison "$package" 2>/dev/null |
    awk -F'|' -v v="$debian_version" '{gsub(/ /, "", $2)} $2 == v {sub(/^ +/, "", $3); sub(/ Packages$/, "", $3); print $3; exit}')"
  mkdir -p "$work/ready"
  {
    echo "package=$package"
    echo "debian_version=$debian_version"
    echo "from=${suite:-unknown}"
    echo "sha256=$(sha256sum <"$deb" | cut -d' ' -f1)"
    echo "fetched=$(date -u +%FT%TZ)"
  } >"$work/ready/inputs.new"
  dpkg -x "$deb" "$work/root"
  image="$work/root/boot/vmlinuz-$version"
  [ -f "$image" ] || die "$deb has no boot/vmlinuz-$version"
  builtin="$work/root/lib/modules/$version/modules.builtin"
  config="$work/root/boot/config-$version"
  if [ "$arch" = arm64 ]; then
    # The arm64 guest loads no modules, so all it needs must be built in.
    [ -f "$config" ] || die "$deb has no boot/config-$version to check the kernel's built-in options in"
    for option in "${arm64_builtins[@]}"; do
      grep -qx "CONFIG_$option=y" "$config" ||
        die "$package does not have CONFIG_$option built in (=y), and the arm64 guest loads no modules"
    done
    mkdir -p "$work/ready"
    # qemu -kernel boots an arm64 Image (bookworm's vmlinuz is one, uncompressed, behind its EFI
    # stub); a gzipped one is unpacked here. Anything else (an EFI zboot image, which this qemu
    # cannot unpack) is refused here rather than left to hang the guest.
    if [ "$(head -c 2 "$image" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; then
      gzip -dc "$image" >"$work/ready/vmlinuz"
    else
      cp "$image" "$work/ready/vmlinuz"
    fi
    [ "$(od -An -c -j56 -N4 "$work/ready/vmlinuz" | tr -d ' \n')" = ARMd ] ||
      die "boot/vmlinuz-$version in $deb is not an arm64 Image (no ARM\\x64 magic at byte 56)"
  else
    mkdir -p "$work/ready/modules"
    cp "$image" "$work/ready/vmlinuz"
    : >"$work/ready/modules/order"
    for m in "${modules[@]}"; do
      # Module file names use '_' or '-' interchangeably; busybox insmod cannot read compressed modules.
      pattern="$(sed 's/[_-]/[_-]/g' <<<"$m")"
      # Built in: listed as such, or (fscache inside netfs on 6.12) its option is y rather than m.
      if { [ -f "$builtin" ] && grep -Eq "/${pattern}\.ko\$" "$builtin"; } ||
         { [ -f "$config" ] && grep -qx "CONFIG_$(tr 'a-z-' 'A-Z_' <<<"$m")=y" "$config"; }; then
        continue
      fi
      found="$(find "$work/root/lib/modules/$version/kernel" -regextype posix-extended \
        -regex ".*/${pattern}\.ko(\.xz|\.zst|\.gz)?" | head -n 1)"
      [ -n "$found" ] || die "module $m is not in $deb"
      case "$found" in
        *.xz) xz -dc "$found" >"$work/ready/modules/$m.ko" ;;
        *.zst) zstd -qdc "$found" >"$work/ready/modules/$m.ko" ;;
        *.gz) gzip -dc "$found" >"$work/ready/modules/$m.ko" ;;
        *) cp "$found" "$work/ready/modules/$m.ko" ;;
      esac
      echo "$m" >>"$work/ready/modules/order"
    done
  fi
  echo "$package" >"$work/ready/package"
  mv "$work/ready/inputs.new" "$work/ready/inputs"
  touch "$work/ready/.complete"
  rm -rf "$kdir"
  mv "$work/ready" "$kdir"
  rm -rf "$work"
  trap - EXIT
fi

# --- initramfs -------------------------------------------------------------------------------
if [ "$arch" = arm64 ]; then
  # Named after a hash of the payload's contents (names, types, modes, link targets and bytes,
  # not times) and of what this script adds, so a changed payload makes a new one, an unchanged
  # one is reused, and two builds at once never see a half-written file.
  [ "$(id -u)" = 0 ] || [ -e "$payload/dev/console" ] ||
    say "not root: the initramfs gets no /dev/console, so the guest's /init starts without a console and its output is lost (run as root, or put dev/console in the payload)"
  digest="$( {
    echo "payload v1: newc, root-owned; adds dev/console (when root) and proc sys dev tmp; uid $(id -u)"
    (cd "$payload" && find . -printf '%y %m %p %l\n' | LC_ALL=C sort)
    (cd "$payload" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
  } | sha256sum | cut -c1-16)"
  initramfs="$kdir/initramfs-$digest.cpio.gz"
  if [ ! -f "$initramfs" ]; then
    stage="$(mktemp -d "$cache/.initramfs.XXXXXX")"
    trap 'rm -rf "$stage"' EXIT
    # The payload as it is; then what the kernel and a bare init expect: /dev/console, which the
    # kernel opens for init before anything is mounted, and mount points for the usual filesystems.
    cp -a "$payload/." "$stage/"
    mkdir -p "$stage"/{proc,sys,dev,tmp}
    [ "$(id -u)" != 0 ] || [ -e "$stage/dev/console" ] || mknod -m 600 "$stage/dev/console" c 5 1
    (cd "$stage" && find . -print0 | cpio --null -o -H newc --owner=0:0 --quiet | gzip -1) >"$stage.cpio.gz"
    mv "$stage.cpio.gz" "$initramfs"
    rm -rf "$stage"
    trap - EXIT
  fi
else
  # Named after a hash of its inputs, so a changed init script or busybox makes a new one, and two
  # builds at once never see a half-written file.
  [ -f "$kdir/modules/order" ] || printf '%s\n' "${modules[@]}" >"$kdir/modules/order" # a cache from before the order file
  # Contents only, read from stdin: sha256sum prints a named file's path, and the checkout's path
  # must not change the digest, or every worktree would rebuild the image the others use.
  digest="$( { sha256sum <"$here/init"; sha256sum </bin/busybox; cat "$kdir/modules/order"; } | sha256sum | cut -c1-16)"
  initramfs="$kdir/initramfs-$digest.cpio.gz"
  if [ ! -f "$initramfs" ]; then
    stage="$(mktemp -d "$cache/.initramfs.XXXXXX")"
    trap 'rm -rf "$stage"' EXIT
    mkdir -p "$stage"/{bin,dev,proc,sys,mnt/host,lib/modules}
    cp /bin/busybox "$stage/bin/busybox"
    ln -s busybox "$stage/bin/sh"
    # The kernel opens /dev/console for init before anything is mounted.
    [ "$(id -u)" != 0 ] || mknod -m 600 "$stage/dev/console" c 5 1
    cp "$here/init" "$stage/init"
    chmod 755 "$stage/init"
    for m in $(cat "$kdir/modules/order"); do cp "$kdir/modules/$m.ko" "$stage/lib/modules/"; done
    cp "$kdir/modules/order" "$stage/lib/modules/order"
    (cd "$stage" && find . -print0 | cpio --null -o -H newc --owner=0:0 --quiet | gzip -1) >"$stage.cpio.gz"
    mv "$stage.cpio.gz" "$initramfs"
    rm -rf "$stage"
    trap - EXIT
  fi
fi

# Another image of this kernel may be one that a build beside this one (another worktree, another
# payload) has just made and is about to boot, so it is not deleted here because it differs from
# ours. Using an image touches it; one unused for a day is stale, and only those are removed.
touch "$initramfs"
find "$kdir" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "initramfs-$digest.cpio.gz" -mmin +1440 -delete
find "$kdir" -maxdepth 1 -name 'initramfs-*.inputs' ! -name "initramfs-$digest.inputs" -mmin +1440 -delete
# Kernels: the same rule over a longer time, so that a pinned build in use is never removed while
# a build the mirror no longer names does not stay for ever.
touch "$kdir/.complete"
find "$kroot" -mindepth 2 -maxdepth 2 -name .complete -mtime +30 -printf '%h\n' | while read -r old; do
  [ "$old" = "$kdir" ] || rm -rf "$old"
done

# What this boot is made of, beside the image, and in full on stderr (the test output shows it).
if [ "$arch" = amd64 ]; then
  {
    echo "kernel=$(grep -h '^package=\|^debian_version=' "$kdir/inputs" | cut -d= -f2 | paste -sd' ')"
    echo "busybox-static=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown) sha256=$(sha256sum </bin/busybox | cut -d' ' -f1)"
    echo "init=sha256:$(sha256sum <"$here/init" | cut -d' ' -f1)"
    echo "modules=$(paste -sd' ' "$kdir/modules/order")"
  } >"$kdir/initramfs-$digest.inputs"
fi
say "kernel $(paste -sd' ' "$kdir/inputs")"
say "$qemu $("$qemu" --version | head -n 1 | sed 's/^QEMU emulator version //')"

echo "kernel=$kdir/vmlinuz"
echo "initramfs=$initramfs"
echo "version=$version"
echo "package=$(cat "$kdir/package")"
echo "debian_version=$(sed -n 's/^debian_version=//p' "$kdir/inputs")"
echo "inputs=$kdir/inputs"
