package io.forkline.agent;

/**
 * The JNI entry into the shim (native/src/main/c/jdkspawn.c). JNI rather than FFM because the
 * agent's start is paid by every JVM it runs in: a JNI method binds with one dlsym, where the
 * first FFM downcall costs tens of milliseconds of linking.
 */
final class NativeSpawn {
    /** {@link #forkAndExec} failed; {@code failure} holds {errno, where}. */
    static final int FAILED = -1;
    /** {@link #forkAndExec} could not spawn here (clone3 and clone refused): take the JDK's path. */
    static final int FALL_BACK = -2;

    /** Where a spawn failed (jdkspawn.c's enum jdkspawn_where). */
    static final int WHERE_PIPE = 1;
    static final int WHERE_SPAWN = 2;
    static final int WHERE_CHDIR = 3;
    static final int WHERE_EXEC = 4;
    static final int WHERE_MEMORY = 5;

    private NativeSpawn() {}

    /**
     * Takes the low fds that let a child share the fd table, and records the JVM's PATH.
     *
     * @param slots how many fds to hold
     * @param environAddress the address of the C library's {@code environ} variable: the shim links
     *     no C library, so it is told where the environment is ({@link #environAddress()})
     * @param libcLeavesSignalsToClone3 {@link #libcLeavesSignalsToClone3()}
     * @param jdkDefaultsPipeAndChld {@link #jdkDefaultsPipeAndChld(Runtime.Version)}
     * @return 1 when clone3 is usable, 0 when spawns take the clone(2) fallback, or -errno
     */
    static native int init(int slots, long environAddress, boolean libcLeavesSignalsToClone3, boolean jdkDefaultsPipeAndChld);

    /**
     * Whether the JDK's child sets SIGPIPE and SIGCHLD back to SIG_DFL when the JVM ignores them:
     * JDK-8364611 ("Child process SIGPIPE signal disposition should be default"), in 25.0.3.
     * Seen on Temurin 25.0.3 and Debian's 25.0.5: a JVM that a native library made ignore both
     * starts children that ignore neither.
     */
    static boolean jdkDefaultsPipeAndChld(Runtime.Version jdk) {
        return jdk.compareToIgnoreOptional(Runtime.Version.parse("25.0.3")) >= 0;
    }

    /**
     * Whether the JVM's C library leaves a posix_spawn child's signal dispositions to clone3,
     * which decides whether the JDK's children have glibc's internal signals (32 and 33) ignored:
     * they inherit them from the posix_spawn child that becomes jspawnhelper. glibc up to 2.37
     * sets them to SIG_IGN there. glibc 2.38 (commit 2053c11331, "linux: Add clone3
     * CLONE_CLEAR_SIGHAND optimization to posix_spawn") leaves every disposition to clone3, which
     * resets handlers and keeps what the JVM itself ignores, and sets them to SIG_IGN only when
     * clone3 is refused and it falls back to clone; the shim sees that alike. Seen on Debian:
     * bookworm's glibc 2.36 children have SigIgn 0x180000000, trixie's 2.41 children nothing
     * added. Told by a symbol lookup, no call: 2.38 added strlcpy. A C library that is not glibc
     * (musl) is taken to behave as 2.36 did, untested.
     */
    static boolean libcLeavesSignalsToClone3() {
        var libc = java.lang.foreign.Linker.nativeLinker().defaultLookup();
        return libc.find("gnu_get_libc_version").isPresent() && libc.find("strlcpy").isPresent();
    }

    /**
     * @return the address of {@code environ} in the JVM's C library, found by FFM's default lookup
     *     (a symbol lookup only: no downcall is linked, so none of FFM's first-call cost is paid)
     */
    static long environAddress() {
        return java.lang.foreign.Linker.nativeLinker().defaultLookup().find("environ")
                .orElseThrow(() -> new UnsupportedOperationException("this JVM's C library has no environ"))
                .address();
    }

    /**
     * The contract of the JDK's private {@code ProcessImpl.forkAndExec}, without its mode and
     * helper path (there is no helper), and with failures reported rather than thrown.
     *
     * @param failure two ints, set to {errno, where} on failure
     * @return the child's pid, {@link #FAILED} or {@link #FALL_BACK}
     */
    static native int forkAndExec(byte[] prog, byte[] argBlock, int argc, byte[] envBlock, int envc, byte[] dir,
            int[] fds, boolean redirectErrorStream, int[] failure);

    /** @return strerror's text for an errno, or "" for one it does not know */
    static native String errnoText(int errno);
}
