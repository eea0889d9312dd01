/**
 * forkline's cgroup tree: a delegated root, groups under it, their limits and stats, kill,
 * freeze and waiting for a group to empty. cgroup v2 is the main path; on hybrid hosts the
 * controllers bound to a v1 hierarchy (pids, cpu) are driven there. See
 * {@link io.forkline.cgroup.CgroupRoot}.
 */
module io.forkline.cgroup {
    requires transitive io.forkline.sys;
    requires io.forkline.concurrent;

    exports io.forkline.cgroup;
}
