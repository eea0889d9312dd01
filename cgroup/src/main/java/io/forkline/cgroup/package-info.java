/**
 * forkline's cgroup tree API: {@link io.forkline.cgroup.CgroupRoot} (a delegated subtree, and
 * which hierarchy drives each controller), {@link io.forkline.cgroup.Cgroup} (a group: limits,
 * stats, kill, freeze, wait for empty, remove), {@link io.forkline.cgroup.Limits} and the typed
 * {@link io.forkline.cgroup.CgroupException} family.
 *
 * <p>The design follows issue 4 and seeds 000, 001 and 004: children are born in their group
 * (clone3 CLONE_INTO_CGROUP, Linux 5.7) instead of being migrated, and group creation is kept off
 * the hot path because mkdir serializes on cgroup_mutex. cgroup v2 is the main path; on hybrid
 * hosts pids and cpu are driven on their v1 hierarchies, and every limit reports where it went.
 */
package io.forkline.cgroup;
