#!/bin/sh
# Builds the native side of forkline with the machine's cc, warnings as errors, into
# $1/META-INF/native/linux-<arch>/ so that the jar carries exactly what the tests ran against:
#   *.c             -> libforkline.so      (the shim, loaded through FFM: forkline.c and its siblings;
#                                          jdkspawn.c is the JNI entry of the drop-in agent)
#                      libforkline.so.sha256 (its SHA-256 in hex: the name of its extracted copy)
#   tools/<name>.c  -> forkline-<name>     (small programs: the C reference loop for `bench spawn`,
#                                          the own-CPU meter of `bench parallel`, the threadspawn1
#                                          loop of `lab pid-alloc`)
set -eu
out_root="$1"
# The JDK whose jni.h the agent's entry point (jdkspawn.c) is compiled against: Maven's own.
jdk_home="${2:-${JAVA_HOME:-}}"
if [ ! -r "$jdk_home/include/jni.h" ]; then
  echo "build.sh: no jni.h under '$jdk_home/include' (pass the JDK home as the second argument)" >&2
  exit 1
fi
src="$(cd "$(dirname "$0")" && pwd)"
case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) arch="$(uname -m)" ;;
esac
out="$out_root/META-INF/native/linux-$arch"
mkdir -p "$out"
cc="${CC:-cc}"
warn="-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter"
$cc $warn -O2 -g -fPIC -shared -fvisibility=hidden -D_GNU_SOURCE \
    -I"$jdk_home/include" -I"$jdk_home/include/linux" -o "$out/libforkline.so.tmp" "$src"/*.c -lpthread
mv "$out/libforkline.so.tmp" "$out/libforkline.so"
# Its SHA-256, so that NativeLibrary can name its extracted copy by content without hashing it at
# every start. Without sha256sum there is no such file, and the library is extracted every time.
if command -v sha256sum >/dev/null 2>&1; then
  sha256sum "$out/libforkline.so" | cut -d ' ' -f 1 > "$out/libforkline.so.sha256"
else
  rm -f "$out/libforkline.so.sha256"
fi
for tool in "$src"/tools/*.c; do
  [ -e "$tool" ] || continue
  name="forkline-$(basename "$tool" .c)"
  $cc $warn -O2 -g -D_GNU_SOURCE -o "$out/$name.tmp" "$tool" -lpthread
  mv "$out/$name.tmp" "$out/$name"
done
