package io.forkline.lab;

import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.concurrent.XorLock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * E1, seed 002: the fork lock. Go's {@code syscall.ForkLock} before 1.21 is an RWMutex that every
 * fork takes for writing, so that no fd is created without close-on-exec while a child is being
 * forked; it also makes concurrent forks wait for each other. The seed measured 50 concurrent
 * forks at up to 100 ms behind it and 20 ms with an either-or lock (forks share it, fd creation
 * excludes them).
 *
 * <p>Here 50 platform threads are released together by a barrier, each makes one spawn request
 * (take the variant's lock in the spawn kind, spawn /bin/true through one shared forkline
 * {@link Launcher}, release the lock, then wait for the child outside it), and that is repeated
 * for a number of rounds. The start latency runs from the barrier's release to the spawn
 * returning, so it holds the wait for the lock. Every forkline variant runs beside the same
 * background load, a few threads that take the lock in the fd kind and open and close /dev/null,
 * paced, for the whole variant: what Go's ForkLock readers do. The variants differ only in the
 * lock. ProcessBuilder (the JDK) and, when a Go 1.19 toolchain is installed, the seed's own Go
 * program are measured beside them.
 */
public final class ForkLockExperiment implements Experiment {
    /** The seed's concurrency. */
    static final int CONCURRENT_REQUESTS = 50;
    /** Threads of the background fd load: a few, as a server's fd-creating goroutines would be. */
    static final int FD_LOAD_THREADS = 2;
    /**
     * The pause between two fd opens of one load thread. Unpaced, two threads opening /dev/null
     * would take a whole core of this 2-core machine from the spawns and make every variant a
     * measure of the CPU left over; paced, they open some thousands of fds a second, a load
     * that stays the same for every lock.
     */
    static final Duration FD_LOAD_PAUSE = Duration.ofNanos(50_000);
    /** A round of 50 spawns of /bin/true takes tens of milliseconds; a minute means something hangs. */
    static final Duration ROUND_TIMEOUT = Duration.ofSeconds(60);
    static final String SPAWNED = "/bin/true";
    /** Rounds spawned and discarded before the first variant. */
    static final int WARMUP_ROUNDS = 5;

    /** The seed's numbers: the slowest of 50 concurrent forks, before and after the either-or lock. */
    static final double SEED_SERIALIZED_MAX_MS = 100;
    static final double SEED_EITHER_OR_MAX_MS = 20;

    /**
     * The smallest gain in the slowest start of a round that this lab reads as a gain. On a shared
     * 2-core machine the median round maximum of one variant moves by 10-20% from run to run
     * (other builds, the JIT, the scheduler); a ratio below 1.25 cannot be told from that.
     */
    static final double MIN_GAIN = 1.25;

    static final String GO_PART = "Go 1.19's ForkLock";
    static final String GO_NEEDS = "golang-1.19 (scripts/toolchains.sh lab)";
    /** Debian's golang-1.19 puts its toolchain here; it is not on the PATH. */
    static final Path DEBIAN_GO_1_19 = Path.of("/usr/lib/go-1.19/bin/go");
    static final Duration GO_BUILD_TIMEOUT = Duration.ofMinutes(3);
    static final Duration GO_RUN_TIMEOUT = Duration.ofMinutes(2);

    /** Names every thread this experiment starts, so that a test can see none is left. */
    static final String THREAD_PREFIX = "lab-e1-";

    private final GoLookup goLookup;

    public ForkLockExperiment() {
        this(ForkLockExperiment::findGo);
    }

    /** @param goLookup finds a Go toolchain whose ForkLock serializes forks; tests make it find none */
    ForkLockExperiment(GoLookup goLookup) {
        this.goLookup = goLookup;
    }

    @Override
    public String id() {
        return "E1";
    }

    @Override
    public String name() {
        return "fork-lock";
    }

    @Override
    public String title() {
        return "The fork lock: 50 concurrent spawns behind a global lock, an either-or lock, and none (seed 002)";
    }

