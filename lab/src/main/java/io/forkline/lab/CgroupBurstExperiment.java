package io.forkline.lab;

import io.forkline.Launcher;
import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.CgroupRoot;
import io.forkline.lab.CgroupStarts.Mode;
import io.forkline.lab.CgroupStarts.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * E4, seed 004: "long-tail delay of creating cgroup under each subsystems is 900ms when starting
 * 400 containers", and a pool of groups made in advance removes it. 400 threads each get a
 * fresh group at the same moment and run one job in it, two ways: mkdir per start (every mkdir
 * takes cgroup_mutex) and forkline's {@link CgroupPool} (groups made before the burst, handed out
 * without a syscall). Both run on groups with no controller and, where the host allows, on groups
 * with controllers: on a hybrid host the v1 pids and cpu hierarchies (a mkdir in each, as the seed's
 * "under each subsystem"), elsewhere the v2 controllers the host offers, whose per-group state
 * makes mkdir costlier.
 */
public final class CgroupBurstExperiment implements Experiment {
    /** The seed's burst. */
    static final int SEED_CONTAINERS = 400;
    /** The seed's tail, in ms. */
    static final double SEED_TAIL_MS = 900;
    /**
     * A tail within this factor of the seed's counts as the seed's: it was measured on another
     * machine, under other load; what matters is the order of magnitude.
     */
    static final double SAME_ORDER = 3;
    /** The pool removes the tail when its worst start is at most this share of mkdir's. */
    static final double REMOVED_SHARE = 0.2;

    /** Whether the groups of a variant carry controllers. */
    enum Groups {
        BARE("no controller"),
        CONTROLLED("with controllers");

        final String words;

        Groups(String words) {
            this.words = words;
        }
    }

    /** The experiment, with the counts of the seed's burst. */
    public CgroupBurstExperiment() {}

    @Override
    public String id() {
        return "E4";
    }

    @Override
    public String name() {
        return "cgroup-burst";
    }

    @Override
    public String title() {
        return "A burst of cgroup creations: mkdir per start against CgroupPool (seed 004)";
    }

    static int containers(Scale scale) {
        return scale == Scale.SMOKE ? 20 : SEED_CONTAINERS;
    }

    static int rounds(Scale scale) {
        return switch (scale) {
            case FULL -> 5;
            case QUICK -> 2;
            case SMOKE -> 1;
        };
    }

    @Override
    public Duration estimate(Scale scale) {
        // About 3 ms per start and way here (2026-12-07), in each kind of group, and half a second to set up.
        return Duration.ofMillis(500L + rounds(scale) * 2L * 2L * 3L * containers(scale));
    }

    @Override
    public ExperimentResult run(LabContext context) throws Exception {
        ExperimentResult.Builder out = ExperimentResult.builder(this);
        HostFacts host = context.host();
        if (host.v2Mount() == null) {
            out.skip("every burst", "a cgroup v2 hierarchy (CLONE_INTO_CGROUP needs one)");
            out.finding(new Finding("a cgroup pool removes the 900 ms tail of 400 concurrent starts", "900 ms", "not run",
                    Verdict.NOT_APPLICABLE, "no cgroup v2 hierarchy on this host"));
            return out.build();
        }
        int containers = containers(context.scale());
        int rounds = rounds(context.scale());
        Map<Groups, Map<Mode, Result>> results = new LinkedHashMap<>();
        try (Launcher launcher = Launcher.builder().name("forkline-lab-e4").build()) {
            for (Groups groups : Groups.values()) {
                try {
                    results.put(groups, bursts(context, launcher, groups, containers, rounds));
                } catch (SkippedException e) {
                    out.skip("bursts " + groups.words, e.needs());
                }
            }
        }
        ResultTable.Builder table = ResultTable.builder("Time to get a fresh cgroup, " + containers + " starts at once, " + rounds + " bursts pooled",
                "groups", "way", "starts", "p50 ms", "p99 ms", "max ms", "pool misses");
        for (var byGroups : results.entrySet()) {
            for (Result r : byGroups.getValue().values()) {
                table.row(byGroups.getKey().words, r.mode().label(), r.n(), ms(r.p50Nanos()), ms(r.p99Nanos()), ms(r.maxNanos()),
                        r.mode() == Mode.POOL ? Long.toString(r.slowPath()) : "-");
            }
        }
        out.table(table.build());
        List<Finding> findings = findings(results, containers);
        for (Finding f : findings) out.finding(f);
        for (var byGroups : results.entrySet()) {
            for (Result r : byGroups.getValue().values()) {
                String variant = r.mode().label() + ", " + byGroups.getKey().words;
                Finding about = r.mode() == Mode.MKDIR ? findings.get(0) : findings.get(1);
                out.measurement(variant, "acquire_p50", r.p50Nanos() / 1e6, "ms", about);
                out.measurement(variant, "acquire_p99", r.p99Nanos() / 1e6, "ms", about);
                out.measurement(variant, "acquire_max", r.maxNanos() / 1e6, "ms", about);
            }
        }
        out.chart(chart(results));
        out.note("Groups are made in " + host.v2Mount() + "/" + context.cgroupTree() + "-e4-*"
                + (host.cgroupLayout() == HostFacts.CgroupLayout.HYBRID ? " and, with controllers, in the v1 pids and cpu hierarchies too" : "")
                + "; every start runs /bin/true in its group, born there with CLONE_INTO_CGROUP.");
        return out.build();
    }

