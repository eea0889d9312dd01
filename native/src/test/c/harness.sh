#!/usr/bin/env bash
# Builds harness.c for one kind of host and runs it against a libforkline.so, or, for aarch64,
# lays out the VM payload it runs in:
#     harness.sh glibc|musl|glibc-2.31 LIBRARY WORKDIR   builds WORKDIR/harness-KIND, runs it and
#                                                        writes WORKDIR/KIND.xml (JUnit XML);
#                                                        exits with the harness's status (0 all
#                                                        passed, 1 a case failed)
#     harness.sh aarch64 LIBRARY WORKDIR                 writes WORKDIR/payload/: /init (the harness,
#                                                        cross-compiled), /lib/libforkline.so and the
#                                                        arm64 glibc's loader and libc, for
#                                                        scripts/vm/boot.sh --arch arm64
#   glibc       the build host's own C library
#   musl        musl-gcc (Debian's musl-tools): the C library of Alpine, where many JVM images run
#   glibc-2.31  Debian 11's glibc, older than the 2.34 the library once needed: the harness is
#               compiled against its headers and libraries (a sysroot of bullseye's libc6,
#               libc6-dev and linux-libc-dev, fetched once with apt-get download through a private
#               apt state, so the host's apt configuration is never changed) and run by its loader
#   aarch64     gcc-aarch64-linux-gnu with libc6-dev-arm64-cross
# Missing compilers are installed by scripts/toolchains.sh. Exit status 2 or more: the harness
# could not be built or run, and the message says why.
set -euo pipefail

kind="${1:-}" library="${2:-}" work="${3:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
say() { echo "harness.sh: $*" >&2; }
die() { say "ERROR: $*"; exit 2; }
[ -n "$work" ] || die "usage: $0 glibc|musl|glibc-2.31|aarch64 LIBRARY WORKDIR"
[ -f "$library" ] || die "no library at $library"
mkdir -p "$work"
library="$(cd "$(dirname "$library")" && pwd)/$(basename "$library")"
work="$(cd "$work" && pwd)"
cache="${FORKLINE_HARNESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/forkline-harness}"
flags=(-std=gnu11 -Wall -Wextra -Werror -Wshadow -O1 -g -I"$repo/native/src/main/c")

