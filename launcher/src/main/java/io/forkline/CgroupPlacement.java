package io.forkline;

/** How a child got into the cgroup its {@link Command#cgroup(java.nio.file.Path)} named. */
public enum CgroupPlacement {
    /** The command named no cgroup: the child shares the launcher's. */
    NONE,
    /**
     * Born there: clone3 with CLONE_INTO_CGROUP (Linux 5.7) placed it at fork time, so it never ran
     * anywhere else and no migration took cgroup_threadgroup_rwsem for writing (seeds 000, 001).
     */
    BORN_INTO,
    /**
     * Spawned, then moved by writing its pid to cgroup.procs: the slower fallback when clone3 is
     * refused or posix_spawn was asked for. The child ran briefly in the launcher's cgroup.
     */
    MIGRATED
}