    /** Rounds of 50 requests per variant: a full run's 150 rounds are 7500 spawns per variant. */
    static int rounds(Scale scale) {
        return scale.count(150, 2);
    }

    @Override
    public Duration estimate(Scale scale) {
        // Measured on the 2-core machine (2026-12-07): a round takes about 90 ms for each forkline
        // variant and Go, 180 ms for ProcessBuilder; each variant has a warm-up round per pass;
        // Go's build and the launcher's start add about 5 s.
        int rounds = rounds(scale);
        long perRoundMillis = 5 * 90 + 180 + 90;
        return Duration.ofMillis(5_000 + (rounds + 2L) * perRoundMillis + (WARMUP_ROUNDS + 1L) * 90);
    }

    // ---- the variants ------------------------------------------------------------------------

    /** The two kinds of critical section of Go's ForkLock, under whatever lock a variant uses. */
    interface KindLock {
        void lockSpawn();

        void unlockSpawn();

        void lockFd();

        void unlockFd();

        KindLock NONE = new KindLock() {
            @Override
            public void lockSpawn() {}

            @Override
            public void unlockSpawn() {}

            @Override
            public void lockFd() {}

            @Override
            public void unlockFd() {}
        };
    }

    /** What a spawn request goes through. */
    enum Variant {
        GLOBAL_MUTEX("global mutex", "spawns and fd opens share one ReentrantLock") {
            @Override
            KindLock newLock() {
                ReentrantLock mutex = new ReentrantLock();
                return new KindLock() {
                    @Override
                    public void lockSpawn() {
                        mutex.lock();
                    }

                    @Override
                    public void unlockSpawn() {
                        mutex.unlock();
                    }

                    @Override
                    public void lockFd() {
                        mutex.lock();
                    }

                    @Override
                    public void unlockFd() {
                        mutex.unlock();
                    }
                };
            }
        },
        RW_SPAWN_WRITES("RW lock, spawn writes", "Go's ForkLock before 1.21: spawn = write, fd = read") {
            @Override
            KindLock newLock() {
                return readWrite(false);
            }
        },
        RW_SPAWN_READS("RW lock, spawn reads", "the seed's swap: spawn = read, fd = write") {
            @Override
            KindLock newLock() {
                return readWrite(true);
            }
        },
        XOR_LOCK("XorLock", "forkline's either-or lock: spawn = kind A, fd = kind B") {
            @Override
            KindLock newLock() {
                XorLock xor = new XorLock();
                return new KindLock() {
                    @Override
                    public void lockSpawn() {
                        xor.acquire(XorLock.Kind.A);
                    }

                    @Override
                    public void unlockSpawn() {
                        xor.release(XorLock.Kind.A);
                    }

                    @Override
                    public void lockFd() {
                        xor.acquire(XorLock.Kind.B);
                    }

                    @Override
                    public void unlockFd() {
                        xor.release(XorLock.Kind.B);
                    }
                };
            }
        },
        NO_LOCK("forkline, no lock", "none: every fd forkline creates is O_CLOEXEC") {
            @Override
            KindLock newLock() {
                return KindLock.NONE;
            }
        },
        PROCESS_BUILDER("ProcessBuilder", "none: the JDK's own spawn (jspawnhelper)") {
            @Override
            KindLock newLock() {
                return KindLock.NONE;
            }
        };

        final String label;
        final String lock;

        Variant(String label, String lock) {
            this.label = label;
            this.lock = lock;
        }

        abstract KindLock newLock();

        private static KindLock readWrite(boolean spawnReads) {
            ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
            java.util.concurrent.locks.Lock spawn = spawnReads ? rw.readLock() : rw.writeLock();
            java.util.concurrent.locks.Lock fd = spawnReads ? rw.writeLock() : rw.readLock();
            return new KindLock() {
                @Override
                public void lockSpawn() {
                    spawn.lock();
                }

                @Override
                public void unlockSpawn() {
                    spawn.unlock();
                }

                @Override
                public void lockFd() {
                    fd.lock();
                }

                @Override
                public void unlockFd() {
                    fd.unlock();
                }
            };
        }
    }

