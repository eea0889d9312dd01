/**
 * The job runner behind {@code forkline parallel}, in GNU parallel's conventions: input sources
 * and their cartesian product, command templates with replacement strings, job slots, retries,
 * halt policies, grouped or line output, a results directory, the joblog and resume from it, and
 * shards for running one job list across machines. Every job is spawned by the launcher, with a
 * cgroup of its own from a {@link io.forkline.cgroup.CgroupPool} when it has limits. See
 * {@link io.forkline.parallel.ParallelRunner}.
 */
module io.forkline.parallel {
    requires transitive io.forkline.launcher;
    requires java.management;

    exports io.forkline.parallel;
}
