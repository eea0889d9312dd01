#!/bin/sh
# Builds the native side of forkline, warnings as errors, into $1/META-INF/native/linux-<arch>/
# so that the jar carries exactly what the tests ran against:
#   *.c             -> libforkline.so      (the shim: forkline.c and its siblings; shimjni.c is the
#                                          library's JNI entry, jdkspawn.c the drop-in agent's), for
#                                          x86_64 and aarch64 whatever the build host is
#                      libforkline.so.sha256 (its SHA-256 in hex: the name of its extracted copy)
#   $3/io/forkline/sys/shim/BuiltDigests.java: the same digests as Java constants, compiled into
#                      the classes that load the library, so that a start that finds its copy
#                      in the cache reads nothing from the jar (see LibraryFile.open)
#   tools/<name>.c  -> forkline-<name>     (small programs for this host only: the C reference loop
#                                          for `bench spawn`, the own-CPU meter of `bench parallel`,
#                                          the threadspawn1 loop of `lab pid-alloc`)
#
# The library links no C library (sys.h says why), so one build runs under any glibc and under
# musl. That is enforced here, after each link: the library must have no DT_NEEDED entry, no
# undefined symbol and no symbol-version requirement, and be an ELF of the architecture it is
# packaged as. The build fails otherwise, naming what it found.
#
# The aarch64 library is cross-compiled with Debian's gcc-aarch64-linux-gnu (an x86_64 host's
# cross compiler and the other way round); scripts/toolchains.sh installs it when it is missing.
# FORKLINE_NATIVE_ARCHS="x86_64" builds fewer (for a machine that cannot install it; the jar then
# lacks the others, and says so at load on such a host).
set -eu
out_root="$1"
# The JDK whose jni.h the agent's entry point (jdkspawn.c) is compiled against: Maven's own. Only
# its types are used, which are the same on both architectures.
jdk_home="${2:-${JAVA_HOME:-}}"
if [ ! -r "$jdk_home/include/jni.h" ]; then
  echo "build.sh: no jni.h under '$jdk_home/include' (pass the JDK home as the second argument)" >&2
  exit 1
fi
src="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$src/../../../.." && pwd)"
case "$(uname -m)" in
  x86_64|amd64) host_arch=x86_64 ;;
  aarch64|arm64) host_arch=aarch64 ;;
  *) host_arch="$(uname -m)" ;;
esac
warn="-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter"
# -ffreestanding and -nostdlib: no C library (the kernel's uapi headers give the constants);
# -z defs turns any symbol the library does not define itself into a link error. No stack
# protector (its canary check calls into libc); no loop idioms turned into memset calls (the
# memset in freestanding.c would call itself); on aarch64 no out-of-line atomics (libgcc's
# helpers read the CPU's features through getauxval, a libc function).
freestanding="-ffreestanding -fno-stack-protector -fno-tree-loop-distribute-patterns -nostdlib
  -Wl,-z,defs -Wl,-z,noexecstack -Wl,-z,relro -Wl,-z,now -Wl,--hash-style=both"

compiler_for() {
  if [ "$1" = "$host_arch" ]; then
    echo "${CC:-cc}"
  else
    echo "$1-linux-gnu-gcc"
  fi
}

# Refuses a library that needs anything from the process it is loaded into but the kernel.
check_freestanding() { # library arch
  library="$1"
  case "$2" in x86_64) machine="Advanced Micro Devices X86-64" ;; aarch64) machine="AArch64" ;; esac
  found="$(readelf -h "$library" | sed -n 's/^ *Machine: *//p')"
  [ "$found" = "$machine" ] || { echo "build.sh: $library is an ELF for '$found', not $machine" >&2; exit 1; }
  needed="$(readelf -d "$library" | grep '(NEEDED)' || true)"
  [ -z "$needed" ] || { echo "build.sh: $library must link no library, but has:$needed" >&2; exit 1; }
  undefined="$(readelf --dyn-syms -W "$library" | awk '$7 == "UND" && $8 != "" {print $8}')"
  [ -z "$undefined" ] || { echo "build.sh: $library must not import symbols, but imports: $undefined" >&2; exit 1; }
  if readelf -V "$library" | grep -q "Version needs"; then
    echo "build.sh: $library requires symbol versions:" >&2
    readelf -V "$library" >&2
    exit 1
  fi
}

for arch in ${FORKLINE_NATIVE_ARCHS:-x86_64 aarch64}; do
  cc="$(compiler_for "$arch")"
  if ! command -v "$cc" >/dev/null 2>&1; then
    "$repo/scripts/toolchains.sh" build >&2 || {
      echo "build.sh: no C compiler for linux-$arch ($cc); see scripts/toolchains.sh, or set FORKLINE_NATIVE_ARCHS=$host_arch" >&2
      exit 1
    }
  fi
  arch_flags=""
  [ "$arch" = aarch64 ] && arch_flags="-mno-outline-atomics"
  out="$out_root/META-INF/native/linux-$arch"
  mkdir -p "$out"
  # shellcheck disable=SC2086 # the flag lists are meant to split
  $cc $warn $freestanding $arch_flags -O2 -g -fPIC -shared -fvisibility=hidden \
      -I"$jdk_home/include" -I"$jdk_home/include/linux" -o "$out/libforkline.so.tmp" "$src"/*.c
  check_freestanding "$out/libforkline.so.tmp" "$arch"
  mv "$out/libforkline.so.tmp" "$out/libforkline.so"
  # Its SHA-256, so that NativeLibrary can name its extracted copy by content without hashing it
  # at every start. Without sha256sum there is no such file, and the library is extracted every time.
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$out/libforkline.so" | cut -d ' ' -f 1 > "$out/libforkline.so.sha256"
  else
    rm -f "$out/libforkline.so.sha256"
  fi
done

if [ -n "${3:-}" ]; then
  digest_of() { cat "$out_root/META-INF/native/linux-$1/libforkline.so.sha256" 2>/dev/null || true; }
  mkdir -p "$3/io/forkline/sys/shim"
  cat > "$3/io/forkline/sys/shim/BuiltDigests.java.tmp" <<JAVA
package io.forkline.sys.shim;

/** Written by native/src/main/c/build.sh: the SHA-256 of each libforkline.so this build packs ("" when not built). */
final class BuiltDigests {
    static final String X86_64 = "$(digest_of x86_64)";
    static final String AARCH64 = "$(digest_of aarch64)";

    private BuiltDigests() {}
}
JAVA
  mv "$3/io/forkline/sys/shim/BuiltDigests.java.tmp" "$3/io/forkline/sys/shim/BuiltDigests.java"
fi

out="$out_root/META-INF/native/linux-$host_arch"
for tool in "$src"/tools/*.c; do
  [ -e "$tool" ] || continue
  name="forkline-$(basename "$tool" .c)"
  ${CC:-cc} $warn -O2 -g -D_GNU_SOURCE -o "$out/$name.tmp" "$tool" -lpthread
  mv "$out/$name.tmp" "$out/$name"
done