    /**
     * What one variant measured.
     *
     * @param label the variant's name in the tables
     * @param lock what lock it spawns behind
     * @param concurrency requests per round
     * @param latencies start latencies in nanoseconds, round after round ({@code concurrency} each)
     * @param busyNanos the rounds' time, each from its release to its last child's exit
     * @param fdOpens fds the background load opened
     * @param fdLoadNanos how long the background load ran; 0 when there was none
     */
    record VariantResult(String label, String lock, int concurrency, long[] latencies, long busyNanos, long fdOpens,
            long fdLoadNanos) {
        VariantResult {
            if (concurrency <= 0 || latencies.length == 0 || latencies.length % concurrency != 0) {
                throw new IllegalArgumentException(latencies.length + " latencies are not whole rounds of " + concurrency);
            }
            latencies = latencies.clone();
        }

        /** @return both passes of one variant as one result */
        VariantResult plus(VariantResult other) {
            long[] both = Arrays.copyOf(latencies, latencies.length + other.latencies.length);
            System.arraycopy(other.latencies, 0, both, latencies.length, other.latencies.length);
            return new VariantResult(label, lock, concurrency, both, busyNanos + other.busyNanos, fdOpens + other.fdOpens,
                    fdLoadNanos + other.fdLoadNanos);
        }

        int rounds() {
            return latencies.length / concurrency;
        }

        double percentileMillis(double p) {
            long[] sorted = latencies.clone();
            Arrays.sort(sorted);
            return Latencies.percentile(sorted, p) / 1e6;
        }

        double maxMillis() {
            return Arrays.stream(latencies).max().orElseThrow() / 1e6;
        }

        /** The slowest start of each round, the seed's "max latency for 50 concurrent forks"; the median round's. */
        double roundMaxMedianMillis() {
            long[] maxima = new long[rounds()];
            for (int round = 0; round < maxima.length; round++) {
                long max = 0;
                for (int i = 0; i < concurrency; i++) max = Math.max(max, latencies[round * concurrency + i]);
                maxima[round] = max;
            }
            Arrays.sort(maxima);
            return Latencies.percentile(maxima, 50) / 1e6;
        }

        double spawnsPerSecond() {
            return latencies.length / (busyNanos / 1e9);
        }

        /** @return NaN when the variant ran without the background load */
        double fdOpensPerSecond() {
            return fdLoadNanos == 0 ? Double.NaN : fdOpens / (fdLoadNanos / 1e9);
        }
    }

    // ---- the run -----------------------------------------------------------------------------

