package io.forkline;

/** The rlimits a {@link Command} can set in the child, with their Linux resource numbers. */
public enum ResourceLimit {
    /** RLIMIT_CPU, seconds. */
    CPU(0),
    /** RLIMIT_FSIZE, bytes. */
    FSIZE(1),
    /** RLIMIT_DATA, bytes. */
    DATA(2),
    /** RLIMIT_STACK, bytes. */
    STACK(3),
    /** RLIMIT_CORE, bytes. */
    CORE(4),
    /** RLIMIT_NPROC, processes. */
    NPROC(6),
    /** RLIMIT_NOFILE, fds. */
    NOFILE(7),
    /** RLIMIT_MEMLOCK, bytes. */
    MEMLOCK(8),
    /** RLIMIT_AS, bytes. */
    AS(9);

    /** The value that means no limit (RLIM_INFINITY). */
    public static final long UNLIMITED = -1L;

    final int resource;

    ResourceLimit(int resource) {
        this.resource = resource;
    }
}
