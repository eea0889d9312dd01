package io.forkline.cli;

import io.forkline.lab.Latencies;
import io.forkline.Child;
import io.forkline.Launcher;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.CgroupRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code forkline bench cgroup}: one job per /bin/true, each in a cgroup of its own, four ways
 * side by side (issue 4, seed 004):
 * <ul>
 *   <li>{@code none}: no cgroup, the reference;
 *   <li>{@code mkdir}: mkdir per job (cgroup_mutex), born in it with CLONE_INTO_CGROUP, rmdir after;
 *   <li>{@code migrate}: mkdir per job, spawn, write the pid to cgroup.procs (the write side of
 *       cgroup_threadgroup_rwsem), rmdir after. The spawn is glibc's posix_spawn, the launcher's
 *       path that cannot be born in a group, so the launcher itself migrates the child before
 *       anything can reap it;
 *   <li>{@code pool}: acquire from a {@link CgroupPool}, born in it, release (empty, reset) after.
 * </ul>
 * Groups live in a fresh v2 subtree ({@code /sys/fs/cgroup/unified/forkline-bench-<pid>} on a
 * hybrid host), removed at the end. With {@code --burst N}, N threads each acquire a group at
 * the same moment, as a burst of container starts does, and run one job in it.
 */
@Command(
        name = "cgroup",
        mixinStandardHelpOptions = true,
        description = {
            "Runs /bin/true as jobs in cgroups of their own, n per mode and concurrency: none (no cgroup), "
                    + "mkdir (mkdir per job + CLONE_INTO_CGROUP + rmdir), migrate (mkdir + spawn + write cgroup.procs + rmdir) "
                    + "and pool (CgroupPool acquire + CLONE_INTO_CGROUP + release).",
            "Reports jobs/s, the time to get a group (acquire p50, p99, max) and pool misses (slow_path). "
                    + "--burst N instead acquires N groups at once, for mkdir and pool."
        })
final class BenchCgroupCommand implements Callable<Integer> {
    private static final List<String> MODES = List.of("none", "mkdir", "migrate", "pool");

    @Option(names = "--n", defaultValue = "2000", description = "Timed jobs per mode and concurrency (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,2,50", description = "Concurrency levels (default ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--rounds", defaultValue = "3",
            description = "Each mode's n jobs at a concurrency are split into this many runs, interleaved with the other "
                    + "modes' and pooled, so that noise on the machine hits every mode alike (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--warmup", defaultValue = "2000", description = "Untimed jobs per mode first, for the JIT (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--burst", defaultValue = "0", description = "Acquire this many groups at once instead (mkdir and pool).")
    int burst;

    @Option(names = "--with-v1",
            description = "On a hybrid host, also give every group its twins in the v1 pids and cpu hierarchies, as "
                    + "CgroupRoot.forThisHost does: mkdir then makes three directories, and each child joins two v1 groups "
                    + "(a migration each) before it execs. Without it the groups are v2 only.")
    boolean withV1;