    @Override
    public ExperimentResult run(LabContext context) throws Exception {
        ExperimentResult.Builder builder = ExperimentResult.builder(this);
        int rounds = rounds(context.scale());
        // Two passes, the second in reverse order, each with half the rounds: drift of the
        // machine's load over the run then falls on every variant alike.
        int firstPass = (rounds + 1) / 2;
        int secondPass = Math.max(1, rounds - firstPass);
        List<Variant> order = List.of(Variant.values());
        Map<Variant, VariantResult> results = new EnumMap<>(Variant.class);
        int step = 0;
        int steps = 2 * order.size() + 1;
        try (Launcher launcher = Launcher.builder().name(THREAD_PREFIX + "launcher").build()) {
            Command command = Command.of(SPAWNED);
            // Warm-up for the whole run, discarded: without it the JIT's first work and the
            // launcher's first spawns fall on the variants that come first (the serialized ones),
            // which a reversed second pass cancels only in part.
            measurePass(Variant.NO_LOCK, launcher, command, Math.min(WARMUP_ROUNDS, rounds));
            for (int pass = 0; pass < 2; pass++) {
                List<Variant> passOrder = pass == 0 ? order : order.reversed();
                for (Variant variant : passOrder) {
                    context.progress("fork-lock: " + variant.label, step++, steps);
                    VariantResult measured = measurePass(variant, launcher, command, pass == 0 ? firstPass : secondPass);
                    results.merge(variant, measured, VariantResult::plus);
                }
            }
        }
        context.progress("fork-lock: Go 1.19", step, steps);
        VariantResult go = null;
        try {
            go = measureGo(context, rounds);
        } catch (SkippedException e) {
            builder.skip(GO_PART, e.needs());
        }
        context.progress("fork-lock", steps, steps);

        VariantResult serialized = results.get(Variant.RW_SPAWN_WRITES);
        VariantResult xor = results.get(Variant.XOR_LOCK);
        VariantResult unlocked = results.get(Variant.NO_LOCK);
        Finding finding = forkLockFinding(serialized.roundMaxMedianMillis(), xor.roundMaxMedianMillis(),
                unlocked.roundMaxMedianMillis(), context.host().cores());

        List<VariantResult> rows = new ArrayList<>(results.values());
        if (go != null) rows.add(go);
        ResultTable.Builder table = ResultTable.builder(
                CONCURRENT_REQUESTS + " concurrent spawn requests of " + SPAWNED + ", " + rounds + " rounds each; start = release to spawn returned",
                "variant", "lock", "p50 ms", "p99 ms", "max ms", "round max ms", "spawns/s", "fd opens/s");
        for (VariantResult row : rows) {
            boolean bearsOnClaim = row == serialized || row == xor || row == unlocked;
            Finding bearing = bearsOnClaim ? finding : null;
            table.row(row.label(), row.lock(), ResultTable.number(row.percentileMillis(50), 2),
                    ResultTable.number(row.percentileMillis(99), 2), ResultTable.number(row.maxMillis(), 2),
                    ResultTable.number(row.roundMaxMedianMillis(), 2), ResultTable.number(row.spawnsPerSecond(), 0),
                    ResultTable.number(row.fdOpensPerSecond(), 0));
            builder.measurement(row.label(), "start_p50", row.percentileMillis(50), "ms", bearing);
            builder.measurement(row.label(), "start_p99", row.percentileMillis(99), "ms", bearing);
            builder.measurement(row.label(), "start_max", row.maxMillis(), "ms", bearing);
            builder.measurement(row.label(), "round_max_median", row.roundMaxMedianMillis(), "ms", bearing);
            builder.measurement(row.label(), "throughput", row.spawnsPerSecond(), "spawns/s");
            if (!Double.isNaN(row.fdOpensPerSecond())) {
                builder.measurement(row.label(), "fd_opens", row.fdOpensPerSecond(), "opens/s");
            }
        }
        table.row("seed 002: Go ForkLock", "RWMutex, fork writes", "-", "-", ResultTable.number(SEED_SERIALIZED_MAX_MS, 0), "-", "-", "-");
        table.row("seed 002: either-or lock", "fork shares, fd excludes", "-", "-", ResultTable.number(SEED_EITHER_OR_MAX_MS, 0), "-", "-", "-");
        builder.table(table.build());
        builder.chart(latencyChart(rows));
        builder.finding(finding);
        builder.note("round max is the slowest start of a round of " + CONCURRENT_REQUESTS
                + " (the seed's \"max latency for 50 concurrent forks\"), the median over the rounds; the verdict compares it for "
                + Variant.RW_SPAWN_WRITES.label + " (Go's ForkLock shape) and " + Variant.XOR_LOCK.label);
        builder.note("every forkline variant and ProcessBuilder ran beside the same fd load: " + FD_LOAD_THREADS
                + " threads opening and closing /dev/null, " + FD_LOAD_PAUSE.toNanos() / 1000
                + " us apart, under the variant's lock in its fd kind (no lock for the last two)");
        if (go != null) {
            builder.note("Go 1.19 ran the seed's program: " + CONCURRENT_REQUESTS
                    + " goroutines, exec.Command(...) with output into a buffer (a pipe per child), Start timed, then Wait");
        }
        return builder.build();
    }

