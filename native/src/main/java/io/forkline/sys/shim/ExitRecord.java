package io.forkline.sys.shim;

/**
 * What waitid(P_PIDFD) reported for a reaped child, with the rusage of the raw system call.
 *
 * @param pid the child's pid
 * @param code si_code: {@link #CLD_EXITED}, {@link #CLD_KILLED} or {@link #CLD_DUMPED}
 * @param status the exit status, or the number of the signal that ended the child
 * @param userMicros user CPU time
 * @param systemMicros system CPU time
 * @param maxRssKilobytes peak resident set size
 */
public record ExitRecord(int pid, int code, int status, long userMicros, long systemMicros, long maxRssKilobytes) {
    /** The child called exit. */
    public static final int CLD_EXITED = 1;
    /** A signal killed the child. */
    public static final int CLD_KILLED = 2;
    /** A signal killed the child and it dumped core. */
    public static final int CLD_DUMPED = 3;
}
