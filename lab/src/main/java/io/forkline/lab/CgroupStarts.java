package io.forkline.lab;

import io.forkline.CgroupPlacement;
import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Launcher;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.CgroupRoot;
import io.forkline.cgroup.CgroupSyscallException;
import io.forkline.sys.shim.Errno;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Jobs of /bin/true, each in a cgroup of its own got one of four ways, from threads that start
 * together: what {@code bench cgroup} and the lab's cgroup experiments (E2, E4) measure. The
 * time to get a group is recorded per job; a burst is {@code threads == jobs}, every thread
 * getting its group at the same moment, as a burst of container starts does.
 */
public final class CgroupStarts {
    /** How a job gets its group. */
    public enum Mode {
        /** No cgroup: the reference. */
        NONE,
        /** mkdir per job (under cgroup_mutex), born in it with CLONE_INTO_CGROUP, rmdir after. */
        MKDIR,
        /**
         * mkdir per job, spawn, then write the pid to cgroup.procs (the write side of
         * cgroup_threadgroup_rwsem), rmdir after. The spawn is glibc's posix_spawn, the
         * launcher's path that cannot be born in a group, so the launcher migrates the child
         * before anything can reap it.
         */
        MIGRATE,
        /** Acquire from a {@link CgroupPool}, born in it, release (emptied, reset) after. */
        POOL;

        /** @return the mode's name as the tables print it */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One mode at one concurrency.
     *
     * @param sortedAcquireNanos the time each job took to get its group, sorted
     * @param slowPath the pool's acquires that had to mkdir (pool mode only)
     */
    public record Result(Mode mode, int concurrency, int n, long elapsedNanos, long[] sortedAcquireNanos, long slowPath) {
        public double jobsPerSecond() {
            return n * 1e9 / elapsedNanos;
        }

        public long p50Nanos() {
            return Latencies.percentile(sortedAcquireNanos, 50);
        }

        public long p99Nanos() {
            return Latencies.percentile(sortedAcquireNanos, 99);
        }

        public long maxNanos() {
            return sortedAcquireNanos[sortedAcquireNanos.length - 1];
        }

        /** @return the runs of one mode and concurrency as one: their times added, their latencies pooled */
        public static Result pool(List<Result> runs) {
            long elapsed = runs.stream().mapToLong(Result::elapsedNanos).sum();
            long[] all = runs.stream().flatMapToLong(r -> Arrays.stream(r.sortedAcquireNanos())).sorted().toArray();
            long slow = runs.stream().mapToLong(Result::slowPath).sum();
            return new Result(runs.getFirst().mode(), runs.getFirst().concurrency(), all.length, elapsed, all, slow);
        }
    }

    /** A new Command per job: a Command is a mutable builder, and a group or posix_spawn set for one job must not stay for the next. */
    private static Command job() {
        return Command.of("/bin/true");
    }

    private final CgroupRoot root;
    private final Launcher launcher;
    private final CgroupPool pool;
    private final AtomicInteger names = new AtomicInteger();

    /**
     * @param root where mkdir makes its groups
     * @param launcher spawns the jobs
     * @param pool where pool mode gets them; may be null when pool mode is not run
     */
    public CgroupStarts(CgroupRoot root, Launcher launcher, CgroupPool pool) {
        this.root = root;
        this.launcher = launcher;
        this.pool = pool;
    }

    /** Runs {@code jobs} jobs on {@code threads} threads that start together; each group is removed or released after its job. */
    public Result run(Mode mode, int threads, int jobs) throws Exception {
        if (mode == Mode.POOL && pool == null) throw new IllegalStateException("pool mode without a pool");
        Latencies acquire = new Latencies(jobs);
        AtomicInteger left = new AtomicInteger(jobs);
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        long slowBefore = pool == null ? 0 : pool.slowPathCount();
        List<Thread> workers = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                workers.add(Thread.ofPlatform().name("forkline-cgroup-starts-" + t).start(() -> {
                    ready.countDown();
                    try {
                        go.await();
                        while (left.getAndDecrement() > 0 && failure.get() == null) job(mode, acquire);
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            ready.await();
        } catch (InterruptedException | RuntimeException | Error e) {
            left.set(0);
            go.countDown();
            for (Thread worker : workers) worker.join();
            throw e;
        }
        long start = System.nanoTime();
        go.countDown();
        for (Thread worker : workers) worker.join(); // a job is short; the workers stop when they run out
        long elapsed = System.nanoTime() - start;
        if (failure.get() != null) throw failure.get();
        return new Result(mode, threads, jobs, elapsed, acquire.sorted(), mode == Mode.POOL ? pool.slowPathCount() - slowBefore : 0);
    }

    /**
     * Removes a job's group, waiting for the kernel to count it empty when it does not yet. A
     * child leaves its cgroup when it is reaped (release_task), not when it exits, and waitFor
     * can return at the exit, so under load the group may still be populated for a moment. The
     * wait is the rare path: waiting every time (an inotify watch and its event) costs about 10 ms a job.
     */
    private static void removeWhenEmpty(Cgroup group) throws Exception {
        try {
            group.remove();
        } catch (CgroupSyscallException e) {
            if (e.errno() != Errno.EBUSY) throw e;
            if (!group.awaitEmpty(EMPTY_TIMEOUT)) throw new IllegalStateException(group + " did not empty within " + EMPTY_TIMEOUT, e);
            group.remove();
        }
    }

    private static final java.time.Duration EMPTY_TIMEOUT = java.time.Duration.ofSeconds(10);

    private void job(Mode mode, Latencies acquire) throws Exception {
        switch (mode) {
            case NONE -> {
                acquire.record(0);
                launcher.spawn(job()).waitFor();
            }
            case MKDIR -> {
                long t0 = System.nanoTime();
                Cgroup group = root.create("job-" + names.incrementAndGet());
                acquire.record(System.nanoTime() - t0);
                try {
                    launcher.spawn(job().cgroup(group)).waitFor();
                } finally {
                    removeWhenEmpty(group);
                }
            }
            case MIGRATE -> {
                long t0 = System.nanoTime();
                Cgroup group = root.create("job-" + names.incrementAndGet());
                acquire.record(System.nanoTime() - t0);
                try {
                    Child child = launcher.spawn(job().cgroup(group).usePosixSpawn());
                    child.waitFor();
                    if (child.cgroupPlacement() != CgroupPlacement.MIGRATED) throw new IllegalStateException("the child was not migrated");
                } finally {
                    removeWhenEmpty(group);
                }
            }
            case POOL -> {
                long t0 = System.nanoTime();
                Cgroup group = pool.acquire();
                acquire.record(System.nanoTime() - t0);
                try {
                    launcher.spawn(job().cgroup(group)).waitFor();
                } finally {
                    pool.release(group);
                }
            }
        }
    }
}