    /** The bursts of one kind of group, mkdir and pool, interleaved over the rounds and pooled. */
    private Map<Mode, Result> bursts(LabContext context, Launcher launcher, Groups groups, int containers, int rounds) throws Exception {
        String tree = context.cgroupTree() + "-e4-" + groups.name().toLowerCase(java.util.Locale.ROOT);
        // Bare: a v2 subtree of our own with no controller enabled, removed by us. Controlled:
        // the host's layout with its controllers, which CgroupRoot makes and removes itself.
        Path bareDirectory = groups == Groups.BARE ? Files.createDirectory(context.host().v2Mount().resolve(tree)) : null;
        CgroupRoot root;
        try {
            root = bareDirectory != null ? CgroupRoot.open(bareDirectory) : controlledRoot(tree);
        } catch (Exception e) {
            if (bareDirectory != null) Files.deleteIfExists(bareDirectory);
            throw e;
        }
        try {
            Map<Mode, List<Result>> runs = new LinkedHashMap<>();
            // lowWaterMark 0: released groups come back to the pool, so no refill runs beside a burst.
            try (CgroupPool pool = CgroupPool.builder(root).capacity(containers).lowWaterMark(0).namePrefix("lab").build()) {
                CgroupStarts starts = new CgroupStarts(root, launcher, pool);
                starts.run(Mode.POOL, 2, Math.min(containers, 50)); // the JIT warms up here, not in the timed bursts
                starts.run(Mode.MKDIR, 2, Math.min(containers, 50));
                for (int round = 0; round < rounds; round++) {
                    for (Mode mode : List.of(Mode.MKDIR, Mode.POOL)) {
                        if (Thread.interrupted()) throw new InterruptedException("stopped in E4");
                        context.progress("E4 " + groups.words + ": burst " + (round + 1) + " of " + rounds + ", " + mode.label(),
                                round * 2L + (mode == Mode.POOL ? 1 : 0), rounds * 2L);
                        runs.computeIfAbsent(mode, k -> new ArrayList<>()).add(starts.run(mode, containers, containers));
                    }
                }
            }
            Map<Mode, Result> pooled = new LinkedHashMap<>();
            runs.forEach((mode, list) -> pooled.put(mode, Result.pool(list)));
            return pooled;
        } finally {
            root.destroy(Duration.ofSeconds(10));
            if (bareDirectory != null) Files.deleteIfExists(bareDirectory);
        }
    }

    /**
     * The host's layout with its controllers ({@link CgroupRoot#forThisHost}).
     *
     * @throws SkippedException when the host lets forkline enable no controller
     */
    private static CgroupRoot controlledRoot(String tree) throws Exception {
        CgroupRoot root = CgroupRoot.forThisHost(tree);
        boolean any = !root.v1Paths().isEmpty() || !Files.readString(root.v2Path().resolve("cgroup.subtree_control")).isBlank();
        if (!any) {
            root.destroy(Duration.ofSeconds(10));
            throw new SkippedException("a controller this host lets forkline enable (v1 pids or cpu, or a v2 controller)");
        }
        return root;
    }

