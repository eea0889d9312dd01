#!/usr/bin/env bash
# The JDKs that forkline is tested on besides the build's own, where the host cannot run them:
# Debian trixie's openjdk-21-jdk-headless and openjdk-25-jdk-headless (a second vendor build of
# 25 beside the build's Temurin) need trixie's C library, so they live in a trixie root made from
# Debian's packages (debootstrap --variant=minbase), and run there with chroot in a mount
# namespace of their own that sees the host's directories a test names at the same paths.
#
#     scripts/jdks.sh prepare
#         makes the root, or reuses it, and prints on stdout:  root=DIR  jdk21=DIR  jdk25=DIR
#         (the JDKs' homes inside the root), and on stderr what the root is made of
#     scripts/jdks.sh old
#         Debian bullseye's openjdk-11-jre-headless, a JVM older than any the agent serves (for its
#         one-line refusal), unpacked from the package: bullseye's binaries run on the host's newer
#         C library, so no root is made; prints on stdout:  jdk11=DIR
#     scripts/jdks.sh run ROOT [--bind DIR]... -- COMMAND [ARG...]
#         runs COMMAND (a path inside the root, such as JDKHOME/bin/java) chrooted into ROOT, with
#         /proc, /dev, /sys (cgroups with it), and each DIR of the host bound at the same path;
#         /tmp is always bound
#     scripts/jdks.sh java 21|25 [ARG...]
#         runs trixie's java of that release with ARGs, from the caller's directory, after a
#         quiet prepare (its report goes to ROOT-CACHE/prepare.log): the repository and each
#         directory in FORKLINE_JDKS_BIND (':'-separated: Maven's local repository, the build's
#         JDK) are bound at their own paths. This is the `jvm` that Surefire runs the library's
#         tests with on those JDKs (scripts/trixie/bin/java).
#
# Which builds: the newest the mirror serves today (trixie, -updates and -security, read into a
# private apt state at most once per FORKLINE_JDKS_LISTS_MAX_AGE minutes, default 60). The root
# is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/forkline-jdks/, named by a hash of the two JDK
# packages' versions, so a newer build makes a new root and two are never mixed; its record
# (inputs: debootstrap's version, each package's version, each JDK's -version, the date) is
# kept beside it and printed. A root unused for a week is removed. Needs root (debootstrap,
# chroot, mount); exit status 3 says "not root", so a test can say why it skipped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { echo "forkline-jdks: $*" >&2; }
die() { echo "forkline-jdks: ERROR: $*" >&2; exit 1; }
packages=(openjdk-21-jdk-headless openjdk-25-jdk-headless)
# Programs the library's tests run besides the JDKs (minbase has the shell, coreutils and perl):
# ps, for the session and group a child is in. Part of the root's name, so a root without them is
# never reused.
tools=(procps)
mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security

[ "$(id -u)" = 0 ] || { say "needs root (debootstrap, chroot and mount): run it with sudo"; exit 3; }

