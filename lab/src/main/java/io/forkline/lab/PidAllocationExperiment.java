package io.forkline.lab;

import io.forkline.concurrent.IdAllocator;
import io.forkline.concurrent.LockedCyclicIdAllocator;
import io.forkline.concurrent.RangeIdAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * E3, seed 003: pid allocation. Every new task takes a pid under the kernel's global
 * {@code pidmap_lock} (kernel/pid.c, alloc_pid), which Guzik names the primary bottleneck when
 * separate processes create and end threads in parallel: 465k ops/s at 20 processes before his
 * fix (take the lock once per alloc_pid), 510-560k after; the fix landed in Linux 7.0.
 *
 * <p>The kernel side runs will-it-scale's threadspawn1 as the repo's own C
 * ({@code native/src/main/c/tools/threadspawn.c}): N processes, each creating and joining one
 * thread in a loop, for N = 1, 2 and 4. The user-space side runs the same contention shape on
 * forkline's {@link RangeIdAllocator} (Guzik's per-CPU ranges) and its global-lock baseline
 * {@link LockedCyclicIdAllocator} ({@code idr_alloc_cyclic} under one lock), at 1, 2 and 4 threads.
 */
public final class PidAllocationExperiment implements Experiment {
    static final String TOOL = "forkline-threadspawn";
    /** The process and thread counts: the brief's, and all a 2-core machine can say anything with. */
    static final List<Integer> WIDTHS = List.of(1, 2, 4);
    /** Ids each allocator thread keeps alive, as the JMH benchmark does: processes live a little while. */
    static final int LIVE_IDS_PER_THREAD = 32;
    /** Allocator operations between two looks at the clock: nanoTime costs about one operation. */
    static final int OPERATIONS_PER_CLOCK_READ = 64;

    static final int SEED_PROCESSES = 20;
    static final double SEED_UNPATCHED_OPS = 465_000;
    static final double SEED_PATCHED_LOW_OPS = 510_000;
    static final double SEED_PATCHED_HIGH_OPS = 560_000;

    /**
     * Below this many CPUs pidmap_lock cannot be the limit of threadspawn1. The lock is held for a
     * fraction of a microsecond of each thread's life of some microseconds, so each CPU keeps it
     * busy a few percent of the time: it saturates at tens of CPUs (the seed's 20 processes), and
     * with fewer than 8 it is free nearly always.
     */
    static final int MIN_CORES_FOR_PID_CONTENTION = 8;
    /**
     * The scaling efficiency (ops/s at N over N times ops/s at 1) below which thread creation is
     * held back by something shared. Independent processes on idle CPUs reach 0.85-0.9 of linear
     * (shared caches, memory bandwidth, frequency); a shared lock takes them well below 0.75.
     */
    static final double CONTENDED_EFFICIENCY = 0.75;
    /**
     * The smallest ratio of RangeIdAllocator over the global lock that reads as an advantage: runs
     * of half a second on a shared 2-core machine move by 10-20%; a ratio below 1.25 cannot be told
     * from that.
     */
    static final double MIN_ADVANTAGE = 1.25;
    /**
     * The share of the cores they could use (min(threads, cores)) that the measured threads must
     * have had for a comparison of contention. Other engineers' builds share this machine; when
     * they take a core, two allocating threads seldom run at the same moment, and neither lock is
     * contended. Three quarters leaves room for the JIT, GC and the lab's own threads.
     */
    static final double MIN_SHARE_OF_CORES = 0.75;

    static final String THREAD_PREFIX = "lab-e3-";

    private final ToolSource threadspawn;

    public PidAllocationExperiment() {
        this(() -> ProgramRun.extractTool(TOOL));
    }

    /** @param threadspawn where the threadspawn program comes from; tests make it missing */
    PidAllocationExperiment(ToolSource threadspawn) {
        this.threadspawn = threadspawn;
    }

    /** Where a native program comes from. */
    @FunctionalInterface
    interface ToolSource {
        /** @throws SkippedException when this build has no such program */
        Path extract() throws SkippedException;
    }

