package io.forkline.sys.shim;

/**
 * A child that the shim started.
 *
 * @param pid its pid
 * @param pidfd a close-on-exec pidfd that the caller now owns
 * @param method how it was started: {@link #CLONE3}, {@link #POSIX_SPAWN} or {@link #CLONE}
 */
public record Spawned(int pid, int pidfd, int method) {
    /** clone3, the normal path. */
    public static final int CLONE3 = 0;
    /** glibc posix_spawn and pidfd_open: asked for, or the last resort. */
    public static final int POSIX_SPAWN = 1;
    /** The legacy clone(2): clone3 was refused. */
    public static final int CLONE = 2;

    /** @return whether a fallback ran instead of clone3 */
    public boolean usedFallback() {
        return method != CLONE3;
    }
}