# run ROOT [--bind DIR]... -- COMMAND...: in a private mount namespace, so nothing stays mounted.
run_in() {
  local root="$1" binds=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    [ "$1" = --bind ] && [ $# -ge 2 ] || die "run: expected --bind DIR or --, got $1"
    binds+=("$2")
    shift 2
  done
  [ "${1:-}" = -- ] || die "run: no -- before the command"
  shift
  [ -f "$root/etc/debian_version" ] && [ -x "$root/bin/sh" ] || die "run: $root is not a root made by $0 prepare"
  # The script below runs in the new namespace; "$@" after it are its arguments. Tools are named
  # by path, and the command is started in the caller's directory: a test may run the JVM with
  # no PATH at all, or rely on its working directory. The environment passes through as it is
  # (the shells add PWD, which a JVM run with and one without the agent both see).
  exec /usr/bin/unshare --mount --propagation private /bin/sh -ec '
    root="$1"; count="$2"; cwd="$3"; shift 3
    # The root a mount point of its own, so that inside it "/" is one, as a system'"'"'s is: a test
    # that makes a mount namespace of its own (unshare --propagation private) needs that.
    /bin/mount --bind "$root" "$root"
    /bin/mount -t proc proc "$root/proc"
    /bin/mount --rbind /dev "$root/dev"
    /bin/mount --rbind /sys "$root/sys"
    /bin/mkdir -p "$root/tmp" && /bin/mount --bind /tmp "$root/tmp"
    while [ "$count" -gt 0 ]; do
      /bin/mkdir -p "$root$1" && /bin/mount --bind "$1" "$root$1"
      shift; count=$((count - 1))
    done
    exec /usr/sbin/chroot "$root" /bin/sh -c '"'"'cd "$0" && exec "$@"'"'"' "$cwd" "$@"
  ' sh "$root" "${#binds[@]}" "$PWD" "${binds[@]}" "$@"
}

prepare() {
  local cache="${FORKLINE_JDKS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/forkline-jdks}"
  case "$cache" in /*) ;; *) cache="$PWD/$cache" ;; esac
  cd / # run_in starts its command in the caller's directory, which a new root does not have
  "$here/toolchains.sh" jdks || die "making the trixie root needs debootstrap"
  . "$here/mirror.sh"
  mirror_lists "$cache/apt-trixie" amd64 "${FORKLINE_JDKS_LISTS_MAX_AGE:-60}" \
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" \
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie-updates main" \
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $security trixie-security main" ||
    die "FORKLINE_JDKS_LISTS_MAX_AGE must be a number of minutes"
  [ "$mirror_state" != none ] || { cat "$cache/apt-trixie/update.log" >&2; die "apt-get update of trixie failed"; }
  local wanted="" p v
  for p in "${packages[@]}"; do
    v="$(mirror_version "$p")"
    [ -n "$v" ] || die "trixie's lists do not name $p"
    wanted+="$p=$v "
  done
  wanted="${wanted% }"
  local key root
  key="$(printf 'trixie %s tools %s' "$wanted" "${tools[*]}" | sha256sum | cut -c1-12)"
  root="$cache/trixie-$key"
  if [ ! -f "$root.complete" ]; then
    local stage="$cache/.trixie-$key.$$"
    rm -rf "$stage"
    mkdir -p "$cache"
    say "making a trixie root with $wanted in $root (debootstrap, about a minute)"
    debootstrap --variant=minbase trixie "$stage" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
      { tail -n 20 "$cache/debootstrap.log" >&2; rm -rf "$stage"; die "debootstrap of trixie failed (log: $cache/debootstrap.log)"; }
    {
      echo "deb $mirror trixie main"
      echo "deb $mirror trixie-updates main"
      echo "deb $security trixie-security main"
    } >"$stage/etc/apt/sources.list"
    # The exact versions read above, so that the root is what its name says.
    if ! (run_in "$stage" -- /bin/sh -ec 'export DEBIAN_FRONTEND=noninteractive
            apt-get -q update && apt-get install -y -q --no-install-recommends "$@"' sh $wanted "${tools[@]}") >"$cache/install.log" 2>&1; then
      tail -n 20 "$cache/install.log" >&2
      rm -rf "$stage"
      die "installing $wanted in the trixie root failed (log: $cache/install.log)"
    fi
    {
      echo "debootstrap=$(dpkg-query -W -f='${Version}' debootstrap) trixie minbase from $mirror"
      for p in "${packages[@]}" "${tools[@]}"; do echo "$p=$(run_in "$stage" -- dpkg-query -W -f='${Version}' "$p")"; done
      for jdk in 21 25; do
        echo "jdk$jdk=$(run_in "$stage" -- "/usr/lib/jvm/java-$jdk-openjdk-amd64/bin/java" -version 2>&1 | sed -n 2p)"
      done
      echo "libc6=$(run_in "$stage" -- dpkg-query -W -f='${Version}' libc6)"
      echo "made=$(date -u +%FT%TZ)"
    } >"$stage.inputs"
    rm -rf "$root"
    mv "$stage" "$root"
    mv "$stage.inputs" "$root.inputs"
    touch "$root.complete"
  fi
  touch "$root.complete"
  # Roots of older builds: removed once unused for a week (a build beside this one may still use one).
  find "$cache" -maxdepth 1 -name 'trixie-*.complete' -mtime +7 -printf '%p\n' | while read -r old; do
    [ "$old" = "$root.complete" ] || rm -rf "${old%.complete}" "${old%.complete}.inputs" "$old"
  done
  say "trixie root $root: $(paste -sd';' "$root.inputs")"
  echo "root=$root"
  echo "jdk21=/usr/lib/jvm/java-21-openjdk-amd64"
  echo "jdk25=/usr/lib/jvm/java-25-openjdk-amd64"
}

# Bullseye's JDK 11, newest build of the day like the trixie ones, cached under its version beside
# them with its record (package version, the .deb's sha256, java -version, the date); the package's
# absolute links (into /etc, where the host has no java-11-openjdk) point into the unpacked tree.
old() {
  local cache="${FORKLINE_JDKS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/forkline-jdks}"
  case "$cache" in /*) ;; *) cache="$PWD/$cache" ;; esac
  cd /
  . "$here/mirror.sh"
  mirror_lists "$cache/apt-bullseye" amd64 "${FORKLINE_JDKS_LISTS_MAX_AGE:-60}" \
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bullseye main" \
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $security bullseye-security main" ||
    die "FORKLINE_JDKS_LISTS_MAX_AGE must be a number of minutes"
  [ "$mirror_state" != none ] || { cat "$cache/apt-bullseye/update.log" >&2; die "apt-get update of bullseye failed"; }
  local package=openjdk-11-jre-headless version dir
  version="$(mirror_version "$package")"
  [ -n "$version" ] || die "bullseye's lists do not name $package"
  dir="$cache/bullseye-jdk11-$(printf '%s' "$version" | sha256sum | cut -c1-12)"
  local home="$dir/root/usr/lib/jvm/java-11-openjdk-amd64"
  if [ ! -f "$dir.complete" ]; then
    local stage="$cache/.bullseye-jdk11.$$" link target
    rm -rf "$stage"
    mkdir -p "$stage/deb"
    say "unpacking bullseye's $package=$version into $dir"
    (cd "$stage/deb" && apt-get "${mirror_apt[@]}" download "$package=$version") >"$cache/bullseye-download.log" 2>&1 ||
      { tail -n 20 "$cache/bullseye-download.log" >&2; rm -rf "$stage"; die "downloading $package=$version failed"; }
    dpkg-deb -x "$stage"/deb/*.deb "$stage/root" || { rm -rf "$stage"; die "dpkg-deb -x of $package failed"; }
    find "$stage/root" -type l -lname '/*' | while read -r link; do
      target="$(readlink "$link")"
      [ -e "$stage/root$target" ] || continue # the CA store and the like: nothing a start reads
      ln -sfn "$(realpath --relative-to="$(dirname "$link")" "$stage/root$target")" "$link"
    done
    "$stage/root/usr/lib/jvm/java-11-openjdk-amd64/bin/java" -version >"$stage.version" 2>&1 ||
      { cat "$stage.version" >&2; rm -rf "$stage" "$stage.version"; die "the unpacked JDK 11 does not start"; }
    {
      echo "$package=$version from $mirror bullseye"
      echo "sha256=$(sha256sum "$stage"/deb/*.deb | cut -d' ' -f1)"
      echo "jdk11=$(sed -n 2p "$stage.version")"
      echo "made=$(date -u +%FT%TZ)"
    } >"$stage.inputs"
    rm -f "$stage.version"
    rm -rf "$stage/deb" "$dir"
    mv "$stage" "$dir"
    mv "$stage.inputs" "$dir.inputs"
  fi
  touch "$dir.complete"
  find "$cache" -maxdepth 1 -name 'bullseye-jdk11-*.complete' -mtime +7 -printf '%p\n' | while read -r older; do
    [ "$older" = "$dir.complete" ] || rm -rf "${older%.complete}" "${older%.complete}.inputs" "$older"
  done
  say "bullseye JDK 11 $dir: $(paste -sd';' "$dir.inputs")"
  echo "jdk11=$home"
}

# java FEATURE [ARG...]: trixie's java, for a test run that names it as its JVM.
java_in() {
  local feature="$1" cache="${FORKLINE_JDKS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/forkline-jdks}" binds=() dir
  shift
  case "$feature" in 21|25) ;; *) die "java: no trixie JDK $feature (21 or 25)" ;; esac
  mkdir -p "$cache"
  local made
  made="$(cd / && prepare 2>"$cache/prepare.log")" || { cat "$cache/prepare.log" >&2; exit 1; }
  local root home
  root="$(sed -n 's/^root=//p' <<<"$made")"
  home="$(sed -n "s/^jdk$feature=//p" <<<"$made")"
  binds=(--bind "$(cd "$here/.." && pwd)")
  IFS=: read -r -a extra <<<"${FORKLINE_JDKS_BIND:-}"
  for dir in "${extra[@]}"; do
    [ -n "$dir" ] && [ -d "$dir" ] && binds+=(--bind "$dir")
  done
  run_in "$root" "${binds[@]}" -- "$home/bin/java" "$@"
}

case "${1:-}" in
  prepare) prepare ;;
  old) old ;;
  run) shift; [ $# -ge 1 ] || die "usage: $0 run ROOT [--bind DIR]... -- COMMAND..."; run_in "$@" ;;
  java) shift; [ $# -ge 1 ] || die "usage: $0 java 21|25 [ARG...]"; java_in "$@" ;;
  *) echo "usage: $0 prepare | old | run ROOT [--bind DIR]... -- COMMAND... | java 21|25 [ARG...]" >&2; exit 2 ;;
esac
