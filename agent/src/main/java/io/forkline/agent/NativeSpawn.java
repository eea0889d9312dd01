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
     * @return 1 when clone3 is usable, 0 when spawns take the clone(2) fallback, or -errno
     */
    static native int init(int slots, long environAddress);

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
