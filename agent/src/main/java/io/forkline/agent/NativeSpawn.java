package io.forkline.agent;

/**
 * The JNI entry into the shim (native/src/main/c/jdkspawn.c). JNI rather than FFM because the
 * agent is paid for by every JVM it runs in: a JNI method binds with one dlsym, where the first
 * FFM downcall costs tens of milliseconds of linking, and FFM is final only from JDK 22.
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
     * Takes the low fds that let a child share the fd table, records the JVM's PATH, and finds
     * the JVM's {@code environ} and what its C library's posix_spawn does with signals, by
     * reading the C library's symbols (libcsym.c): the shim links no C library, and this needs
     * no FFM.
     *
     * @param slots how many fds to hold
     * @param jdkChild {@link #jdkChild(Runtime.Version)}
     * @return 1 when clone3 is usable, 0 when spawns take the clone(2) fallback, or -errno
     *     (-ENOENT: no environ found in the C library)
     */
    static native int init(int slots, int jdkChild);

    /** {@link #jdkChild}: the JDK's child sets SIGPIPE back to SIG_DFL (jdkspawn.c's JDK_DEFAULT_PIPE). */
    static final int DEFAULT_PIPE = 1;
    /** {@link #jdkChild}: the JDK's child execs with the spawning thread's signal mask (jdkspawn.c's JDK_CALLER_MASK). */
    static final int CALLER_MASK = 2;

    /** @return what the running JDK's child does with signals, as {@link #init} takes it */
    static int jdkChild(Runtime.Version jdk) {
        return (jdkDefaultsPipe(jdk) ? DEFAULT_PIPE : 0) | (jdkKeepsCallerMask(jdk) ? CALLER_MASK : 0);
    }

    /**
     * Whether the JDK's child sets SIGPIPE back to SIG_DFL when the JVM ignores it: JDK-8364611
     * ("Child process SIGPIPE signal disposition should be default"), in 25.0.3. Seen on Temurin
     * 25.0.3 and Debian's 25.0.5: a JVM that a native library made ignore SIGPIPE starts children
     * that do not. SIGPIPE alone: a JVM that ignores SIGCHLD (set after ProcessImpl's class
     * initialisation, which sets it to SIG_DFL) starts children that ignore it, on 25.0.3 as on
     * 17. Not in 17 or 21: Debian's 17.0.15, 17.0.19 and 21.0.13 children inherit SIG_IGN (their
     * childproc.c calls no signal(); 25.0.5's libjava.so and jspawnhelper import it, theirs do
     * not), and the differential test sees each.
     */
    static boolean jdkDefaultsPipe(Runtime.Version jdk) {
        return jdk.compareToIgnoreOptional(Runtime.Version.parse("25.0.3")) >= 0;
    }

    /**
     * Whether the JDK's child keeps the signal mask of the Java thread that spawned it, in which
     * HotSpot blocks SIGQUIT (only the VM thread takes it, for thread dumps): so on JDK 17, whose
     * jspawnhelper is started by posix_spawn with no attributes and changes no mask, every child
     * starts with SIGQUIT blocked (Debian's 17.0.15 and 17.0.19: SigBlk 0x4). JDK-8234262
     * ("Unmask SIGQUIT in a child process", JDK 20) has jspawnhelper empty the mask, so 21's and
     * 25's children start with nothing blocked; it was not taken into 17u (17.0.19's jspawnhelper
     * still imports no sigprocmask, 21.0.13's does).
     */
    static boolean jdkKeepsCallerMask(Runtime.Version jdk) {
        return jdk.feature() < 20;
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