# A sysroot of Debian 11's C library: libc6, libc6-dev and linux-libc-dev as the mirror serves
# them today (bullseye and bullseye-security, read into a private apt state at most once an hour,
# FORKLINE_HARNESS_LISTS_MAX_AGE minutes), kept in the cache under the versions it was made of,
# so that a newer build is fetched and tested, and never mixed with an older one. Its inputs
# (versions and digests of the three packages) are in its directory's inputs file and printed.
bullseye_sysroot() {
  local state="$cache/apt-bullseye" stage versions key dir
  command -v apt-get >/dev/null || die "apt-get is needed to fetch Debian 11's glibc"
  . "$repo/scripts/mirror.sh"
  mirror_lists "$state" amd64 "${FORKLINE_HARNESS_LISTS_MAX_AGE:-60}" \
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main" \
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bullseye-security main" ||
    die "FORKLINE_HARNESS_LISTS_MAX_AGE must be a number of minutes"
  [ "$mirror_state" != none ] || { cat "$state/update.log" >&2; die "apt-get update of bullseye failed"; }
  local apt=("${mirror_apt[@]}")
  versions=""
  for p in libc6 libc6-dev linux-libc-dev; do
    versions+="$p=$(mirror_version "$p") "
  done
  case "$versions" in *"= "*) die "bullseye's lists do not name all of libc6, libc6-dev and linux-libc-dev: $versions" ;; esac
  key="$(printf '%s' "$versions" | sha256sum | cut -c1-12)"
  dir="$cache/glibc-2.31/$key"
  rm -rf "$cache/glibc-2.31/root" "$cache/glibc-2.31/.complete" # the layout before sysroots were keyed
  if [ ! -f "$dir/.complete" ]; then
    say "fetching Debian 11's ${versions% } into $dir"
    stage="$(mktemp -d "$cache/.glibc-2.31.XXXXXX")"
    (cd "$stage" && apt-get "${apt[@]}" download -q ${versions% } >download.log 2>&1) ||
      { cat "$stage/download.log" >&2; rm -rf "$stage"; die "apt-get download of bullseye's glibc failed"; }
    {
      echo "from=http://deb.debian.org/debian bullseye, bullseye-security"
      for deb in "$stage"/*.deb; do echo "$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version) sha256=$(sha256sum <"$deb" | cut -d' ' -f1)"; done
      echo "fetched=$(date -u +%FT%TZ)"
    } >"$stage/inputs"
    for deb in "$stage"/*.deb; do dpkg -x "$deb" "$stage/root"; done
    # The packages' symlinks are absolute (/lib/x86_64-linux-gnu/...): point them into the sysroot.
    find "$stage/root" -type l -lname '/*' | while read -r link; do
      ln -sfn "$dir/root$(readlink "$link")" "$link"
    done
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$stage/root" "$dir/root"
    mv "$stage/inputs" "$dir/inputs"
    rm -rf "$stage"
    # The links were made for the final place; now they resolve.
    [ -x "$dir/root/lib64/ld-linux-x86-64.so.2" ] || die "the bullseye sysroot has no loader at lib64/ld-linux-x86-64.so.2"
    touch "$dir/.complete"
  fi
  say "glibc-2.31 sysroot: $(paste -sd';' "$dir/inputs")"
  echo "$dir/root"
}

# What the harness is built with, in the test output every run.
say "toolchains: $("$repo/scripts/toolchains.sh" --versions harness | paste -sd';'); host libc6 $(dpkg-query -W -f='${Version}' libc6 2>/dev/null || echo unknown)"

case "$kind" in
  glibc|musl|glibc-2.31)
    [ "$(uname -m)" = x86_64 ] || die "the $kind harness is built for an x86_64 host"
    binary="$work/harness-$kind"
    run=("$binary")
    case "$kind" in
      glibc) cc="${CC:-cc}" extra=() ;;
      musl)
        command -v musl-gcc >/dev/null || "$repo/scripts/toolchains.sh" harness >&2 || die "musl-gcc is missing"
        cc=musl-gcc extra=() ;;
      glibc-2.31)
        root="$(bullseye_sysroot)"
        cc="${CC:-cc}"
        # --sysroot gives the headers; -B and -L put the old crt files and libraries ahead of the host's.
        extra=(--sysroot="$root" -B"$root/usr/lib/x86_64-linux-gnu/" -L"$root/usr/lib/x86_64-linux-gnu" -L"$root/lib/x86_64-linux-gnu")
        run=("$root/lib64/ld-linux-x86-64.so.2" --library-path "$root/lib/x86_64-linux-gnu" "$binary") ;;
    esac
    "$cc" "${flags[@]}" "${extra[@]}" -o "$binary" "$here/harness.c" -ldl -lpthread || die "$cc could not build the $kind harness"
    if [ "$kind" = glibc-2.31 ]; then
      # What a glibc older than 2.34 would refuse to load, were it linked against the host's.
      newest="$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)"
      case "$newest" in GLIBC_2.3[2-9]*|GLIBC_2.[4-9]*) die "the glibc-2.31 harness needs $newest: it was linked against the host's glibc" ;; esac
    fi
    status=0
    "${run[@]}" "$library" "$work/$kind.xml" || status=$?
    [ "$status" -le 1 ] || die "the $kind harness could not run (exit status $status)"
    [ -s "$work/$kind.xml" ] || die "the $kind harness wrote no report"
    exit "$status"
    ;;
  aarch64)
    cc=aarch64-linux-gnu-gcc sysroot=/usr/aarch64-linux-gnu/lib
    command -v "$cc" >/dev/null && [ -e "$sysroot/crt1.o" ] || "$repo/scripts/toolchains.sh" harness >&2 || die "$cc is missing"
    payload="$work/payload"
    rm -rf "$payload"
    mkdir -p "$payload/lib"
    "$cc" "${flags[@]}" -o "$payload/init" "$here/harness.c" -ldl -lpthread || die "$cc could not build the aarch64 harness"
    cp "$library" "$payload/lib/libforkline.so"
    # What the dynamic harness needs from glibc (2.34 and later have libdl and libpthread in libc).
    for file in ld-linux-aarch64.so.1 libc.so.6; do
      cp -L "$sysroot/$file" "$payload/lib/$file" || die "no $sysroot/$file (libc6-arm64-cross)"
    done
    ;;
  *) die "unknown kind '$kind': glibc, musl, glibc-2.31 or aarch64" ;;
esac
