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
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${FORKLINE_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/forkline-vm}"
# Loaded in this order by init: virtio transport, then the 9p filesystem, then the scratch disk.
# One the kernel has built in (6.12 has virtio and its PCI transport, and fscache inside netfs)
# is left out.
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
         netfs fscache 9pnet 9pnet_virtio 9p virtio_blk)
series="${FORKLINE_VM_KERNEL:-6.1}"
case "$series" in
  6.1) series_glob='6.1.0-*' package_regex='^linux-image-6\.1\.0-[0-9]+-amd64(-unsigned)?$' ;;
  6.12) series_glob='6.12.*' package_regex='^linux-image-6\.12\.[0-9]+\+deb12(\.[0-9]+)?-amd64(-unsigned)?$' ;;
  *) echo "forkline-vm: ERROR: FORKLINE_VM_KERNEL must be 6.1 or 6.12, not $series" >&2; exit 1 ;;
esac

say() { echo "forkline-vm: $*" >&2; }
die() { echo "forkline-vm: ERROR: $*" >&2; exit 1; }

mkdir -p "$cache"

# --- host tools ------------------------------------------------------------------------------
need_packages=()
command -v qemu-system-x86_64 >/dev/null || need_packages+=(qemu-system-x86)
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need_packages+=(busybox-static)
command -v cpio >/dev/null || need_packages+=(cpio)
if [ "${#need_packages[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${need_packages[*]}: run 'apt-get install -y ${need_packages[*]}' as root"
  command -v apt-get >/dev/null || die "missing ${need_packages[*]} and no apt-get to install them"
  say "installing ${need_packages[*]} with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_packages[@]}" >"$cache/apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$cache/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_packages[@]}" >>"$cache/apt.log" 2>&1 ||
      die "apt-get install ${need_packages[*]} failed; see $cache/apt.log"
  fi
fi
for tool in qemu-system-x86_64 cpio gzip dpkg; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
  die "/bin/busybox is missing or not static (install busybox-static)"

# --- kernel ----------------------------------------------------------------------------------
complete() { [ -f "$1/.complete" ]; }
pick_cached() { # the newest complete kernel of the series already in the cache
  local d
  for d in $(ls -1d "$cache"/$series_glob 2>/dev/null | sort -V -r); do
    complete "$d" && { basename "$d"; return 0; }
  done
  return 1
}
# apt-get and apt-cache with the source the series comes from. bookworm's is the host's own
# configuration; bookworm-backports gets a private sources list and package lists in the cache.
apt_options=()
if [ "$series" = 6.12 ] || [[ "${FORKLINE_VM_KERNEL_PACKAGE:-}" == linux-image-6.12.* ]]; then
  apt_state="$cache/apt-bookworm-backports"
  apt_options=(-o "Dir::Etc::SourceList=$apt_state/sources.list" -o "Dir::Etc::SourceParts=$apt_state/sources.list.d"
               -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache" -o "APT::Sandbox::User=root")
fi
lists_read=""
backports_lists() { # reads bookworm-backports' package lists afresh: only when a kernel must be found or downloaded
  [ "${#apt_options[@]}" -gt 0 ] && [ -z "$lists_read" ] || return 0
  command -v apt-get >/dev/null || die "apt-get is needed to read bookworm-backports"
  mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial" "$apt_state/sources.list.d"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" \
    >"$apt_state/sources.list"
  say "reading bookworm-backports' package lists into $apt_state"
  apt-get "${apt_options[@]}" update -q >"$apt_state/update.log" 2>&1 ||
    { cat "$apt_state/update.log" >&2; die "apt-get update of bookworm-backports failed"; }
  lists_read=1
}
package="${FORKLINE_VM_KERNEL_PACKAGE:-}"
version=""
if [ -n "$package" ]; then
  version="$(sed -E 's/^linux-image-//; s/-unsigned$//' <<<"$package")"
elif ! version="$(pick_cached)"; then
  command -v apt-cache >/dev/null || die "no cached $series kernel in $cache and no apt-cache to find one"
  backports_lists
  # The newest plain kernel of the series (not cloud, rt or dbg), signed or unsigned: the image is the same.
  package="$(apt-cache "${apt_options[@]}" search --names-only "$package_regex" 2>/dev/null |
    awk '{print $1}' | sort -V | tail -n 1)"
  [ -n "$package" ] || die "apt-cache knows no $series linux-image package matching $package_regex (try 'apt-get update' as root)"
  version="$(sed -E 's/^linux-image-//; s/-unsigned$//' <<<"$package")"
fi
kdir="$cache/$version"
if ! complete "$kdir"; then
  [ -n "$package" ] || package="linux-image-$version"
  command -v apt-get >/dev/null || die "apt-get is needed to download $package"
  backports_lists
  say "downloading $package into $kdir"
  work="$(mktemp -d "$cache/.download.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get "${apt_options[@]}" download -q "$package" >download.log 2>&1) ||
    { cat "$work/download.log" >&2; die "apt-get download $package failed"; }
  deb="$(ls "$work"/*.deb)"
  dpkg -x "$deb" "$work/root"
  image="$work/root/boot/vmlinuz-$version"
  [ -f "$image" ] || die "$deb has no boot/vmlinuz-$version"
  mkdir -p "$work/ready/modules"
  cp "$image" "$work/ready/vmlinuz"
  builtin="$work/root/lib/modules/$version/modules.builtin"
  config="$work/root/boot/config-$version"
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
  echo "$package" >"$work/ready/package"
  touch "$work/ready/.complete"
  rm -rf "$kdir"
  mv "$work/ready" "$kdir"
  rm -rf "$work"
  trap - EXIT
fi

# --- initramfs -------------------------------------------------------------------------------
# Named after a hash of its inputs, so a changed init script or busybox makes a new one, and two
# builds at once never see a half-written file.
[ -f "$kdir/modules/order" ] || printf '%s\n' "${modules[@]}" >"$kdir/modules/order" # a cache from before the order file
digest="$( { sha256sum "$here/init" /bin/busybox; cat "$kdir/modules/order"; } | sha256sum | cut -c1-16)"
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
  # Older initramfs images of this kernel are stale now.
  find "$kdir" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "initramfs-$digest.cpio.gz" -delete
fi

echo "kernel=$kdir/vmlinuz"
echo "initramfs=$initramfs"
echo "version=$version"
