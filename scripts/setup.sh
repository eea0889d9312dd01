#!/usr/bin/env bash
# Installs every Debian package the project uses, at once: the build's cross compiler, the test
# suite's musl-gcc and qemu, the lab's Go 1.19 and strace, Chromium for the report's test, and
# the benchmarks' GNU parallel and hyperfine. Nothing needs this step first: the build, the test
# suite and `./forkline lab` each install, as root, what they use when it is missing
# (scripts/toolchains.sh, which lists the sets). This is for a machine that should have it all
# up front, or a user who is not root and runs it once with sudo. Running it again changes nothing.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/toolchains.sh" all