    private static Chart latencyChart(List<VariantResult> rows) {
        List<String> categories = rows.stream().map(VariantResult::label).toList();
        return new Chart("E1: start latency of 50 concurrent spawns, by variant", "variant", "ms", categories, List.of(
                new Chart.Series("p50", rows.stream().map(r -> r.percentileMillis(50)).toList()),
                new Chart.Series("p99", rows.stream().map(r -> r.percentileMillis(99)).toList()),
                new Chart.Series("round max (median)", rows.stream().map(VariantResult::roundMaxMedianMillis).toList())),
                false);
    }

    /**
     * One pass of a variant: a warm-up round, then {@code rounds} measured ones, with the
     * background fd load running throughout.
     */
    static VariantResult measurePass(Variant variant, Launcher launcher, Command command, int rounds) throws Exception {
        KindLock lock = variant.newLock();
        Spawner spawner = variant == Variant.PROCESS_BUILDER ? processBuilderSpawner() : forklineSpawner(launcher, command);
        long[] latencies = new long[rounds * CONCURRENT_REQUESTS];
        long busy = 0;
        FdLoad load = new FdLoad(lock, FD_LOAD_THREADS);
        try (load; Requesters requesters = new Requesters(variant.name().toLowerCase(Locale.ROOT), lock, spawner, latencies)) {
            requesters.runRound(-1); // warm-up: the JIT, the launcher's first spawns; not counted
            for (int round = 0; round < rounds; round++) busy += requesters.runRound(round);
        }
        return new VariantResult(variant.label, variant.lock, CONCURRENT_REQUESTS, latencies, busy, load.opens(), load.ranNanos());
    }

    /** Starts a child and returns how to wait for it. */
    @FunctionalInterface
    interface Spawner {
        Started spawn() throws Exception;
    }

    /** A started child. */
    @FunctionalInterface
    interface Started {
        void awaitExit() throws Exception;
    }

    private static Spawner forklineSpawner(Launcher launcher, Command command) {
        return () -> {
            Child child = launcher.spawn(command);
            return () -> {
                Exit exit = child.waitFor();
                if (!exit.success()) throw new IOException(SPAWNED + " " + exit.describe());
            };
        };
    }

    private static Spawner processBuilderSpawner() {
        ProcessBuilder builder = new ProcessBuilder(SPAWNED).inheritIO();
        return () -> {
            Process process = builder.start();
            return () -> {
                int status = process.waitFor();
                if (status != 0) throw new IOException(SPAWNED + " exited " + status);
            };
        };
    }

    /**
     * The 50 requesting threads of one pass. They meet at a start barrier, whose action stamps
     * the release, make their request, and meet again at an end barrier, whose action stamps the
     * round's end; the coordinating thread is the 51st party of both.
     */
    private static final class Requesters implements AutoCloseable {
        private final KindLock lock;
        private final Spawner spawner;
        private final long[] latencies;
        private final CyclicBarrier start;
        private final CyclicBarrier end;
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicReference<Exception> failure = new AtomicReference<>();
        // Written by the barrier actions and by the coordinator before it reaches a barrier, read
        // by the requesters after it: the barrier orders both.
        private long releaseNanos;
        private long endNanos;
        private int round;

        Requesters(String name, KindLock lock, Spawner spawner, long[] latencies) {
            this.lock = lock;
            this.spawner = spawner;
            this.latencies = latencies;
            this.start = new CyclicBarrier(CONCURRENT_REQUESTS + 1, () -> releaseNanos = System.nanoTime());
            this.end = new CyclicBarrier(CONCURRENT_REQUESTS + 1, () -> endNanos = System.nanoTime());
            for (int i = 0; i < CONCURRENT_REQUESTS; i++) {
                int slot = i;
                threads.add(Thread.ofPlatform().name(THREAD_PREFIX + name + "-" + i).daemon(true).start(() -> requestEachRound(slot)));
            }
        }