    @Option(names = "--json", description = "Print a JSON array of {mode, concurrency, n, jobs_per_sec, acquire_p50_us, "
            + "acquire_p99_us, acquire_max_us, slow_path}.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final AtomicInteger names = new AtomicInteger();

    @Override
    public Integer call() throws Exception {
        Errors.requireAtLeast(spec, "--n", n, 1);
        Errors.requireRange(spec, "--rounds", rounds, 1, n);
        Errors.requireAtLeast(spec, "--warmup", warmup, 0);
        Errors.requireAtLeast(spec, "--burst", burst, 0);
        Errors.requireAllAtLeast(spec, "--concurrency", concurrency, 1);
        String treeName = "forkline-bench-" + ProcessHandle.current().pid();
        if (withV1) {
            CgroupRoot root = CgroupRoot.forThisHost(treeName);
            try {
                return measure(root);
            } finally {
                root.destroy(java.time.Duration.ofSeconds(10));
            }
        }
        Path v2Mount = Path.of("/sys/fs/cgroup/unified");
        if (!Files.isDirectory(v2Mount)) v2Mount = Path.of("/sys/fs/cgroup");
        Path tree = v2Mount.resolve(treeName);
        Files.createDirectory(tree);
        try (CgroupRoot root = CgroupRoot.open(tree)) {
            return measure(root);
        } finally {
            try (var left = Files.list(tree)) {
                for (Path group : left.filter(Files::isDirectory).toList()) Files.delete(group);
            }
            Files.delete(tree);
        }
    }

    private int measure(CgroupRoot root) throws Exception {
        try (Launcher launcher = Launcher.create()) {
            List<Result> results = burst > 0 ? burst(root, launcher) : steady(root, launcher);
            System.out.println(json ? Json.array(results.stream().map(Result::json).toList()) : table(results));
            return 0;
        }
    }

    private List<Result> steady(CgroupRoot root, Launcher launcher) throws Exception {
        int capacity = Math.max(64, 2 * concurrency.stream().mapToInt(Integer::intValue).max().orElse(1));
        try (CgroupPool pool = CgroupPool.builder(root).capacity(capacity).namePrefix("bench").build()) {
            for (String mode : MODES) {
                if (warmup <= 0) break;
                if (!json) System.err.printf(Locale.ROOT, "warming up %s (%d jobs)...%n", mode, warmup);
                run(mode, 2, warmup, root, launcher, pool);
            }
            Map<String, List<Result>> runs = new LinkedHashMap<>();
            for (int round = 0; round < rounds; round++) {
                int share = n / rounds + (round < n % rounds ? 1 : 0);
                for (int c : concurrency) {
                    for (String mode : MODES) {
                        if (!json) System.err.printf(Locale.ROOT, "round %d: %s at concurrency %d...%n", round + 1, mode, c);
                        runs.computeIfAbsent(mode + "@" + c, k -> new ArrayList<>()).add(run(mode, c, share, root, launcher, pool));
                    }
                }
            }
            return runs.values().stream().map(Result::pool).toList();
        }
    }

    private List<Result> burst(CgroupRoot root, Launcher launcher) throws Exception {
        List<Result> out = new ArrayList<>();
        try (CgroupPool pool = CgroupPool.builder(root).capacity(burst).lowWaterMark(0).namePrefix("bench").build()) {
            if (warmup > 0) {
                run("pool", 2, Math.min(warmup, burst), root, launcher, pool); // JIT warm-up on groups the pool has
                run("mkdir", 2, Math.min(warmup, burst), root, launcher, pool);
            }
            for (String mode : List.of("mkdir", "pool")) {
                if (!json) System.err.printf(Locale.ROOT, "burst of %d: %s...%n", burst, mode);
                out.add(run(mode, burst, burst, root, launcher, pool));
            }
        }
        return out;
    }

    /** {@code jobs} jobs on {@code threads} threads that start together; returns their wall time and acquire latencies. */
    private Result run(String mode, int threads, int jobs, CgroupRoot root, Launcher launcher, CgroupPool pool) throws Exception {
        Latencies acquire = new Latencies(jobs);
        AtomicInteger left = new AtomicInteger(jobs);
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        long slowBefore = pool.slowPathCount();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name("bench-cgroup-" + t).start(() -> {
                ready.countDown();
                try {
                    go.await();
                    while (left.getAndDecrement() > 0 && failure.get() == null) job(mode, root, launcher, pool, acquire);
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        for (Thread worker : workers) worker.join();
        long elapsed = System.nanoTime() - start;
        if (failure.get() != null) throw failure.get();
        return Result.of(mode, threads, elapsed, acquire.sorted(), mode.equals("pool") ? pool.slowPathCount() - slowBefore : 0);
    }

    private void job(String mode, CgroupRoot root, Launcher launcher, CgroupPool pool, Latencies acquire) throws Exception {
        io.forkline.Command command = io.forkline.Command.of("/bin/true");
        switch (mode) {
            case "none" -> {
                long t0 = System.nanoTime();
                acquire.record(System.nanoTime() - t0);
                launcher.spawn(command).waitFor();
            }
            case "mkdir" -> {
                long t0 = System.nanoTime();
                Cgroup group = root.create("job-" + names.incrementAndGet());
                acquire.record(System.nanoTime() - t0);
                launcher.spawn(command.cgroup(group)).waitFor();
                group.remove();
            }
            case "migrate" -> {
                long t0 = System.nanoTime();
                Cgroup group = root.create("job-" + names.incrementAndGet());
                acquire.record(System.nanoTime() - t0);
                // posix_spawn cannot be born in a group, so the launcher writes the pid to cgroup.procs.
                Child child = launcher.spawn(command.cgroup(group).usePosixSpawn());
                if (child.cgroupPlacement() != io.forkline.CgroupPlacement.MIGRATED) throw new IllegalStateException("not migrated");
                child.waitFor();
                group.remove();
            }
            case "pool" -> {
                long t0 = System.nanoTime();
                Cgroup group = pool.acquire();
                acquire.record(System.nanoTime() - t0);
                try {
                    launcher.spawn(command.cgroup(group)).waitFor();
                } finally {
                    pool.release(group);
                }
            }
            default -> throw new IllegalArgumentException(mode);
        }
    }

    static String table(List<Result> results) {
        Table table = new Table("mode", "concurrency", "n", "jobs/s", "acquire p50 us", "acquire p99 us", "acquire max us",
                "slow path", "vs none");
        for (Result r : results) {
            String vsNone = results.stream()
                    .filter(o -> o.mode().equals("none") && o.concurrency() == r.concurrency())
                    .findFirst()
                    .map(o -> String.format(Locale.ROOT, "%.2fx", r.jobsPerSecond() / o.jobsPerSecond()))
                    .orElse("-");
            table.row(r.mode(), r.concurrency(), r.n(), String.format(Locale.ROOT, "%.0f", r.jobsPerSecond()),
                    micros(r.p50Nanos()), micros(r.p99Nanos()), micros(r.maxNanos()), r.slowPath(), vsNone);
        }
        return table.toString();
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1000.0);
    }

    /** One mode at one concurrency. */
    record Result(String mode, int concurrency, int n, long elapsedNanos, long p50Nanos, long p99Nanos, long maxNanos,
            long slowPath, long[] sortedLatencies) {
        double jobsPerSecond() {
            return n * 1e9 / elapsedNanos;
        }

        static Result of(String mode, int concurrency, long elapsedNanos, long[] sorted, long slowPath) {
            return new Result(mode, concurrency, sorted.length, elapsedNanos, Latencies.percentile(sorted, 50),
                    Latencies.percentile(sorted, 99), sorted[sorted.length - 1], slowPath, sorted);
        }

        static Result pool(List<Result> runs) {
            long elapsed = runs.stream().mapToLong(Result::elapsedNanos).sum();
            long[] all = runs.stream().flatMapToLong(r -> java.util.Arrays.stream(r.sortedLatencies())).sorted().toArray();
            long slow = runs.stream().mapToLong(Result::slowPath).sum();
            return of(runs.getFirst().mode(), runs.getFirst().concurrency(), elapsed, all, slow);
        }

        /** The JSON object of the cgroup benchmark's contract: exactly these keys. */
        Map<String, Object> json() {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("mode", mode);
            fields.put("concurrency", concurrency);
            fields.put("n", n);
            fields.put("jobs_per_sec", jobsPerSecond());
            fields.put("acquire_p50_us", p50Nanos / 1000.0);
            fields.put("acquire_p99_us", p99Nanos / 1000.0);
            fields.put("acquire_max_us", maxNanos / 1000.0);
            fields.put("slow_path", slowPath);
            return fields;
        }
    }
}
