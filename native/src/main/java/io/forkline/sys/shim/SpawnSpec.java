package io.forkline.sys.shim;

import java.util.List;

/**
 * Everything the shim needs for one spawn, already resolved and validated by the launcher: an
 * absolute or relative executable path (PATH lookup is done in Java), argv, the full environment
 * or {@code null} to inherit the JVM's, and the child's fd layout.
 *
 * @param path the file to execve
 * @param argv the arguments, argv[0] first; no element contains NUL
 * @param env the environment as {@code NAME=value} entries, or {@code null} to inherit
 * @param cwd the working directory, or {@code null} to inherit
 * @param fdMap pairs (source, target): the child's fd {@code target} becomes the parent's {@code source}
 * @param keep sorted, unique targets at or above 3 that must survive close_range
 * @param rlimits triples (resource, soft, hard)
 * @param flags the {@code Shim.FLAG_*} bits
 * @param pgid the group to join with {@link Shim#FLAG_SETPGID}; 0 makes the child a group leader
 * @param parentDeathSignal the signal sent when the parent thread dies, or 0
 * @param umask the umask with {@link Shim#FLAG_UMASK}
 * @param cgroupFd a directory fd of the cgroup to be born in, with {@link Shim#FLAG_INTO_CGROUP}
 * @param unshareBelow with {@link Shim#FLAG_SHARE_FD_TABLE}: every source in {@code fdMap} is below this
 * @param joinCgroups writable {@code cgroup.procs} fds the child joins (writes "0" to) before
 *     anything else: the v1 groups of a hybrid host; the v2 group is {@code cgroupFd}'s job
 */
public record SpawnSpec(
        String path,
        List<String> argv,
        List<String> env,
        String cwd,
        int[] fdMap,
        int[] keep,
        long[] rlimits,
        int flags,
        int pgid,
        int parentDeathSignal,
        int umask,
        int cgroupFd,
        int unshareBelow,
        List<CgroupJoin> joinCgroups) {

    public SpawnSpec {
        joinCgroups = List.copyOf(joinCgroups);
    }

    /** A spec that joins no v1 cgroup. */
    public SpawnSpec(String path, List<String> argv, List<String> env, String cwd, int[] fdMap, int[] keep,
            long[] rlimits, int flags, int pgid, int parentDeathSignal, int umask, int cgroupFd, int unshareBelow) {
        this(path, argv, env, cwd, fdMap, keep, rlimits, flags, pgid, parentDeathSignal, umask, cgroupFd, unshareBelow,
                List.of());
    }

    /**
     * A cgroup.procs file the child writes itself into.
     *
     * @param procsFd the file, open for writing; owned by the caller
     * @param procsPath the path errors name
     */
    public record CgroupJoin(int procsFd, String procsPath) {}
}