    @Override
    public String id() {
        return "E3";
    }

    @Override
    public String name() {
        return "pid-alloc";
    }

    @Override
    public String title() {
        return "Pid allocation: threads created in parallel processes, and ids from per-CPU ranges (seed 003)";
    }

    /** How long one threadspawn run lasts: each N runs twice. */
    static Duration threadspawnRun(Scale scale) {
        return Duration.ofMillis(scale.count(5_000, 50));
    }

    /** How long one allocator measurement lasts: each implementation and width runs twice. */
    static Duration allocatorRun(Scale scale) {
        return Duration.ofMillis(scale.count(2_500, 30));
    }

    @Override
    public Duration estimate(Scale scale) {
        long threadspawnMillis = 2L * WIDTHS.size() * (threadspawnRun(scale).toMillis() + 20);
        long allocatorMillis = (2L * 2 * WIDTHS.size() + 2) * allocatorRun(scale).toMillis();
        return Duration.ofMillis(threadspawnMillis + allocatorMillis + 500);
    }

    // ---- threadspawn -------------------------------------------------------------------------

    /**
     * The line of forkline-threadspawn.
     *
     * @param processes N
     * @param cpus the CPUs the processes were pinned over
     * @param seconds the measured window
     * @param ops threads created and joined by all processes
     * @param opsPerSecond ops over seconds
     * @param cpuSeconds CPU time of the processes and their threads
     */
    record ThreadspawnRun(int processes, int cpus, double seconds, long ops, double opsPerSecond, double cpuSeconds) {
        /** @throws IllegalArgumentException when the line lacks a key or a value is not a number */
        static ThreadspawnRun parse(String output) {
            ProgramRun.KeyValues values = ProgramRun.KeyValues.parse(output.strip());
            ThreadspawnRun run = new ThreadspawnRun(Math.toIntExact(values.longValue("n")), Math.toIntExact(values.longValue("cpus")),
                    values.doubleValue("seconds"), values.longValue("ops"), values.doubleValue("ops_per_sec"),
                    values.doubleValue("cpu_seconds"));
            if (run.processes() <= 0 || run.seconds() <= 0 || run.ops() < 0) {
                throw new IllegalArgumentException("not a measurement: " + values.line());
            }
            return run;
        }
    }

    /** Runs forkline-threadspawn with {@code processes} workers for {@code duration}. */
    static ThreadspawnRun runThreadspawn(Path tool, int processes, Duration duration, Path workDirectory) throws Exception {
        String output = ProgramRun.runToSuccess(List.of(tool.toString(), String.valueOf(processes), String.valueOf(duration.toMillis())),
                null, workDirectory, duration.plusSeconds(30));
        ThreadspawnRun run = ThreadspawnRun.parse(output);
        if (run.processes() != processes) throw new IllegalStateException("asked for " + processes + " processes, got: " + output);
        return run;
    }

    // ---- the allocators ----------------------------------------------------------------------

    /** The allocators compared, each made fresh for every measurement. */
    enum Allocator {
        RANGE("RangeIdAllocator", RangeIdAllocator::new),
        GLOBAL_LOCK("LockedCyclicIdAllocator", () -> new LockedCyclicIdAllocator<>(RangeIdAllocator.DEFAULT_CAPACITY));

        final String label;
        final Supplier<IdAllocator<Object>> factory;

        Allocator(String label, Supplier<IdAllocator<Object>> factory) {
            this.label = label;
            this.factory = factory;
        }
    }

    /**
     * What one allocator measurement found.
     *
     * @param opsPerSecond allocate+free operations per second, over the window from the release to the last thread's stop
     * @param coresUsed the threads' CPU time over that window: the cores they actually had
     */
    record AllocatorRun(double opsPerSecond, double coresUsed) {
        AllocatorRun plus(AllocatorRun other) {
            return new AllocatorRun(opsPerSecond + other.opsPerSecond, coresUsed + other.coresUsed);
        }

