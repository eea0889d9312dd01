package io.forkline.cli;

import io.forkline.lab.CgroupStarts;
import io.forkline.lab.CgroupStarts.Mode;
import io.forkline.lab.CgroupStarts.Result;
import io.forkline.Launcher;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code forkline bench cgroup}: one job per /bin/true, each in a cgroup of its own, four ways
 * side by side (issue 4, seed 004), as {@link CgroupStarts} runs them:
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
            System.out.println(json ? Json.array(results.stream().map(BenchCgroupCommand::json).toList()) : table(results));
            return 0;
        }
    }

    private List<Result> steady(CgroupRoot root, Launcher launcher) throws Exception {
        int capacity = Math.max(64, 2 * concurrency.stream().mapToInt(Integer::intValue).max().orElse(1));
        try (CgroupPool pool = CgroupPool.builder(root).capacity(capacity).namePrefix("bench").build()) {
            CgroupStarts starts = new CgroupStarts(root, launcher, pool);
            for (Mode mode : Mode.values()) {
                if (warmup <= 0) break;
                if (!json) System.err.printf(Locale.ROOT, "warming up %s (%d jobs)...%n", mode.label(), warmup);
                starts.run(mode, 2, warmup);
            }
            Map<String, List<Result>> runs = new LinkedHashMap<>();
            for (int round = 0; round < rounds; round++) {
                int share = n / rounds + (round < n % rounds ? 1 : 0);
                for (int c : concurrency) {
                    for (Mode mode : Mode.values()) {
                        if (!json) System.err.printf(Locale.ROOT, "round %d: %s at concurrency %d...%n", round + 1, mode.label(), c);
                        runs.computeIfAbsent(mode + "@" + c, k -> new ArrayList<>()).add(starts.run(mode, c, share));
                    }
                }
            }
            return runs.values().stream().map(Result::pool).toList();
        }
    }

    private List<Result> burst(CgroupRoot root, Launcher launcher) throws Exception {
        List<Result> out = new ArrayList<>();
        try (CgroupPool pool = CgroupPool.builder(root).capacity(burst).lowWaterMark(0).namePrefix("bench").build()) {
            CgroupStarts starts = new CgroupStarts(root, launcher, pool);
            if (warmup > 0) {
                starts.run(Mode.POOL, 2, Math.min(warmup, burst)); // JIT warm-up on groups the pool has
                starts.run(Mode.MKDIR, 2, Math.min(warmup, burst));
            }
            for (Mode mode : List.of(Mode.MKDIR, Mode.POOL)) {
                if (!json) System.err.printf(Locale.ROOT, "burst of %d: %s...%n", burst, mode.label());
                out.add(starts.run(mode, burst, burst));
            }
        }
        return out;
    }

    static String table(List<Result> results) {
        Table table = new Table("mode", "concurrency", "n", "jobs/s", "acquire p50 us", "acquire p99 us", "acquire max us",
                "slow path", "vs none");
        for (Result r : results) {
            String vsNone = results.stream()
                    .filter(o -> o.mode() == Mode.NONE && o.concurrency() == r.concurrency())
                    .findFirst()
                    .map(o -> String.format(Locale.ROOT, "%.2fx", r.jobsPerSecond() / o.jobsPerSecond()))
                    .orElse("-");
            table.row(r.mode().label(), r.concurrency(), r.n(), String.format(Locale.ROOT, "%.0f", r.jobsPerSecond()),
                    micros(r.p50Nanos()), micros(r.p99Nanos()), micros(r.maxNanos()), r.slowPath(), vsNone);
        }
        return table.toString();
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1000.0);
    }

    /** The JSON object of the cgroup benchmark's contract: exactly these keys. */
    static Map<String, Object> json(Result r) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("mode", r.mode().label());
        fields.put("concurrency", r.concurrency());
        fields.put("n", r.n());
        fields.put("jobs_per_sec", r.jobsPerSecond());
        fields.put("acquire_p50_us", r.p50Nanos() / 1000.0);
        fields.put("acquire_p99_us", r.p99Nanos() / 1000.0);
        fields.put("acquire_max_us", r.maxNanos() / 1000.0);
        fields.put("slow_path", r.slowPath());
        return fields;
    }
}
