package io.forkline;

/** How the native shim started a child. */
public enum SpawnMethod {
    /** clone3 with CLONE_VM|CLONE_VFORK|CLONE_PIDFD|CLONE_CLEAR_SIGHAND: the normal path. */
    CLONE3,
    /**
     * The legacy clone(2) with CLONE_VM|CLONE_VFORK|CLONE_PIDFD, the child resetting signal
     * handlers itself: taken when a seccomp filter or an old kernel refuses clone3. Everything
     * works but being born in a cgroup, which falls back to migration.
     */
    CLONE,
    /** glibc's posix_spawn and pidfd_open: asked for with {@link Command#usePosixSpawn()}, or the last resort. */
    POSIX_SPAWN;

    static SpawnMethod of(int nativeMethod) {
        return switch (nativeMethod) {
            case io.forkline.sys.shim.Spawned.CLONE3 -> CLONE3;
            case io.forkline.sys.shim.Spawned.CLONE -> CLONE;
            case io.forkline.sys.shim.Spawned.POSIX_SPAWN -> POSIX_SPAWN;
            default -> throw new IllegalStateException("unknown spawn method " + nativeMethod);
        };
    }
}
