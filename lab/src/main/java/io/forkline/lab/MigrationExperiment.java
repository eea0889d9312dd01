package io.forkline.lab;

import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Launcher;
import io.forkline.Stdio;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.CgroupRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * E2, seeds 000 and 001: fork takes cgroup_threadgroup_rwsem for read and a migration (a write
 * to cgroup.procs) takes it for write, so frequent migrations stall fork. A spawn storm runs in
 * four cases: while another thread moves processes between two cgroups; while another thread
 * is as busy with syscalls that take no cgroup lock (the control: a third thread on two cores
 * slows the storm by itself); with every child born in its group through CLONE_INTO_CGROUP and
 * no migration (forkline's way); and with no cgroup work at all. The rwsem is one for the whole system, so it does not matter which processes move
 * or which hierarchy they move in: the migrated ones here are sleeping children of this run.
 *
 * <p>Linux 6.18 merged Yi Tao's per-threadgroup rwsem, which takes the contention away, but
 * only when the v2 hierarchy is mounted with {@code favordynmods}; the lab reads the mount
 * options and never remounts.
 */
public final class MigrationExperiment implements Experiment {
    /** The kernel release that merged the per-threadgroup rwsem. */
    static final int FIX_MAJOR = 6;
    static final int FIX_MINOR = 18;
    /**
     * Migration stalls fork here when the storm's median under it is at least this many times
     * the control's: a fork that waits for the write side waits out about one migration's
     * critical section (tens of microseconds), which on a spawn of about 50 us is a quarter or
     * more; noise between runs of the same case is below that.
     */
    static final double MEDIAN_STALL_FACTOR = 1.25;
    /** Or when its p99 is at least this many times the control's: the tail of a stall, when the tail is not the CPUs' run queue. */
    static final double TAIL_STALL_FACTOR = 2;
    /** Being born in a group costs nothing that matters when its median is within this factor of no cgroup work's. */
    static final double BORN_FLAT_FACTOR = 1.5;
    /**
     * Spawning threads. One, so that the storm, its child and the migrator (or the control's
     * busy thread) fit about on two cores: with more, the CPUs' run queue, not the rwsem, makes
     * the tail.
     */
    static final int STORM_THREADS = 1;
    /** Sleeping children the migrator moves back and forth. */
    static final int MOVED_PROCESSES = 4;

    /** The three cases of the storm. */
    enum Case {
        MIGRATION_LOAD("spawn while another thread migrates"),
        /**
         * The control of the migration case: a thread as busy, in syscalls that take no cgroup
         * lock (writes to /dev/null), so that what is left of the difference is the rwsem, not
         * a third thread on two cores.
         */
        BUSY_THREAD("spawn while another thread makes other syscalls"),
        BORN_IN_GROUP("born in its group (CLONE_INTO_CGROUP), no migration"),
        NO_CGROUP_WORK("no cgroup work");

        final String words;

        Case(String words) {
            this.words = words;
        }
    }

    /**
     * One case's storm.
     *
     * @param sortedNanos every spawn call's latency, sorted
     * @param elapsedNanos the storm's wall time
     * @param migrations migrations done beside it (the migration case only)
     */
    record Storm(Case kase, long[] sortedNanos, long elapsedNanos, long migrations) {
        double p50Ms() {
            return Latencies.percentile(sortedNanos, 50) / 1e6;
        }

        double p99Ms() {
            return Latencies.percentile(sortedNanos, 99) / 1e6;
        }

        double maxMs() {
            return sortedNanos[sortedNanos.length - 1] / 1e6;
        }

        double spawnsPerSecond() {
            return sortedNanos.length * 1e9 / elapsedNanos;
        }
    }

    /** The experiment, with the counts of its scale. */
    public MigrationExperiment() {}

    @Override
    public String id() {
        return "E2";
    }

    @Override
    public String name() {
        return "migration";
    }

    @Override
    public String title() {
        return "Migration against fork: cgroup_threadgroup_rwsem (seeds 000 and 001)";
    }

    static int spawnsPerCase(Scale scale) {
        return scale.count(6000, 40);
    }

    @Override
    public Duration estimate(Scale scale) {
        // Four cases of about 300 spawns/s from one thread (measured 2026-12-07), and a second to set up.
        return Duration.ofMillis(1000 + spawnsPerCase(scale) * 4L * 10 / 3);
    }

    @Override
    public ExperimentResult run(LabContext context) throws Exception {
        ExperimentResult.Builder out = ExperimentResult.builder(this);
        HostFacts host = context.host();
        Finding fix = fixFinding(host);
        if (host.v2Mount() == null) {
            out.skip("the spawn storm", "a cgroup v2 hierarchy (CLONE_INTO_CGROUP and the migrations go through it)");
            return out.finding(fix).build();
        }
        int spawns = spawnsPerCase(context.scale());
        Path tree = Files.createDirectory(host.v2Mount().resolve(context.cgroupTree() + "-e2"));
        Map<Case, Storm> storms = new LinkedHashMap<>();
        double migrationAloneUs;
        try (CgroupRoot root = CgroupRoot.open(tree); Launcher launcher = Launcher.builder().name("forkline-lab-e2").build()) {
            try {
                Cgroup a = root.create("a");
                Cgroup b = root.create("b");
                try (CgroupPool pool = CgroupPool.builder(root).capacity(STORM_THREADS * 2).namePrefix("born").build()) {
                    storm(launcher, pool, Case.NO_CGROUP_WORK, Math.min(spawns, 500), null, null); // warm-up, untimed
                    storm(launcher, pool, Case.BORN_IN_GROUP, Math.min(spawns, 500), null, null);
                    List<Child> moved = new ArrayList<>();
                    try {
                        for (int i = 0; i < MOVED_PROCESSES; i++) {
                            moved.add(launcher.spawn(Command.of("/bin/sleep", "3600").stdout(Stdio.discard()).stderr(Stdio.discard()).cgroup(a)));
                        }
                        migrationAloneUs = migrationCost(moved, a, b, Duration.ofMillis(context.scale() == Scale.SMOKE ? 50 : 500));
                        Case[] order = {Case.NO_CGROUP_WORK, Case.BUSY_THREAD, Case.MIGRATION_LOAD, Case.BORN_IN_GROUP};
                        for (int i = 0; i < order.length; i++) {
                            context.progress("E2: " + order[i].words, i, order.length);
                            storms.put(order[i], storm(launcher, pool, order[i], spawns, order[i] == Case.MIGRATION_LOAD ? moved : null,
                                    new Cgroup[] {a, b}));
                        }
                    } finally {
                        for (Child c : moved) c.kill();
                        for (Child c : moved) c.waitFor();
                    }
                }
            } finally {
                root.destroy(Duration.ofSeconds(10));
            }
        } finally {
            Files.deleteIfExists(tree);
        }

        ResultTable.Builder table = ResultTable.builder("Spawn latency of /bin/true, " + spawns + " spawns per case from " + STORM_THREADS + (STORM_THREADS == 1 ? " thread" : " threads"),
                "case", "p50 ms", "p99 ms", "max ms", "spawns/s", "migrations/s beside");
        for (Storm s : storms.values()) {
            table.row(s.kase().words, ms(s.p50Ms()), ms(s.p99Ms()), ms(s.maxMs()), ResultTable.number(s.spawnsPerSecond(), 0),
                    s.kase() == Case.MIGRATION_LOAD ? ResultTable.number(s.migrations() * 1e9 / s.elapsedNanos(), 0) : "-");
        }
        out.table(table.build());
        Storm migrating = storms.get(Case.MIGRATION_LOAD);
        double migrationUnderLoadUs = migrating.migrations() == 0 ? Double.NaN : migrating.elapsedNanos() / 1e3 / migrating.migrations();
        out.table(ResultTable.builder("The cost of one migration (a write of a pid to cgroup.procs)", "when", "us per migration")
                .row("alone", ResultTable.number(migrationAloneUs, 1))
                .row("beside the spawn storm", ResultTable.number(migrationUnderLoadUs, 1)).build());
        out.table(ResultTable.builder("The kernel's fix", "fact", "here")
                .row("kernel", host.kernel().text())
                .row("per-threadgroup rwsem merged in", FIX_MAJOR + "." + FIX_MINOR)
                .row("this kernel has it", host.kernel().atLeast(FIX_MAJOR, FIX_MINOR) ? "yes" : "not known to (older than " + FIX_MAJOR + "." + FIX_MINOR + ")")
                .row("v2 mounted with favordynmods", host.favordynmods() ? "yes" : "no").build());

        Finding stall = stallFinding(storms, host, migrationAloneUs);
        Finding born = bornFinding(storms);
        out.finding(stall).finding(born).finding(fix);
        for (Storm s : storms.values()) {
            Finding about = s.kase() == Case.BORN_IN_GROUP || s.kase() == Case.NO_CGROUP_WORK ? born : stall;
            out.measurement(s.kase().words, "spawn_p50", s.p50Ms(), "ms", about);
            out.measurement(s.kase().words, "spawn_p99", s.p99Ms(), "ms", about);
            out.measurement(s.kase().words, "spawn_max", s.maxMs(), "ms", about);
            out.measurement(s.kase().words, "spawns_per_sec", s.spawnsPerSecond(), "spawns/s", about);
        }
        out.measurement("one migration, alone", "migration_cost", migrationAloneUs, "us");
        out.measurement("one migration, beside the storm", "migration_cost", migrationUnderLoadUs, "us");
        out.measurement("v2 hierarchy", "favordynmods", host.favordynmods() ? 1 : 0, "bool", fix);
        List<String> categories = List.of("p50", "p99", "max");
        List<Chart.Series> series = new ArrayList<>();
        for (Storm s : storms.values()) series.add(new Chart.Series(s.kase().words, List.of(s.p50Ms(), s.p99Ms(), s.maxMs())));
        out.chart(new Chart("Spawn latency with and without migrations", "statistic", "ms", categories, series, true));
        out.note("The migrated processes are " + MOVED_PROCESSES + " sleeping children of this run, moved between two v2 groups in "
                + tree + "; the rwsem is system-wide, so any migration anywhere stalls every fork.");
        return out.build();
    }

    /**
     * Runs one case's storm: {@code spawns} spawns of /bin/true from {@link #STORM_THREADS}
     * threads, and in the migration case a thread that moves {@code moved} between the two
     * groups until the storm ends.
     */
    private static Storm storm(Launcher launcher, CgroupPool pool, Case kase, int spawns, List<Child> moved, Cgroup[] groups)
            throws Exception {
        Latencies latencies = new Latencies(spawns);
        AtomicLong left = new AtomicLong(spawns);
        AtomicBoolean stormOver = new AtomicBoolean();
        AtomicLong migrations = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        Command command = Command.of("/bin/true");
        for (int t = 0; t < STORM_THREADS; t++) {
            threads.add(Thread.ofPlatform().name("forkline-lab-e2-storm-" + t).start(() -> {
                try {
                    go.await();
                    while (left.getAndDecrement() > 0 && failure.get() == null) {
                        Cgroup group = kase == Case.BORN_IN_GROUP ? pool.acquire() : null;
                        try {
                            long t0 = System.nanoTime();
                            // A Command is a mutable builder: a group goes on a new one, never on the shared one.
                            Child child = launcher.spawn(group == null ? command : Command.of("/bin/true").cgroup(group));
                            latencies.record(System.nanoTime() - t0);
                            child.waitFor();
                        } finally {
                            if (group != null) pool.release(group);
                        }
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        Thread migrator = null;
        if (kase == Case.BUSY_THREAD) {
            migrator = Thread.ofPlatform().name("forkline-lab-e2-busy").start(() -> {
                try (var devNull = java.nio.channels.FileChannel.open(Path.of("/dev/null"), java.nio.file.StandardOpenOption.WRITE)) {
                    java.nio.ByteBuffer one = java.nio.ByteBuffer.allocateDirect(1);
                    go.await();
                    while (!stormOver.get()) {
                        one.clear();
                        devNull.write(one);
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            });
        } else if (moved != null) {
            migrator = Thread.ofPlatform().name("forkline-lab-e2-migrator").start(() -> {
                try {
                    go.await();
                    for (int round = 0; !stormOver.get() && failure.get() == null; round++) {
                        Cgroup to = groups[(round + 1) % 2];
                        for (Child c : moved) {
                            to.migrateV2(c.pid());
                            migrations.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        long start = System.nanoTime();
        go.countDown();
        try {
            for (Thread t : threads) t.join();
        } catch (InterruptedException e) {
            left.set(0); // the threads stop after their current spawn
            stormOver.set(true);
            for (Thread t : threads) t.join();
            if (migrator != null) migrator.join();
            throw e;
        }
        long elapsed = System.nanoTime() - start;
        stormOver.set(true);
        if (migrator != null) migrator.join();
        if (failure.get() != null) throw failure.get();
        return new Storm(kase, latencies.sorted(), elapsed, migrations.get());
    }

    /** @return microseconds per migration of {@code moved} between the groups, for {@code time}, with nothing else running */
    private static double migrationCost(List<Child> moved, Cgroup a, Cgroup b, Duration time) throws Exception {
        long n = 0;
        long start = System.nanoTime();
        long end = start + time.toNanos();
        for (int round = 0; System.nanoTime() < end; round++) {
            Cgroup to = round % 2 == 0 ? b : a;
            for (Child c : moved) {
                to.migrateV2(c.pid());
                n++;
            }
        }
        return (System.nanoTime() - start) / 1e3 / n;
    }

    /**
     * The seeds' claim: migrations stall fork. Judged against the busy-thread control, at the
     * median and at p99: on a machine with few cores the tail is mostly a third thread's
     * scheduling, which the control has too, and a stall shows at the median first.
     *
     * @param migrationUs what one migration costs alone, to say how the added wait compares
     */
    static Finding stallFinding(Map<Case, Storm> storms, HostFacts host, double migrationUs) {
        Storm with = storms.get(Case.MIGRATION_LOAD);
        Storm control = storms.get(Case.BUSY_THREAD);
        double p50Ratio = with.p50Ms() / control.p50Ms();
        double p99Ratio = with.p99Ms() / control.p99Ms();
        String claim = "cgroup migrations stall fork (cgroup_threadgroup_rwsem)";
        String measured = "p50 " + ms(control.p50Ms()) + " -> " + ms(with.p50Ms()) + " ms (" + ResultTable.number(p50Ratio, 2) + "x), p99 "
                + ms(control.p99Ms()) + " -> " + ms(with.p99Ms()) + " ms (" + ResultTable.number(p99Ratio, 2) + "x)";
        String seed = "stalls; the seeds give no number";
        String added = "the median spawn waits " + ResultTable.number((with.p50Ms() - control.p50Ms()) * 1000, 0) + " us more, against "
                + ResultTable.number(migrationUs, 0) + " us for one migration";
        boolean median = p50Ratio >= MEDIAN_STALL_FACTOR;
        boolean tail = p99Ratio >= TAIL_STALL_FACTOR;
        if (median || tail) {
            return new Finding(claim, seed, measured, Verdict.HOLDS, (median ? "median " + ResultTable.number(MEDIAN_STALL_FACTOR, 2) + "x or more" : "")
                    + (median && tail ? " and " : "") + (tail ? "p99 " + (int) TAIL_STALL_FACTOR + "x or more" : "")
                    + " of the control (a thread as busy with other syscalls); " + added + (host.favordynmods() ? "; even with favordynmods" : "; favordynmods off"));
        }
        return new Finding(claim, seed, measured, Verdict.DOES_NOT_HOLD, "under " + ResultTable.number(MEDIAN_STALL_FACTOR, 2) + "x at the median and "
                + (int) TAIL_STALL_FACTOR + "x at p99 of the control (a thread as busy with other syscalls); " + added
                + (host.favordynmods() ? "; favordynmods is on, and 6.18's fix takes the contention away" : ""));
    }

    /**
     * forkline's answer: a child born in its group takes no write side, so it pays nothing like
     * the stall. Judged at the median, as the stall is; the born case's tail also carries the
     * pool's release of the previous group on the same thread.
     */
    static Finding bornFinding(Map<Case, Storm> storms) {
        Storm born = storms.get(Case.BORN_IN_GROUP);
        Storm none = storms.get(Case.NO_CGROUP_WORK);
        double ratio = born.p50Ms() / none.p50Ms();
        String claim = "a child born in its cgroup (CLONE_INTO_CGROUP) spawns about as fast as one with no cgroup work";
        String measured = "p50 " + ms(none.p50Ms()) + " -> " + ms(born.p50Ms()) + " ms (" + ResultTable.number(ratio, 2) + "x), p99 "
                + ms(none.p99Ms()) + " -> " + ms(born.p99Ms()) + " ms";
        if (ratio <= BORN_FLAT_FACTOR) {
            return new Finding(claim, "no migration at all", measured, Verdict.HOLDS, "the median is within " + BORN_FLAT_FACTOR + "x of no cgroup work");
        }
        return new Finding(claim, "no migration at all", measured, Verdict.DOES_NOT_HOLD, "the median is over " + BORN_FLAT_FACTOR + "x of no cgroup work");
    }

    /** Whether this kernel has the fix, and whether it is active. */
    static Finding fixFinding(HostFacts host) {
        String claim = "Linux 6.18's per-threadgroup rwsem removes the contention, with favordynmods";
        String seed = "merged in 6.18 (seed: v4 on LKML)";
        String measured = host.kernel().text() + ", favordynmods " + (host.favordynmods() ? "on" : "off");
        if (!host.kernel().atLeast(FIX_MAJOR, FIX_MINOR)) {
            return new Finding(claim, seed, measured, Verdict.NOT_APPLICABLE, "this kernel is older than 6.18 and not known to have the fix");
        }
        if (!host.favordynmods()) {
            return new Finding(claim, seed, measured, Verdict.NOT_APPLICABLE,
                    "the kernel has the fix, but the v2 hierarchy is mounted without favordynmods, so fork still takes the global rwsem (the lab never remounts)");
        }
        return new Finding(claim, seed, measured, Verdict.HOLDS, "the kernel has the fix and it is active");
    }

    private static String ms(double value) {
        return ResultTable.number(value, value < 10 ? 3 : 1);
    }
}