        private void requestEachRound(int slot) {
            try {
                for (; ; ) {
                    start.await();
                    try {
                        long returned = request();
                        if (round >= 0) latencies[round * CONCURRENT_REQUESTS + slot] = returned - releaseNanos;
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                    end.await();
                }
            } catch (InterruptedException | BrokenBarrierException e) {
                // close() ends the pass by interrupting the requesters at their barrier
            }
        }

        /** @return when the spawn returned; the child has exited when this returns */
        private long request() throws Exception {
            Started child;
            long returned;
            lock.lockSpawn();
            try {
                child = spawner.spawn();
                returned = System.nanoTime();
            } finally {
                lock.unlockSpawn();
            }
            child.awaitExit();
            return returned;
        }

        /** Runs one round; {@code index} -1 is a warm-up that records nothing. */
        long runRound(int index) throws Exception {
            round = index;
            try {
                start.await(ROUND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                end.await(ROUND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new IOException("a round of " + CONCURRENT_REQUESTS + " spawns of " + SPAWNED + " did not end in "
                        + ROUND_TIMEOUT.toSeconds() + " s", e);
            }
            Exception failed = failure.get();
            if (failed != null) throw failed;
            return endNanos - releaseNanos;
        }

        @Override
        public void close() {
            threads.forEach(Thread::interrupt);
            joinAll(threads);
        }
    }

    /**
     * The background fd load: threads that take the lock in the fd kind, open and close
     * /dev/null, and pause, until closed.
     */
    private static final class FdLoad implements AutoCloseable {
        private static final Path DEV_NULL = Path.of("/dev/null");
        private final List<Thread> threads = new ArrayList<>();
        private final LongAdder opens = new LongAdder();
        private final AtomicReference<IOException> failure = new AtomicReference<>();
        private final long startedNanos = System.nanoTime();
        private volatile boolean stopped;
        private long ranNanos;

        FdLoad(KindLock lock, int count) {
            for (int i = 0; i < count; i++) {
                threads.add(Thread.ofPlatform().name(THREAD_PREFIX + "fd-load-" + i).daemon(true).start(() -> openUntilStopped(lock)));
            }
        }

        private void openUntilStopped(KindLock lock) {
            while (!stopped) {
                lock.lockFd();
                try {
                    FileChannel.open(DEV_NULL).close();
                    opens.increment();
                } catch (IOException e) {
                    failure.compareAndSet(null, e);
                    return;
                } finally {
                    lock.unlockFd();
                }
                LockSupport.parkNanos(FD_LOAD_PAUSE.toNanos());
            }
        }

        long opens() {
            return opens.sum();
        }

        long ranNanos() {
            return ranNanos;
        }

        @Override
        public void close() throws IOException {
            stopped = true;
            joinAll(threads);
            ranNanos = System.nanoTime() - startedNanos;
            IOException failed = failure.get();
            if (failed != null) throw new IOException("the background load's open(/dev/null) failed", failed);
        }
    }

    /**
     * Joins threads this experiment started, each within a bound; one that does not end is a
     * fault. An interrupt does not cut the joins short, since no thread may outlive the
     * experiment: it is kept for the caller.
     */
    private static void joinAll(List<Thread> threads) {
        boolean interrupted = false;
        for (Thread thread : threads) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (thread.isAlive() && System.nanoTime() < deadline) {
                try {
                    thread.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (thread.isAlive()) {
                if (interrupted) Thread.currentThread().interrupt();
                throw new IllegalStateException(thread.getName() + " did not end within 10 s of being stopped");
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    // ---- Go 1.19 -----------------------------------------------------------------------------

    /**
     * A Go toolchain.
     *
     * @param go its {@code go} command
     * @param version what {@code go version} said
     */
    record GoToolchain(Path go, GoVersion version) {}

    /** Finds a Go toolchain whose ForkLock serializes forks. */
    @FunctionalInterface
    interface GoLookup {
        Optional<GoToolchain> find() throws InterruptedException;
    }

    /**
     * A Go release as {@code go version} names it ("go version go1.19.8 linux/amd64").
     *
     * @param major 1
     * @param minor 19
     * @param text "go1.19.8"
     */
    record GoVersion(int major, int minor, String text) {
        private static final Pattern GO_VERSION = Pattern.compile("\\bgo(\\d+)\\.(\\d+)(\\.\\d+)?\\b");

        static Optional<GoVersion> parse(String goVersionOutput) {
            Matcher m = GO_VERSION.matcher(goVersionOutput);
            if (!m.find()) return Optional.empty();
            return Optional.of(new GoVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), m.group()));
        }

        /**
         * Go before 1.21 takes ForkLock for writing around every fork (1.21 made it the either-or
         * lock, syscall/forkpipe2.go); from 1.9 it forks with CLONE_VFORK|CLONE_VM, as forkline
         * does, so that the lock, not the copy of the page tables, is what differs.
         */
        boolean forkLockSerializesForks() {
            return major == 1 && minor >= 9 && minor <= 20;
        }
    }

    /** Debian's golang-1.19 first, then a {@code go} on the PATH if it is old enough. */
    static Optional<GoToolchain> findGo() throws InterruptedException {
        List<Path> candidates = new ArrayList<>(List.of(DEBIAN_GO_1_19));
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) candidates.add(Path.of(dir, "go"));
        }
        for (Path go : candidates) {
            if (!Files.isExecutable(go)) continue;
            try {
                Path scratch = Files.createTempDirectory("forkline-lab-go-version-");
                try {
                    ProgramRun.Output version = ProgramRun.run(List.of(go.toString(), "version"), goEnvironment(scratch), scratch,
                            Duration.ofSeconds(30));
                    Optional<GoVersion> parsed = GoVersion.parse(version.stdout());
                    if (version.exitCode() == 0 && parsed.isPresent() && parsed.get().forkLockSerializesForks()) {
                        return Optional.of(new GoToolchain(go, parsed.get()));
                    }
                } finally {
                    Lab.deleteTree(scratch);
                }
            } catch (IOException e) {
                // this candidate cannot answer `go version`: look at the next one
            }
        }
        return Optional.empty();
    }

    /** Go's caches and module path inside {@code root}, and nothing of the user's Go settings. */
    static Map<String, String> goEnvironment(Path root) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        environment.put("HOME", root.toString());
        environment.put("GOCACHE", root.resolve("cache").toString());
        environment.put("GOPATH", root.resolve("gopath").toString());
        environment.put("GOENV", "off");
        environment.put("GOFLAGS", "");
        // A static binary that needs no C compiler to build.
        environment.put("CGO_ENABLED", "0");
        return environment;
    }

    /**
     * Builds seed 002's program with a Go whose ForkLock serializes forks and runs it: 50
     * goroutines released together, {@code rounds} rounds after one warm-up.
     *
     * @throws SkippedException when no such Go is installed, or its build fails
     */
    VariantResult measureGo(LabContext context, int rounds) throws SkippedException, IOException, InterruptedException {
        GoToolchain toolchain = goLookup.find().orElseThrow(() -> new SkippedException(GO_NEEDS));
        Path root = Files.createDirectories(context.workDirectory().resolve("go"));
        Path source = root.resolve("forklock.go");
        try (InputStream in = ForkLockExperiment.class.getResourceAsStream("forklock.go")) {
            if (in == null) throw new IOException("forklock.go is not among the lab's resources");
            Files.copy(in, source);
        }
        Path binary = root.resolve("forklock");
        Map<String, String> environment = goEnvironment(root);
        ProgramRun.Output build = ProgramRun.run(List.of(toolchain.go().toString(), "build", "-o", binary.toString(), source.toString()),
                environment, root, GO_BUILD_TIMEOUT);
        if (build.exitCode() != 0) {
            String firstLine = build.stderr().strip().lines().findFirst().orElse("exit status " + build.exitCode());
            throw new SkippedException("a working Go toolchain (" + toolchain.go() + " build failed: " + firstLine + ")");
        }
        String output = ProgramRun.runToSuccess(List.of(binary.toString(), String.valueOf(CONCURRENT_REQUESTS), String.valueOf(rounds),
                "1", SPAWNED), environment, root, GO_RUN_TIMEOUT);
        return parseGoOutput(output, toolchain.version());
    }

    /** Parses the line of forklock.go. */
    static VariantResult parseGoOutput(String output, GoVersion version) {
        ProgramRun.KeyValues values = ProgramRun.KeyValues.parse(output.strip().lines().reduce((first, last) -> last).orElse(""));
        int goroutines = Math.toIntExact(values.longValue("goroutines"));
        long rounds = values.longValue("rounds");
        long[] latencies = values.longs("latencies_ns");
        if (latencies.length != goroutines * rounds) {
            throw new IllegalArgumentException(latencies.length + " latencies for " + rounds + " rounds of " + goroutines + " in: " + values.line());
        }
        return new VariantResult("Go " + version.text().substring(2) + " exec.Command", "syscall.ForkLock: RWMutex, fork writes",
                goroutines, latencies, values.longValue("busy_ns"), 0, 0);
    }

    // ---- the verdict -------------------------------------------------------------------------

    /**
     * The verdict on the seed's claim, from the median round maximum (ms) behind Go's ForkLock
     * shape, behind XorLock, and with no lock at all.
     *
     * <p>No lock is the ceiling of what any lock can give. The work a spawn does under the lock
     * (clone3, the child's exec, the child itself) is CPU work, so without the lock at most
     * {@code cores} spawns make progress at once: on this 2-core machine the gain is bounded by
     * about 2, whatever the lock. When even no lock gains less than {@link #MIN_GAIN}, the host
     * cannot show the claim: not applicable. Otherwise the claim holds if XorLock gains at least
     * {@link #MIN_GAIN}, and does not hold if it gains less while no lock shows that a gain was
     * there to take.
     */
    static Finding forkLockFinding(double serializedMs, double xorMs, double unlockedMs, int cores) {
        String claim = "a global fork lock makes 50 concurrent forks take up to 100 ms; the either-or lock brings that to 20 ms";
        String seed = String.format(Locale.ROOT, "%.0f ms -> %.0f ms (%.1fx)", SEED_SERIALIZED_MAX_MS, SEED_EITHER_OR_MAX_MS,
                SEED_SERIALIZED_MAX_MS / SEED_EITHER_OR_MAX_MS);
        double gain = serializedMs / xorMs;
        double ceiling = serializedMs / unlockedMs;
        String measured = String.format(Locale.ROOT, "%.1f ms -> %.1f ms (%.2fx; no lock %.1f ms, %.2fx), slowest start per round",
                serializedMs, xorMs, gain, unlockedMs, ceiling);
        String coresBound = cores < SEED_SERIALIZED_MAX_MS / SEED_EITHER_OR_MAX_MS
                ? String.format(Locale.ROOT, "; %d cores let at most %d spawns run at once, so the seed's %.0fx needs more cores", cores,
                        cores, SEED_SERIALIZED_MAX_MS / SEED_EITHER_OR_MAX_MS)
                : "";
        if (ceiling < MIN_GAIN) {
            return new Finding(claim, seed, measured, Verdict.NOT_APPLICABLE, String.format(Locale.ROOT,
                    "%d cores: even with no lock the slowest of %d starts comes only %.2fx sooner (below %.2fx): the spawns and their children already saturate the CPUs, so no lock can show a gain here",
                    cores, CONCURRENT_REQUESTS, ceiling, MIN_GAIN));
        }
        if (gain >= MIN_GAIN) {
            return new Finding(claim, seed, measured, Verdict.HOLDS, String.format(Locale.ROOT,
                    "behind XorLock spawns run together: %.2fx of the %.2fx that no lock gives%s", gain, ceiling, coresBound));
        }
        return new Finding(claim, seed, measured, Verdict.DOES_NOT_HOLD, String.format(Locale.ROOT,
                "XorLock gains %.2fx (below %.2fx) where no lock gains %.2fx: its fd phases keep the spawns apart", gain, MIN_GAIN, ceiling));
    }
}