        AllocatorRun halved() {
            return new AllocatorRun(opsPerSecond / 2, coresUsed / 2);
        }
    }

    /**
     * Runs {@code threads} platform threads released together, each allocating an id and freeing
     * its oldest live one in a loop until {@code duration} has passed.
     */
    static AllocatorRun measureAllocator(Allocator allocator, int threads, Duration duration) throws Exception {
        java.lang.management.ThreadMXBean cpuClock = java.lang.management.ManagementFactory.getThreadMXBean();
        IdAllocator<Object> ids = allocator.factory.get();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        AtomicLong operations = new AtomicLong();
        AtomicLong cpuNanos = new AtomicLong();
        AtomicLong lastStop = new AtomicLong();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        // Written before go opens, read after each worker's await: the latch orders them.
        long[] deadline = new long[1];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name(THREAD_PREFIX + "alloc-" + t).daemon(true).start(() -> {
                Object value = new Object();
                int[] live = new int[LIVE_IDS_PER_THREAD];
                int oldest = 0;
                long done = 0;
                try {
                    for (int i = 0; i < live.length; i++) live[i] = ids.alloc(value);
                    ready.countDown();
                    go.await();
                    long cpuAtStart = cpuClock.getCurrentThreadCpuTime();
                    long end = deadline[0];
                    long now;
                    while ((now = System.nanoTime()) < end) {
                        for (int i = 0; i < OPERATIONS_PER_CLOCK_READ; i++) {
                            int fresh = ids.alloc(value);
                            ids.free(live[oldest]);
                            live[oldest] = fresh;
                            oldest = oldest + 1 == live.length ? 0 : oldest + 1;
                        }
                        done += OPERATIONS_PER_CLOCK_READ;
                    }
                    cpuNanos.addAndGet(cpuClock.getCurrentThreadCpuTime() - cpuAtStart);
                    operations.addAndGet(done);
                    lastStop.accumulateAndGet(now, Math::max);
                    for (int id : live) ids.free(id);
                } catch (InterruptedException e) {
                    // stopped: the measurement is abandoned
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                    ready.countDown();
                }
            }));
        }
        long released;
        try {
            ready.await();
            released = System.nanoTime();
            deadline[0] = released + duration.toNanos();
            go.countDown();
            for (Thread worker : workers) {
                if (!worker.join(duration.plusSeconds(10))) throw new IllegalStateException(worker.getName() + " did not stop");
            }
        } finally {
            for (Thread worker : workers) worker.interrupt();
            for (Thread worker : workers) worker.join(Duration.ofSeconds(10));
        }
        if (failure.get() != null) throw failure.get();
        long window = lastStop.get() - released;
        return new AllocatorRun(operations.get() / (window / 1e9), cpuNanos.get() / (double) window);
    }

    // ---- the run -----------------------------------------------------------------------------

    @Override
    public ExperimentResult run(LabContext context) throws Exception {
        ExperimentResult.Builder builder = ExperimentResult.builder(this);
        int cores = context.host().cores();
        Duration threadspawnRun = threadspawnRun(context.scale());
        Duration allocatorRun = allocatorRun(context.scale());
        // Each measurement runs twice, the second time in reverse order, so that drift of the
        // machine's load falls on every width alike; the two are pooled.
        List<Integer> order = new ArrayList<>(WIDTHS);
        order.addAll(WIDTHS.reversed());
        int steps = order.size() + 2 * order.size() + 2;
        int step = 0;

        Map<Integer, double[]> threadspawnSums = new LinkedHashMap<>(); // N -> {ops, seconds, cpu seconds}
        int cpus = 0;
        try {
            Path tool = threadspawn.extract();
            try {
                for (int n : order) {
                    context.progress("pid-alloc: threadspawn N=" + n, step++, steps);
                    ThreadspawnRun run = runThreadspawn(tool, n, threadspawnRun, context.workDirectory());
                    cpus = run.cpus();
                    double[] sums = threadspawnSums.computeIfAbsent(n, k -> new double[3]);
                    sums[0] += run.ops();
                    sums[1] += run.seconds();
                    sums[2] += run.cpuSeconds();
                }
            } finally {
                Files.deleteIfExists(tool);
            }
        } catch (SkippedException e) {
            builder.skip("threadspawn (the kernel's pid allocation)", e.needs());
            step += order.size();
        }

        context.progress("pid-alloc: allocators warm-up", step++, steps);
        for (Allocator allocator : Allocator.values()) measureAllocator(allocator, 1, allocatorRun.dividedBy(2));
        step++;
        Map<Allocator, Map<Integer, AllocatorRun>> allocatorSums = new LinkedHashMap<>();
        for (int pass = 0; pass < 2; pass++) {
            List<Allocator> allocators = pass == 0 ? List.of(Allocator.values()) : List.of(Allocator.values()).reversed();
            for (int threads : order.subList(pass * WIDTHS.size(), (pass + 1) * WIDTHS.size())) {
                for (Allocator allocator : allocators) {
                    context.progress("pid-alloc: " + allocator.label + ", " + threads + " threads", step++, steps);
                    AllocatorRun measured = measureAllocator(allocator, threads, allocatorRun);
                    allocatorSums.computeIfAbsent(allocator, a -> new LinkedHashMap<>()).merge(threads, measured, AllocatorRun::plus);
                }
            }
        }
        context.progress("pid-alloc", steps, steps);

        Map<Integer, Double> kernelOps = new LinkedHashMap<>();
        Map<Integer, Double> kernelCores = new LinkedHashMap<>();
        for (int n : WIDTHS) {
            double[] sums = threadspawnSums.get(n);
            if (sums != null) {
                kernelOps.put(n, sums[0] / sums[1]);
                kernelCores.put(n, sums[2] / sums[1]);
            }
        }
        Map<Integer, AllocatorRun> range = averaged(allocatorSums.get(Allocator.RANGE));
        Map<Integer, AllocatorRun> locked = averaged(allocatorSums.get(Allocator.GLOBAL_LOCK));
        Map<Integer, Double> rangeOps = new LinkedHashMap<>();
        Map<Integer, Double> lockedOps = new LinkedHashMap<>();
        Map<Integer, Double> rangeCores = new LinkedHashMap<>();
        for (int width : WIDTHS) {
            rangeOps.put(width, range.get(width).opsPerSecond());
            lockedOps.put(width, locked.get(width).opsPerSecond());
            rangeCores.put(width, range.get(width).coresUsed());
        }

        Finding fix = fixFinding(context.host().kernel());
        builder.measurement("kernel " + context.host().kernel().text(), "has_pidmap_lock_fix",
                context.host().kernel().atLeast(7, 0) ? 1 : 0, "bool", fix);
        if (!kernelOps.isEmpty()) {
            Finding contention = threadspawnFinding(kernelOps, kernelCores, cores);
            ResultTable.Builder table = ResultTable.builder(
                    "threadspawn1 (will-it-scale): N processes each creating and joining one thread in a loop, pinned over "
                            + cpus + " CPUs, 2 x " + threadspawnRun.toMillis() + " ms per N",
                    "N", "ops/s", "scaling vs N=1", "cores used", "note");
            for (Map.Entry<Integer, Double> entry : kernelOps.entrySet()) {
                int n = entry.getKey();
                double scaling = entry.getValue() / kernelOps.get(1);
                table.row(n, ResultTable.number(entry.getValue(), 0), ResultTable.number(scaling, 2) + "x",
                        ResultTable.number(kernelCores.get(n), 2),
                        n > cores ? "oversubscribed: " + n + " processes on " + cores + " cores" : "");
                builder.measurement("threadspawn N=" + n, "throughput", entry.getValue(), "ops/s", contention);
                builder.measurement("threadspawn N=" + n, "scaling", scaling, "x", contention);
                builder.measurement("threadspawn N=" + n, "cores_used", kernelCores.get(n), "cores", contention);
            }
            table.row("seed: " + SEED_PROCESSES, ResultTable.number(SEED_UNPATCHED_OPS, 0) + " -> "
                    + ResultTable.number(SEED_PATCHED_LOW_OPS, 0) + "-" + ResultTable.number(SEED_PATCHED_HIGH_OPS, 0), "-", "-",
                    "before -> after Guzik's fix (Linux 7.0)");
            builder.table(table.build());
            builder.chart(new Chart("E3: threadspawn1, threads created and joined per second, by processes", "processes", "ops/s",
                    kernelOps.keySet().stream().map(n -> "N=" + n).toList(),
                    List.of(new Chart.Series("threadspawn1", List.copyOf(kernelOps.values()))), false));
            builder.finding(contention);
        }
        builder.finding(fix);

        Finding ranges = allocatorFinding(rangeOps, lockedOps, rangeCores, cores);
        ResultTable.Builder table = ResultTable.builder("user space: allocate an id and free the oldest of " + LIVE_IDS_PER_THREAD
                + " live ones per thread, 2 x " + allocatorRun.toMillis() + " ms per cell", "threads", Allocator.RANGE.label,
                Allocator.GLOBAL_LOCK.label, "ratio", "cores used", "note");
        for (int threads : WIDTHS) {
            double rangeRate = rangeOps.get(threads);
            double lockedRate = lockedOps.get(threads);
            table.row(threads, ResultTable.number(rangeRate, 0), ResultTable.number(lockedRate, 0),
                    ResultTable.number(rangeRate / lockedRate, 2) + "x",
                    ResultTable.number(rangeCores.get(threads), 2) + " / " + ResultTable.number(locked.get(threads).coresUsed(), 2),
                    threads > cores ? "oversubscribed: " + threads + " threads on " + cores + " cores" : "");
            builder.measurement(Allocator.RANGE.label + ", " + threads + " threads", "throughput", rangeRate, "ops/s", ranges);
            builder.measurement(Allocator.GLOBAL_LOCK.label + ", " + threads + " threads", "throughput", lockedRate, "ops/s", ranges);
            builder.measurement(Allocator.RANGE.label + ", " + threads + " threads", "cores_used", rangeCores.get(threads), "cores", ranges);
            builder.measurement(Allocator.GLOBAL_LOCK.label + ", " + threads + " threads", "cores_used", locked.get(threads).coresUsed(),
                    "cores", ranges);
        }
        builder.table(table.build());
        builder.chart(new Chart("E3: id allocation in user space, allocate+free per second, by threads", "threads", "ops/s",
                WIDTHS.stream().map(t -> t + (t == 1 ? " thread" : " threads")).toList(),
                List.of(new Chart.Series(Allocator.RANGE.label, WIDTHS.stream().map(rangeOps::get).toList()),
                        new Chart.Series(Allocator.GLOBAL_LOCK.label, WIDTHS.stream().map(lockedOps::get).toList())),
                false));
        builder.finding(ranges);
        builder.note("cores used is CPU time over wall time (threadspawn: of its processes; allocators: RangeIdAllocator / the global"
                + " lock, whose waiters park); below min(N, cores), other work on this machine took the rest");
        builder.note("threadspawn pins process i to the i-th allowed CPU, as will-it-scale does: unpinned, a lone worker's new thread"
                + " wakes on the idle CPU and the loop measures cross-CPU wake-ups, not pid allocation");
        return builder.build();
    }

    private static Map<Integer, AllocatorRun> averaged(Map<Integer, AllocatorRun> sumsOfTwo) {
        Map<Integer, AllocatorRun> out = new LinkedHashMap<>();
        for (int width : WIDTHS) out.put(width, sumsOfTwo.get(width).halved());
        return out;
    }

    // ---- the verdicts ------------------------------------------------------------------------

    /** The largest width measured that does not exceed the cores: where contention could show. */
    static int widestWithinCores(Map<Integer, Double> byWidth, int cores) {
        return byWidth.keySet().stream().filter(w -> w <= cores).max(Integer::compare).orElse(1);
    }

    /**
     * The verdict on "pidmap_lock is the primary bottleneck of parallel thread creation", from
     * threadspawn's ops/s by process count. With fewer than {@link #MIN_CORES_FOR_PID_CONTENTION}
     * CPUs the lock cannot be the limit, so the claim cannot be tested here; nor when other work
     * left the processes less than {@link #MIN_SHARE_OF_CORES} of their cores ({@code coresUsed},
     * CPU over wall time, by process count). Otherwise it holds when the widest run within the
     * cores reaches less than {@link #CONTENDED_EFFICIENCY} of linear scaling.
     */
    static Finding threadspawnFinding(Map<Integer, Double> opsByProcesses, Map<Integer, Double> coresUsed, int cores) {
        String claim = "pidmap_lock is the primary bottleneck when processes create and end threads in parallel";
        String seed = String.format(Locale.ROOT, "%.0fk ops/s at %d processes, unpatched", SEED_UNPATCHED_OPS / 1000, SEED_PROCESSES);
        double single = opsByProcesses.get(1);
        StringBuilder measured = new StringBuilder();
        for (Map.Entry<Integer, Double> entry : opsByProcesses.entrySet()) {
            if (!measured.isEmpty()) measured.append(", ");
            measured.append(String.format(Locale.ROOT, "N=%d %.0fk ops/s (%.2fx)", entry.getKey(), entry.getValue() / 1000,
                    entry.getValue() / single));
        }
        int widest = widestWithinCores(opsByProcesses, cores);
        double scaling = opsByProcesses.get(widest) / single;
        double efficiency = scaling / widest;
        String oversubscribed = opsByProcesses.keySet().stream().filter(n -> n > cores)
                .map(n -> String.format(Locale.ROOT, "; N=%d oversubscribes the %d cores (%.2fx)", n, cores, opsByProcesses.get(n) / single))
                .reduce("", String::concat);
        double used = coresUsed.get(widest);
        if (cores < MIN_CORES_FOR_PID_CONTENTION) {
            return new Finding(claim, seed, measured.toString(), Verdict.NOT_APPLICABLE, String.format(Locale.ROOT,
                    "%d cores: %d processes scale %.2fx of %dx on %.2f cores used, and below %d CPUs pidmap_lock is free most of the time; the seed's contention is at %d%s",
                    cores, widest, scaling, widest, used, MIN_CORES_FOR_PID_CONTENTION, SEED_PROCESSES, oversubscribed));
        }
        if (used < MIN_SHARE_OF_CORES * widest) {
            return new Finding(claim, seed, measured.toString(), Verdict.NOT_APPLICABLE, String.format(Locale.ROOT,
                    "other work on this machine left the %d processes %.2f cores (below %.2f): they did not all run at once%s",
                    widest, used, MIN_SHARE_OF_CORES * widest, oversubscribed));
        }
        if (efficiency < CONTENDED_EFFICIENCY) {
            return new Finding(claim, seed, measured.toString(), Verdict.HOLDS, String.format(Locale.ROOT,
                    "%d processes reach %.0f%% of linear scaling (below %.0f%%): a shared point serializes thread creation%s",
                    widest, efficiency * 100, CONTENDED_EFFICIENCY * 100, oversubscribed));
        }
        return new Finding(claim, seed, measured.toString(), Verdict.DOES_NOT_HOLD, String.format(Locale.ROOT,
                "%d processes reach %.0f%% of linear scaling (at least %.0f%%): nothing shared limits them at this width%s",
                widest, efficiency * 100, CONTENDED_EFFICIENCY * 100, oversubscribed));
    }

    /**
     * Whether this kernel has Guzik's fix. Without a pre-7.0 and a 7.0 kernel on the same host
     * there is no before and after to compare, so this is never more than a fact about the kernel.
     */
    static Finding fixFinding(KernelRelease kernel) {
        String claim = "alloc_pid taking pidmap_lock once (Guzik, in Linux 7.0) gains at least 10%";
        String seed = String.format(Locale.ROOT, "%.0fk -> %.0f-%.0fk ops/s at %d processes", SEED_UNPATCHED_OPS / 1000,
                SEED_PATCHED_LOW_OPS / 1000, SEED_PATCHED_HIGH_OPS / 1000, SEED_PROCESSES);
        if (kernel.atLeast(7, 0)) {
            return new Finding(claim, seed, "kernel " + kernel.text() + " has the fix", Verdict.NOT_APPLICABLE,
                    "the unpatched baseline would need a pre-7.0 kernel on this same host");
        }
        return new Finding(claim, seed, "kernel " + kernel.text() + " is not known to have the fix", Verdict.NOT_APPLICABLE,
                "it predates 7.0 (a distribution may have backported the fix); a before and after needs both kernels on one host");
    }

    /**
     * The verdict on "per-CPU id ranges scale where one global lock does not", from the two
     * allocators' ops/s by thread count: it holds when RangeIdAllocator beats the global lock by
     * at least {@link #MIN_ADVANTAGE} at the widest thread count within the cores. One core
     * never runs two allocating threads at once, so there it cannot be tested; nor when other work
     * left RangeIdAllocator's threads (which never park) less than {@link #MIN_SHARE_OF_CORES} of
     * their cores. The global lock's threads are not the measure of that: its waiters park.
     */
    static Finding allocatorFinding(Map<Integer, Double> rangeOps, Map<Integer, Double> lockedOps, Map<Integer, Double> rangeCoresUsed,
            int cores) {
        String claim = "ids from per-CPU ranges (Guzik's sketch) scale where one global lock does not";
        String seed = "most allocations take only their CPU's range lock (a sketch, no number)";
        int widest = widestWithinCores(rangeOps, cores);
        double ratio = rangeOps.get(widest) / lockedOps.get(widest);
        String measured = String.format(Locale.ROOT, "%d threads: %.1fM vs %.1fM ops/s (%.2fx); 1 thread %.2fx",
                widest, rangeOps.get(widest) / 1e6, lockedOps.get(widest) / 1e6, ratio, rangeOps.get(1) / lockedOps.get(1));
        String oversubscribed = rangeOps.keySet().stream().filter(t -> t > cores)
                .map(t -> String.format(Locale.ROOT, "; %d threads oversubscribe the %d cores (%.2fx)", t, cores,
                        rangeOps.get(t) / lockedOps.get(t)))
                .reduce("", String::concat);
        if (cores < 2) {
            return new Finding(claim, seed, measured, Verdict.NOT_APPLICABLE,
                    "1 core: two threads never allocate at the same moment, so no lock is contended");
        }
        double used = rangeCoresUsed.get(widest);
        if (used < MIN_SHARE_OF_CORES * widest) {
            return new Finding(claim, seed, measured, Verdict.NOT_APPLICABLE, String.format(Locale.ROOT,
                    "other work on this machine left the %d threads %.2f cores (below %.2f): they seldom allocated at the same moment%s",
                    widest, used, MIN_SHARE_OF_CORES * widest, oversubscribed));
        }
        if (ratio >= MIN_ADVANTAGE) {
            return new Finding(claim, seed, measured, Verdict.HOLDS, String.format(Locale.ROOT,
                    "at %d threads the ranges allocate %.2fx as fast as the global lock (at least %.2fx)%s", widest, ratio, MIN_ADVANTAGE,
                    oversubscribed));
        }
        return new Finding(claim, seed, measured, Verdict.DOES_NOT_HOLD, String.format(Locale.ROOT,
                "at %d threads the ranges allocate only %.2fx as fast as the global lock (below %.2fx)%s", widest, ratio, MIN_ADVANTAGE,
                oversubscribed));
    }
}