    /**
     * The verdicts: whether mkdir's tail here is the seed's, and whether the pool removes it.
     *
     * @return two findings, mkdir's first
     */
    static List<Finding> findings(Map<Groups, Map<Mode, Result>> results, int containers) {
        Map<Mode, Result> worst = results.containsKey(Groups.CONTROLLED) ? results.get(Groups.CONTROLLED) : results.get(Groups.BARE);
        String mkdirClaim = "creating a cgroup per start has a 900 ms tail at 400 concurrent starts";
        String poolClaim = "a cgroup pool removes that tail";
        if (worst == null) {
            return List.of(
                    new Finding(mkdirClaim, "900 ms", "not run", Verdict.NOT_APPLICABLE, "no burst could run here"),
                    new Finding(poolClaim, "900 ms -> fast path", "not run", Verdict.NOT_APPLICABLE, "no burst could run here"));
        }
        double mkdirMax = worst.get(Mode.MKDIR).maxNanos() / 1e6;
        double poolMax = worst.get(Mode.POOL).maxNanos() / 1e6;
        String where = results.containsKey(Groups.CONTROLLED) ? "with controllers" : "without controllers";
        Finding mkdir;
        if (containers < SEED_CONTAINERS) {
            mkdir = new Finding(mkdirClaim, "900 ms", number(mkdirMax) + " ms at " + containers, Verdict.NOT_APPLICABLE,
                    "a burst of " + containers + ", not the seed's 400");
        } else if (mkdirMax * SAME_ORDER >= SEED_TAIL_MS) {
            mkdir = new Finding(mkdirClaim, "900 ms", number(mkdirMax) + " ms", Verdict.HOLDS, "the worst mkdir " + where
                    + " is within " + (int) SAME_ORDER + "x of the seed's");
        } else {
            mkdir = new Finding(mkdirClaim, "900 ms", number(mkdirMax) + " ms", Verdict.DOES_NOT_HOLD, "the worst mkdir " + where
                    + " is " + number(SEED_TAIL_MS / mkdirMax) + "x below the seed's: " + "cgroup_mutex is short-held here, "
                    + "with few groups on the host and " + Runtime.getRuntime().availableProcessors() + " cores to queue on");
        }
        Finding pool;
        if (poolMax <= mkdirMax * REMOVED_SHARE) {
            pool = new Finding(poolClaim, "900 ms -> fast path", number(mkdirMax) + " ms -> " + number(poolMax) + " ms", Verdict.HOLDS,
                    "the pool's worst start " + where + " is " + number(mkdirMax / poolMax) + "x below mkdir's");
        } else {
            pool = new Finding(poolClaim, "900 ms -> fast path", number(mkdirMax) + " ms -> " + number(poolMax) + " ms",
                    Verdict.DOES_NOT_HOLD, "the pool's worst start " + where + " is not below " + (int) (REMOVED_SHARE * 100)
                    + "% of mkdir's: the tail here is scheduling, not cgroup_mutex");
        }
        return List.of(mkdir, pool);
    }

    /** The chart's legend entry for one way of getting groups of one kind. */
    static String seriesName(Mode mode, Groups groups) {
        return (mode == Mode.MKDIR ? "mkdir" : "CgroupPool") + ", " + groups.words;
    }

    private static Chart chart(Map<Groups, Map<Mode, Result>> results) {
        List<String> stats = List.of("p50", "p99", "max");
        List<Chart.Series> series = new ArrayList<>();
        for (var byGroups : results.entrySet()) {
            for (Mode mode : List.of(Mode.MKDIR, Mode.POOL)) {
                List<Double> values = new ArrayList<>();
                for (String stat : stats) values.add(stat(byGroups.getValue().get(mode), stat));
                series.add(new Chart.Series(seriesName(mode, byGroups.getKey()), values));
            }
        }
        return new Chart("Time to get a fresh cgroup in a burst", "statistic", "ms", stats, series, true);
    }

    private static double stat(Result r, String stat) {
        long nanos = switch (stat) {
            case "p50" -> r.p50Nanos();
            case "p99" -> r.p99Nanos();
            default -> r.maxNanos();
        };
        return nanos / 1e6;
    }

    private static String ms(long nanos) {
        return ResultTable.number(nanos / 1e6, 2);
    }

    private static String number(double value) {
        return ResultTable.number(value, value < 10 ? 2 : 0);
    }
}
