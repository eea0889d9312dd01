#!/usr/bin/env bash
# Prepares what the full-cgroup-v2 VM tier boots: qemu, a Debian kernel with its modules (6.1 from
# bookworm, or 6.12 from bookworm-backports), and an initramfs of static busybox, the modules the
# guest needs that the kernel does not have built in, and scripts/vm/init.
#
# Why a VM: this project's hosts are hybrid (memory, pids and cpu on cgroup v1, and forkline
# never writes to the v1 memory hierarchy), so memory.max, OOM kills, cpu.max, io.max and v2
# pids.max can only be tested on a kernel booted with every controller on v2
# (cgroup_no_v1=all). The guest shares the host's root read-only over virtio-9p and runs the
# host's JDK there, so nothing but the kernel and busybox is downloaded.
#
# Idempotent and quiet: missing packages are installed with apt-get (as root), the kernel is
# downloaded once into ${XDG_CACHE_HOME:-$HOME/.cache}/forkline-vm/<kernel-version>/ and reused,
# and the initramfs is rebuilt only when its inputs change. Every step that cannot be done fails
# with a message that says what is missing.
#
# Prints, on stdout, shell assignments for boot.sh:  kernel=PATH  initramfs=PATH  version=VER
# Environment: FORKLINE_VM_KERNEL=6.1 or 6.12 picks the series (default 6.1): the newest plain
#              amd64 kernel of it that the cache has, else the newest Debian has. 6.1 is
#              bookworm's own; 6.12 (per-fd reset of memory.peak, for instance) comes from
#              bookworm-backports, read through a private apt state in the cache, so the host's
#              apt sources are never changed.
#              FORKLINE_VM_KERNEL_PACKAGE=linux-image-VERSION[-unsigned] picks one exact kernel
#              (a 6.12 one from bookworm-backports);
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
need_packages=()
if [ "$arch" = amd64 ]; then
  command -v qemu-system-x86_64 >/dev/null || need_packages+=(qemu-system-x86)
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need_packages+=(busybox-static)
  qemu=qemu-system-x86_64 hint=""
else
  # The payload brings its own userland, so no busybox.
  command -v qemu-system-aarch64 >/dev/null || need_packages+=(qemu-system-arm)
  qemu=qemu-system-aarch64 hint=" (or run scripts/toolchains.sh vm, which installs qemu-system-arm)"
fi
command -v cpio >/dev/null || need_packages+=(cpio)
if [ "${#need_packages[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${need_packages[*]}: run 'apt-get install -y ${need_packages[*]}' as root$hint"
  command -v apt-get >/dev/null || die "missing ${need_packages[*]} and no apt-get to install them"
  say "installing ${need_packages[*]} with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_packages[@]}" >"$cache/apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$cache/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_packages[@]}" >>"$cache/apt.log" 2>&1 ||
      die "apt-get install ${need_packages[*]} failed; see $cache/apt.log"
  fi
fi
for tool in "$qemu" cpio gzip dpkg; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
if [ "$arch" = amd64 ]; then
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
    die "/bin/busybox is missing or not static (install busybox-static)"
fi

# --- kernel ----------------------------------------------------------------------------------
complete() { [ -f "$1/.complete" ]; }
pick_cached() { # the newest complete kernel of the series already in the cache
  local d
  for d in $(ls -1d "$kroot"/$series_glob 2>/dev/null | sort -V -r); do
    complete "$d" && { basename "$d"; return 0; }
  done
  return 1
}
# apt-get and apt-cache with the source the series comes from. bookworm's amd64 one is the host's
# own configuration; bookworm-backports, and bookworm for arm64, get a private sources list and
# package lists in the cache.
apt_options=()
apt_sources=()
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ "$arch" = arm64 ]; then
  # -updates and -security too: bookworm's own lists only have the release's first 6.1 kernel.
  apt_state="$cache/apt-bookworm-arm64" apt_what="bookworm for arm64" apt_lists="bookworm's arm64"
  apt_sources=("deb [signed-by=$keyring] http://deb.debian.org/debian bookworm main"
               "deb [signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main"
               "deb [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main")
elif [ "$series" = 6.12 ] || [[ "${FORKLINE_VM_KERNEL_PACKAGE:-}" == linux-image-6.12.* ]]; then
  apt_state="$cache/apt-bookworm-backports" apt_what="bookworm-backports" apt_lists="bookworm-backports'"
  apt_sources=("deb [signed-by=$keyring] http://deb.debian.org/debian bookworm-backports main")
fi
if [ "${#apt_sources[@]}" -gt 0 ]; then
  apt_options=(-o "Dir::Etc::SourceList=$apt_state/sources.list" -o "Dir::Etc::SourceParts=$apt_state/sources.list.d"
               -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache" -o "APT::Sandbox::User=root")
  # Only for these apt commands: the host's dpkg architectures stay as they are.
  [ "$arch" = amd64 ] || apt_options+=(-o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
fi
lists_read=""
private_lists() { # reads the private package lists afresh: only when a kernel must be found or downloaded
  [ "${#apt_options[@]}" -gt 0 ] && [ -z "$lists_read" ] || return 0
  command -v apt-get >/dev/null || die "apt-get is needed to read $apt_what"
  mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial" "$apt_state/sources.list.d"
  printf '%s\n' "${apt_sources[@]}" >"$apt_state/sources.list"
  say "reading $apt_lists package lists into $apt_state"
  apt-get "${apt_options[@]}" update -q >"$apt_state/update.log" 2>&1 ||
    { cat "$apt_state/update.log" >&2; die "apt-get update of $apt_what failed"; }
  lists_read=1
}
package="${FORKLINE_VM_KERNEL_PACKAGE:-}"
version=""
if [ -n "$package" ]; then
  version="$(sed -E 's/^linux-image-//; s/-unsigned$//' <<<"$package")"
elif ! version="$(pick_cached)"; then
  command -v apt-cache >/dev/null || die "no cached $series kernel in $cache and no apt-cache to find one"
  private_lists
  # The newest plain kernel of the series (not cloud, rt or dbg), signed or unsigned: the image is the same.
  package="$(apt-cache "${apt_options[@]}" search --names-only "$package_regex" 2>/dev/null |
    awk '{print $1}' | sort -V | tail -n 1)"
  [ -n "$package" ] || die "apt-cache knows no $series linux-image package matching $package_regex (try 'apt-get update' as root)"
  version="$(sed -E 's/^linux-image-//; s/-unsigned$//' <<<"$package")"
fi
kdir="$kroot/$version"
if ! complete "$kdir"; then
  [ -n "$package" ] || package="linux-image-$version"
  command -v apt-get >/dev/null || die "apt-get is needed to download $package"
  private_lists
  say "downloading $package into $kdir"
  mkdir -p "$kroot"
  work="$(mktemp -d "$cache/.download.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get "${apt_options[@]}" download -q "$package" >download.log 2>&1) ||
    { cat "$work/download.log" >&2; die "apt-get download $package failed"; }
  deb="$(ls "$work"/*.deb)"
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

echo "kernel=$kdir/vmlinuz"
echo "initramfs=$initramfs"
echo "version=$version"
