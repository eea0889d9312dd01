package io.forkline.parallel;

import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.ShutdownPolicy;
import io.forkline.SpawnException;
import io.forkline.Stdio;
import io.forkline.cgroup.CgroupException;
import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.CgroupRoot;
import io.forkline.cgroup.CgroupSyscallException;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.InvalidLimitException;
import io.forkline.cgroup.Limits;
import io.forkline.cgroup.SkippedLimit;
import io.forkline.cgroup.Stats;
import io.forkline.sys.SyscallException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a job list in GNU parallel's manner on forkline's launcher: the jobs of a
 * {@link CommandTemplate} over {@link JobInputs}, at most {@code jobs} at a time, each exec'd
 * from its argv (no shell unless asked), each in a process group of its own, and, with limits,
 * in a cgroup of its own from a {@link CgroupPool}.
 *
 * <h2>Threads</h2>
 * A {@code JobSource} thread reads the inputs a few jobs ahead (other shards' jobs and those a
 * resume skips are dropped there), so the input is read no faster than jobs run, a streamed
 * input costs bounded memory, and a run told to stop does not wait for input that may never
 * come. Each job slot is a worker thread that takes the next job, spawns it, waits for its exit
 * on the child's own pidfd (reaping it itself, as {@link Child#waitFor()} does on a platform
 * thread), tries it again if it failed and may, and then finishes it under the run's lock:
 * counters, joblog line, results, printing in turn, halt. A job's end and the next job's start
 * are on one thread, with no hand-off between threads, which is what lets a runner in a JVM keep
 * up with xargs. With more slots than {@value #PLATFORM_WORKERS}, workers are virtual threads.
 * Nothing per job outlives the job but its counters, so the heap does not grow with the input.
 *
 * <h2>Output</h2>
 * Grouped output goes to two files in the run's spool directory, which the child writes
 * straight into and which are printed when the job finishes: no pipe, no event-loop work, and no
 * heap whatever a job writes. The files are used again by later jobs once nothing can write to
 * them ({@link SpoolFiles}). Line output goes through pipes and the launcher's
 * event loop ({@link JobOutput}), held while keep-order waits for an earlier job.
 *
 * <h2>Stopping</h2>
 * {@link #stopStarting} (the first Ctrl-C, a {@code soon} halt) lets the running jobs finish;
 * {@link #killRunning} (the second, a {@code now} halt) kills them, through cgroup.kill where
 * they have a cgroup, else their process group. Either way {@link #run} returns only when no job
 * is left, and leaves no cgroup behind: the pool's groups are removed when it ends.
 */
public final class ParallelRunner {
    private static final System.Logger LOG = System.getLogger(ParallelRunner.class.getName());
    /** How far keep-order lets jobs run ahead of the oldest one not yet printed. */
    static final int KEEP_ORDER_WINDOW = 1024;
    /** Heap for held line output across all jobs (keep-order); beyond it, held output spills to files. */
    static final long OUTPUT_MEMORY_BUDGET = 16L << 20;
    /** The cap for {@code -j 0}: as many as possible, within the fd limit, up to this. */
    public static final int MAX_SLOTS = 1024;
    /** Up to this many slots, workers are platform threads, which wait on a child's pidfd themselves. */
    static final int PLATFORM_WORKERS = 64;
    /** The subtree, under the host's cgroup2 mount, that holds the runs' per-job cgroups. */
    public static final String DEFAULT_CGROUP_ROOT = "forkline-parallel";

    /** What the joblog already holds that a run may skip. */
    public enum Resume {
        /** Run every job; the joblog is written anew. */
        NONE,
        /** Skip every job the joblog has ({@code --resume}). */
        ALL,
        /** Skip the jobs the joblog has as succeeded; run the failed ones again ({@code --resume-failed}). */
        FAILED
    }

    private final Builder settings;
    private final AtomicBoolean ran = new AtomicBoolean();
    /** Guards the finishing of jobs (counters, joblog, printing, the listener) and keep-order's state. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition printed = lock.newCondition();
    /** Guarded by lock: the order number of the oldest job not yet printed (keep-order). */
    private long nextToPrint;
    /** Guarded by lock: finished jobs waiting for their turn to print (keep-order). */
    private final Map<Long, Job> waitingToPrint = new HashMap<>();
    /** Guarded by lock: the line outputs of running jobs by order number, to go live in turn (keep-order lines). */
    private final Map<Long, JobOutput> outputsByOrder = new HashMap<>();
    private volatile String stopReason;
    private volatile boolean errorStop;
    private volatile String killReason;
    private final Map<Job, Child> live = new ConcurrentHashMap<>();
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicInteger runningCount = new AtomicInteger();
    private volatile long firstStartNanos;
    private volatile long knownTotal = -1;

    // Guarded by lock.
    private final LogHistogram wallMicros = new LogHistogram();
    private final LogHistogram cpuMicros = new LogHistogram();
    private final LogHistogram memoryBytes = new LogHistogram();
    private final PriorityQueue<RunSummary.Top> topMemory = new PriorityQueue<>(Comparator.comparingLong(RunSummary.Top::value));
    private final PriorityQueue<RunSummary.Top> topCpu = new PriorityQueue<>(Comparator.comparingLong(RunSummary.Top::value));
    private final List<JobResult> firstFailures = new ArrayList<>();
    private final JvmHighWater jvmHighWater = new JvmHighWater();
    private long succeeded;
    private long timedOut;
    private long oomKilled;
    private long withStrays;
    private JobResult haltingJob;
    private volatile boolean halted;
    private long lastFinishNanos;

    // Set up by run().
    private Launcher launcher;
    private Joblog joblog;
    private ResultsDirectory results;
    private Path spoolDirectory;
    private SpoolFiles spoolFiles;
    private Spool.Budget outputBudget;
    private OutputSink stdout;
    private OutputSink stderr;
    private Limits jobLimits;
    private List<SkippedLimit> skippedLimits = List.of();

    private ParallelRunner(Builder settings) {
        this.settings = settings;
    }

    /** @return settings for a run of {@code template} */
    public static Builder builder(CommandTemplate template) {
        return new Builder(template);
    }

    /** A run's settings; {@link #build()} checks them. */
    public static final class Builder {
        private final CommandTemplate template;
        private List<InputSource> inputs = List.of();
        private int jobs = Runtime.getRuntime().availableProcessors();
        private Duration timeout;
        private Duration killGrace = Duration.ofSeconds(2);
        private int tries = 1;
        private HaltPolicy halt = HaltPolicy.NEVER;
        private boolean keepOrder;
        private OutputMode output = OutputMode.GROUPED;
        private boolean tag;
        private Path resultsDirectory;
        private Path joblogPath;
        private boolean appendJoblog;
        private Resume resume = Resume.NONE;
        private Limits limits;
        private boolean bestEffortLimits;
        private Shard shard = Shard.ALL;
        private boolean dryRun;
        private OutputStream stdoutStream = System.out;
        private OutputStream stderrStream = System.err;
        private RunListener listener = new RunListener() {};
        private Map<String, String> environment = Map.of();
        private String cgroupRoot = DEFAULT_CGROUP_ROOT;

        private Builder(CommandTemplate template) {
            this.template = Objects.requireNonNull(template, "template");
        }

        /** The input sources; none means standard input. */
        public Builder inputs(List<InputSource> sources) {
            this.inputs = List.copyOf(sources);
            return this;
        }

        /** At most this many jobs at once (the job slots), 1 or more. */
        public Builder jobs(int slots) {
            if (slots < 1) throw new IllegalArgumentException("jobs must be at least 1, got " + slots);
            this.jobs = slots;
            return this;
        }

        /** Each try gets SIGTERM after this long, then SIGKILL after the kill grace (cgroup.kill with a cgroup). */
        public Builder timeout(Duration limit) {
            if (limit != null && (limit.isNegative() || limit.isZero())) throw new IllegalArgumentException("timeout must be positive, got " + limit);
            this.timeout = limit;
            return this;
        }

        /** Between SIGTERM and SIGKILL for a job that timed out; default 2 s. */
        public Builder killGrace(Duration grace) {
            if (grace.isNegative()) throw new IllegalArgumentException("kill grace must be >= 0, got " + grace);
            this.killGrace = grace;
            return this;
        }

        /** A failing job is tried up to this many times in all (GNU parallel's {@code --retries}); 0 means until it succeeds. */
        public Builder tries(int count) {
            if (count < 0) throw new IllegalArgumentException("retries must be >= 0, got " + count);
            this.tries = count == 0 ? Integer.MAX_VALUE : count;
            return this;
        }

        /** When to stop early. */
        public Builder halt(HaltPolicy policy) {
            this.halt = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Print jobs' output in input order, not as they finish. */
        public Builder keepOrder(boolean keep) {
            this.keepOrder = keep;
            return this;
        }

        /** How output is printed. */
        public Builder output(OutputMode mode) {
            this.output = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Start every output line with the job's input values and a tab. */
        public Builder tag(boolean tagLines) {
            this.tag = tagLines;
            return this;
        }

        /** Keep each job's stdout, stderr, seq and exit status under this directory, in GNU parallel's layout. */
        public Builder results(Path directory) {
            this.resultsDirectory = directory;
            return this;
        }

        /** Write a joblog line per finished job to this file; appended to when {@code append}, else truncated. */
        public Builder joblog(Path path, boolean append) {
            this.joblogPath = path;
            this.appendJoblog = append;
            return this;
        }

        /** Skip what the joblog says ran; the joblog is then appended to. */
        public Builder resume(Resume mode) {
            this.resume = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Run every job in a cgroup of its own with these limits ({@link Limits#NONE} for a group
         * with accounting and tree kill only), or none with null.
         *
         * @param bestEffort whether limits the host cannot apply are skipped (and reported) instead of refused
         */
        public Builder limits(Limits perJob, boolean bestEffort) {
            this.limits = perJob;
            this.bestEffortLimits = bestEffort;
            return this;
        }

        /**
         * The subtree for the per-job cgroups (default {@value #DEFAULT_CGROUP_ROOT}), shared by
         * the runs on a host: each run's pool sweeps the groups of runs that crashed, and the last
         * run out removes the subtree.
         */
        public Builder cgroupRoot(String name) {
            this.cgroupRoot = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Run only this shard's jobs. */
        public Builder shard(Shard part) {
            this.shard = Objects.requireNonNull(part, "part");
            return this;
        }

        /** Print the jobs' commands to stdout instead of running them. */
        public Builder dryRun(boolean printOnly) {
            this.dryRun = printOnly;
            return this;
        }

        /** Where jobs' stdout and stderr go; default System.out and System.err. */
        public Builder outputStreams(OutputStream out, OutputStream err) {
            this.stdoutStream = Objects.requireNonNull(out, "out");
            this.stderrStream = Objects.requireNonNull(err, "err");
            return this;
        }

        /** Who hears about finished jobs. */
        public Builder listener(RunListener runListener) {
            this.listener = Objects.requireNonNull(runListener, "runListener");
            return this;
        }

        /** Extra environment for every job. */
        public Builder environment(Map<String, String> variables) {
            this.environment = Map.copyOf(variables);
            return this;
        }

        /**
         * @return the runner
         * @throws JobSpecException when the settings do not go together
         */
        public ParallelRunner build() throws JobSpecException {
            if (resume != Resume.NONE && joblogPath == null) {
                throw new JobSpecException("--resume and --resume-failed read the joblog: give --joblog FILE");
            }
            return new ParallelRunner(this);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Control from other threads (signal handlers).

    /**
     * Starts no more jobs; the running ones finish (and may still be retried, unless the run was
     * interrupted). Idempotent: the first reason given stays.
     */
    public void stopStarting(String why) {
        boolean first;
        lock.lock();
        try {
            first = stopReason == null;
            if (first) stopReason = why;
            printed.signalAll();
        } finally {
            lock.unlock();
        }
        if (first) settings.listener.stopping(why);
    }

    /** Stops starting jobs and kills the running ones: their cgroup where they have one, else their process group. */
    public void killRunning(String why) {
        stopStarting(why);
        if (killReason == null) killReason = why;
        for (Child child : live.values()) kill(child);
    }

    private static void kill(Child child) {
        try {
            child.killTree();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot kill pid " + child.pid(), e);
        }
    }

    /** @return the counters now */
    public Progress progress() {
        long first = firstStartNanos;
        return new Progress(started.get(), runningCount.get(), finished.get(), failed.get(), retries.get(), skipped.get(),
                knownTotal, first == 0 ? 0 : System.nanoTime() - first);
    }

    // ---------------------------------------------------------------------------------------
    // The run.

    /**
     * Runs the jobs and returns when every started job has finished. A runner runs once.
     *
     * @return what the run did
     * @throws JobSpecException when the inputs do not fit the template or the joblog belongs to
     *     another command, found before any job started
     * @throws IOException when an input file, the joblog or the results directory cannot be used,
     *     found before any job started
     * @throws CgroupException when the per-job cgroups cannot be set up, or a limit cannot be
     *     applied here (and the limits are not best-effort), before any job started
     * @throws SyscallException when the launcher cannot be created
     */
    public RunSummary run() throws JobSpecException, IOException, CgroupException, SyscallException {
        if (ran.getAndSet(true)) throw new IllegalStateException("a runner runs once; build another for another run");
        Builder s = settings;
        JoblogHistory history = s.resume == Resume.NONE ? JoblogHistory.EMPTY : JoblogHistory.read(s.joblogPath);
        try (JobInputs inputs = JobInputs.open(s.inputs)) {
            if (history.finishedCount() == 0 && inputs.knownTotal() >= 0) knownTotal = s.shard.jobsOf(inputs.knownTotal());
            if (s.dryRun) return dryRun(inputs, history);
            CgroupRoot root = null;
            CgroupPool pool = null;
            try {
                if (s.limits != null) {
                    root = CgroupRoot.forThisHost(s.cgroupRoot);
                    jobLimits = checkedLimits(root);
                    pool = CgroupPool.builder(root).namePrefix("job").capacity(s.jobs + 2).build();
                }
                if (s.joblogPath != null) joblog = Joblog.open(s.joblogPath, s.appendJoblog || s.resume != Resume.NONE);
                if (s.resultsDirectory != null) results = new ResultsDirectory(s.resultsDirectory);
                spoolDirectory = Files.createTempDirectory("forkline-parallel-" + ProcessHandle.current().pid() + "-");
                outputBudget = new Spool.Budget(OUTPUT_MEMORY_BUDGET, spoolDirectory);
                spoolFiles = new SpoolFiles(spoolDirectory);
                stdout = new OutputSink(s.stdoutStream, true);
                stderr = new OutputSink(s.stderrStream, true);
                Launcher.Builder lb = Launcher.builder().name("forkline-parallel").shutdownPolicy(ShutdownPolicy.KILL);
                if (pool != null) lb.cgroupPool(pool);
                launcher = lb.build();
                try (JobSource source = new JobSource(inputs, history)) {
                    List<Thread> workers = new ArrayList<>();
                    Thread.Builder threads = s.jobs <= PLATFORM_WORKERS ? Thread.ofPlatform().name("forkline-parallel-slot-", 1)
                            : Thread.ofVirtual().name("forkline-parallel-slot-", 1);
                    for (int slot = 1; slot <= s.jobs; slot++) {
                        int mySlot = slot;
                        workers.add(threads.start(() -> work(source, mySlot)));
                    }
                    for (Thread worker : workers) joinUninterruptibly(worker);
                    if (source.fatal != null) throw source.fatal;
                }
                return summary();
            } finally {
                // Whatever happened: no job, group, thread or file is left behind.
                if (launcher != null) launcher.close();
                if (joblog != null) joblog.close();
                if (pool != null) pool.close();
                if (root != null) destroy(root);
                if (spoolDirectory != null) deleteTree(spoolDirectory);
                if (stdout != null) stdout.flush();
                if (stderr != null) stderr.flush();
            }
        }
    }

    /**
     * The per-job limits, checked against the host before any job starts: a limit it cannot
     * apply is refused, or, with best-effort limits, marked optional and reported as skipped.
     */
    private Limits checkedLimits(CgroupRoot root) throws CgroupException {
        Limits asked = settings.limits;
        Limits effective = asked;
        if (settings.bestEffortLimits) {
            Limits.Builder b = Limits.builder();
            asked.values().forEach(b::set);
            b.optional(Controller.values());
            try {
                effective = b.build();
            } catch (InvalidLimitException e) {
                throw new IllegalStateException("limits that were valid became invalid", e);
            }
        }
        skippedLimits = root.check(effective);
        return effective;
    }

    private static void destroy(CgroupRoot root) {
        try {
            root.destroy(Duration.ofSeconds(10));
        } catch (CgroupSyscallException e) {
            // EBUSY: another run's groups are in the shared subtree; the last one out removes it.
            root.close();
        } catch (CgroupException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + root, e);
            root.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            root.close();
        }
    }

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + dir, e);
        }
    }

    private RunSummary dryRun(JobInputs inputs, JoblogHistory history) throws IOException, JobSpecException {
        // Buffered: a dry run of millions of jobs should not cost a write per line.
        OutputSink out = new OutputSink(new java.io.BufferedOutputStream(settings.stdoutStream, 1 << 16), false);
        try (JobSource source = new JobSource(inputs, history)) {
            for (Job job = source.next(); job != null; job = source.next()) {
                int slot = (int) (job.order % settings.jobs) + 1;
                byte[] line = (settings.template.display(job.input, slot) + "\n").getBytes(StandardCharsets.UTF_8);
                out.write(line, 0, line.length);
            }
            if (source.fatal != null) throw source.fatal;
        }
        out.flush();
        if (out.failure() != null) throw new IOException("cannot write the commands: " + out.failure().getMessage(), out.failure());
        return summary();
    }

    /**
     * The jobs to run, in order, read a few ahead on a thread of its own: the inputs of this
     * shard, less what the joblog says needs no run again. With a joblog to resume from, jobs
     * before the first one it records are held back until that one is reached and found to be
     * the same command, so that a joblog of another command stops the run before anything ran.
     */
    private final class JobSource implements AutoCloseable {
        private final java.util.concurrent.BlockingQueue<Object> ahead = new java.util.concurrent.ArrayBlockingQueue<>(64);
        private final Thread reader;
        /** A joblog of another command, found before any job was handed out: run() throws it. */
        volatile JobSpecException fatal;
        private volatile boolean ended;

        JobSource(JobInputs inputs, JoblogHistory history) {
            reader = Thread.ofPlatform().daemon().name("forkline-parallel-input").start(() -> read(inputs, history));
        }

        private void read(JobInputs inputs, JoblogHistory history) {
            boolean resuming = history.finishedCount() > 0;
            boolean verified = !resuming || settings.template.usesSlot();
            List<Job> heldBack = new ArrayList<>();
            long order = 0;
            Object end = Boolean.TRUE;
            try {
                try {
                    for (JobInput input = inputs.next(); input != null; input = inputs.next()) {
                        if (!settings.shard.contains(input.seq())) continue;
                        if (resuming) {
                            boolean skip = skipByResume(history, input, settings.template.display(input, 1));
                            if (input.seq() >= history.lowestSeq()) verified = true;
                            if (skip) continue;
                        }
                        heldBack.add(new Job(input, order++));
                        if (!verified && heldBack.size() < 10_000) continue;
                        verified = true;
                        for (Job job : heldBack) ahead.put(job);
                        heldBack.clear();
                    }
                    for (Job job : heldBack) ahead.put(job);
                } catch (JobSpecException e) {
                    if (order == heldBack.size()) fatal = e;
                    else end = e;
                } catch (IOException e) {
                    end = e;
                }
                ahead.put(end);
            } catch (InterruptedException e) {
                // The run is over and takes no more jobs.
            }
        }

        /** @return the next job, or null at the end of the inputs or when the run stops */
        Job next() {
            while (!ended && stopReason == null) {
                Object next;
                try {
                    next = ahead.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopStarting("interrupt");
                    return null;
                }
                if (next == null) continue; // nothing yet: look again whether the run stops
                if (next instanceof Job job) return job;
                ended = true;
                // Put the end back for the other workers.
                ahead.offer(next);
                if (next instanceof IOException e) {
                    errorStop = true;
                    stopStarting("input error: " + e.getMessage());
                } else if (next instanceof JobSpecException e) {
                    errorStop = true;
                    stopStarting(e.getMessage());
                }
            }
            return null;
        }

        /** Stops the reader: at once when it waits to hand over a job, at its read's end when it is in one. */
        @Override
        public void close() {
            reader.interrupt();
            try {
                reader.join(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether the joblog says job {@code input} needs no run; checks it is the same command. */
    private boolean skipByResume(JoblogHistory history, JobInput input, String command) throws JobSpecException {
        if (!history.finished(input.seq())) return false;
        if (!settings.template.usesSlot()) history.checkSameCommand(input.seq(), command);
        if (settings.resume == Resume.FAILED && history.failed(input.seq())) return false;
        skipped.incrementAndGet();
        return true;
    }

    // ---------------------------------------------------------------------------------------
    // A slot's worker.

    private void work(JobSource source, int slot) {
        for (Job job = source.next(); job != null; job = source.next()) {
            job.slot = slot;
            if (!awaitTurn(job)) return;
            runningCount.incrementAndGet();
            if (started.getAndIncrement() == 0) firstStartNanos = System.nanoTime();
            try {
                JobResult result = runTries(job);
                finish(job, result);
            } catch (RuntimeException | Error e) {
                // A worker that dies would leave its job unfinished; say so and stop the run.
                LOG.log(System.Logger.Level.ERROR, "job " + job.input.seq() + " failed in forkline itself", e);
                errorStop = true;
                stopStarting("internal error: " + e);
            } finally {
                runningCount.decrementAndGet();
            }
        }
    }

    /** Keep-order runs at most a window ahead of the oldest job not yet printed. @return false when the run stopped meanwhile */
    private boolean awaitTurn(Job job) {
        if (!settings.keepOrder) return stopReason == null;
        lock.lock();
        try {
            while (stopReason == null && job.order - nextToPrint >= KEEP_ORDER_WINDOW) printed.awaitUninterruptibly();
            return stopReason == null;
        } finally {
            lock.unlock();
        }
    }

    /** Tries the job until it succeeds, runs out of tries, or the run stops retrying. */
    private JobResult runTries(Job job) {
        while (true) {
            JobResult result = runOnce(job);
            if (result.succeeded() || job.tries >= settings.tries || killReason != null || halted) return result;
            retries.incrementAndGet();
            lock.lock();
            try {
                settings.listener.jobRetried(result);
            } finally {
                lock.unlock();
            }
            discardOutput(job);
        }
    }

    /** One try: spawn, wait on this thread, and say how it ended. A spawn failure is a failed try. */
    private JobResult runOnce(Job job) {
        job.tries++;
        job.startEpochMillis = System.currentTimeMillis();
        job.startNanos = System.nanoTime();
        Command command;
        try {
            job.argv = settings.template.argv(job.input, job.slot);
            job.command = settings.template.display(job.input, job.slot);
            // Refuses an argv that cannot be exec'd (an empty program name, a NUL in a value).
            command = Command.of(job.argv).stdin(Stdio.discard()).newProcessGroup();
            settings.environment.forEach(command::env);
            routeOutput(job, command);
        } catch (IOException | RuntimeException e) {
            if (job.command == null) job.command = String.join(" ", job.input.values());
            return result(job, null, e);
        }
        if (settings.timeout != null) command.timeout(settings.timeout).killGrace(settings.killGrace);
        if (jobLimits != null) command.cgroupLimits(jobLimits);
        Child child;
        try {
            child = launcher.spawn(command);
        } catch (SpawnException | RuntimeException e) {
            return result(job, null, e);
        }
        live.put(job, child);
        // A kill that came between the spawn and the line above would have missed this child.
        if (killReason != null) kill(child);
        Exit exit = waitUninterruptibly(child);
        live.remove(job);
        return result(job, exit, null);
    }

    private static Exit waitUninterruptibly(Child child) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return child.waitFor();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * Where the try's stdout and stderr go: the results directory's files, two spool files
     * (grouped output), the event loop (line output), or /dev/null.
     */
    private void routeOutput(Job job, Command command) throws IOException {
        if (results != null) {
            job.resultsDirectory = results.jobDirectory(job.input);
            command.stdout(Stdio.writeTo(job.resultsDirectory.resolve("stdout")))
                    .stderr(Stdio.writeTo(job.resultsDirectory.resolve("stderr")));
            return;
        }
        switch (settings.output) {
            case NONE -> command.stdout(Stdio.discard()).stderr(Stdio.discard());
            case GROUPED -> {
                job.spool = spoolFiles.take();
                command.stdout(Stdio.writeTo(job.spool.stdout())).stderr(Stdio.writeTo(job.spool.stderr()));
            }
            case LINES -> {
                JobOutput output = new JobOutput(outputBudget, stdout, stderr, tag(job), true, !settings.keepOrder);
                job.lines = output;
                if (settings.keepOrder) {
                    lock.lock();
                    try {
                        outputsByOrder.put(job.order, output);
                        if (job.order == nextToPrint) output.goLive();
                    } finally {
                        lock.unlock();
                    }
                }
                command.stdout(Stdio.stream(output.stdoutListener())).stderr(Stdio.stream(output.stderrListener()));
            }
        }
    }

    private byte[] tag(Job job) {
        return settings.tag ? (String.join(" ", job.input.values()) + "\t").getBytes(StandardCharsets.UTF_8) : null;
    }

    private JobResult result(Job job, Exit exit, Throwable failure) {
        long wallNanos = System.nanoTime() - job.startNanos;
        List<String> values = job.input.values();
        long seq = job.input.seq();
        if (exit == null) {
            String why = failure instanceof SpawnException se ? se.getMessage() + hint(job) : String.valueOf(failure.getMessage());
            int status = failure instanceof SpawnException se && (se.errnoName().equals("EACCES") || se.errnoName().equals("ENOEXEC")) ? 126 : 127;
            return new JobResult(seq, values, job.command, job.slot, job.startEpochMillis, wallNanos, job.tries, status, 0, null, why,
                    -1, JobResult.MemorySource.UNKNOWN, -1, -1, 0, false, 0);
        }
        String killedBy = exit.timedOut() ? "timeout" : exit.signal() != 0 && killReason != null ? killReason : null;
        Stats stats = exit.cgroupStats();
        long peak = -1;
        JobResult.MemorySource source = JobResult.MemorySource.UNKNOWN;
        if (stats != null && stats.memory() != null && stats.memory().peakBytes() >= 0) {
            peak = stats.memory().peakBytes();
            source = JobResult.MemorySource.CGROUP;
        } else if (jvmHighWater.isTheChilds(exit.maxRssBytes())) {
            peak = exit.maxRssBytes();
            source = JobResult.MemorySource.RUSAGE;
        }
        long cpu = stats != null ? stats.cpu().usageMicros() : (exit.userCpu().toNanos() + exit.systemCpu().toNanos()) / 1000;
        long forkFailures = stats != null && stats.pids() != null ? stats.pids().forkFailures() : -1;
        return new JobResult(seq, values, job.command, job.slot, job.startEpochMillis, wallNanos, job.tries, exit.exitCode(), exit.signal(),
                killedBy, null, peak, source, cpu, forkFailures, exit.straysKilled(), exit.oomKilled(), job.stdoutBytes());
    }

    /** A command word with spaces was probably meant for a shell. */
    private String hint(Job job) {
        String program = job.argv.get(0);
        return !settings.template.shell() && program.contains(" ")
                ? " (the command '" + program + "' has spaces: give its words separately, or use --shell)" : "";
    }

    // ---------------------------------------------------------------------------------------
    // Finishing a job, under the lock: one at a time, in the order they finish.

    private void finish(Job job, JobResult result) {
        lock.lock();
        try {
            finished.incrementAndGet();
            if (result.succeeded()) {
                succeeded++;
            } else {
                failed.incrementAndGet();
                if (firstFailures.size() < RunSummary.FAILURES_KEPT) firstFailures.add(result);
            }
            if ("timeout".equals(result.killedBy())) timedOut++;
            if (result.oomKilled()) oomKilled++;
            if (result.straysKilled() > 0) withStrays++;
            record(result);
            writeRecords(job, result);
            printInTurn(job);
            settings.listener.jobFinished(result);
            checkHalt(result);
        } finally {
            lock.unlock();
        }
    }

    private void record(JobResult r) {
        lastFinishNanos = System.nanoTime();
        wallMicros.record(r.wallNanos() / 1000);
        if (r.cpuMicros() >= 0) {
            cpuMicros.record(r.cpuMicros());
            keepTop(topCpu, new RunSummary.Top(r.seq(), r.command(), r.cpuMicros()));
        }
        if (r.peakMemoryBytes() >= 0) {
            memoryBytes.record(r.peakMemoryBytes());
            keepTop(topMemory, new RunSummary.Top(r.seq(), r.command(), r.peakMemoryBytes()));
        }
    }

    private static void keepTop(PriorityQueue<RunSummary.Top> top, RunSummary.Top entry) {
        if (top.size() < 5) {
            top.add(entry);
        } else if (entry.value() > top.peek().value()) {
            top.poll();
            top.add(entry);
        }
    }

    private void writeRecords(Job job, JobResult result) {
        try {
            if (joblog != null) joblog.write(result);
            if (job.resultsDirectory != null) results.finish(job.resultsDirectory, result);
        } catch (IOException e) {
            errorStop = true;
            stopStarting(e.getMessage());
        }
    }

    /** Prints the job's output now, or, with keep-order, once every earlier job has printed. */
    private void printInTurn(Job job) {
        if (!settings.keepOrder) {
            print(job);
            return;
        }
        waitingToPrint.put(job.order, job);
        for (Job next = waitingToPrint.remove(nextToPrint); next != null; next = waitingToPrint.remove(nextToPrint)) {
            outputsByOrder.remove(nextToPrint);
            print(next);
            nextToPrint++;
            JobOutput nowLive = outputsByOrder.get(nextToPrint);
            if (nowLive != null) nowLive.goLive();
            printed.signalAll();
        }
    }

    private void print(Job job) {
        try {
            if (job.lines != null) job.lines.print();
            if (job.spool != null) {
                byte[] tag = tag(job);
                copy(job.spool.stdout(), job.spooledStdoutBytes, new LineWriter(stdout, tag, false));
                job.spooledStderrBytes = copy(job.spool.stderr(), -1, new LineWriter(stderr, tag, false));
            }
        } catch (UncheckedIOException e) {
            errorStop = true;
            stopStarting(e.getMessage());
        } finally {
            discardOutput(job);
        }
        IOException failure = stdout.failure() != null ? stdout.failure() : stderr.failure();
        if (failure != null) {
            errorStop = true;
            stopStarting("cannot write jobs' output: " + failure.getMessage());
        }
    }

    /**
     * Streams a spool file through the writer, in reads of at most 64 KiB; most jobs write
     * nothing to one stream or both, and an empty file costs one stat.
     *
     * @return the file's size when the copy began, 0 when there is no file
     */
    private static long copy(Path file, long knownSize, LineWriter out) {
        try {
            long size = knownSize >= 0 ? knownSize : Files.size(file);
            if (size == 0) return 0;
            try (var in = Files.newInputStream(file)) {
                byte[] buffer = new byte[(int) Math.min(size, 64 * 1024)];
                for (int n = in.read(buffer); n > 0; n = in.read(buffer)) out.write(buffer, 0, n);
                out.end();
            }
            return size;
        } catch (java.nio.file.NoSuchFileException e) {
            return 0; // the spawn failed before the file was made: nothing to print
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a job's output back from " + file + ": " + e.getMessage(), e);
        }
    }

    /** Drops the job's last try's held output (printed, or a failed try that is tried again). */
    private void discardOutput(Job job) {
        if (job.lines != null) job.lines.close();
        job.lines = null;
        if (job.spool != null) spoolFiles.give(job.spool, job.spooledStdoutBytes, job.spooledStderrBytes);
        job.spool = null;
        job.spooledStdoutBytes = -1;
        job.spooledStderrBytes = -1;
    }

    private void checkHalt(JobResult result) {
        if (halted || !settings.halt.reached(failed.get(), succeeded, knownTotal)) return;
        halted = true;
        haltingJob = result;
        if (settings.halt.when() == HaltPolicy.When.NOW) killRunning("halt " + settings.halt);
        else stopStarting("halt " + settings.halt);
    }

    private RunSummary summary() {
        lock.lock();
        try {
            List<RunSummary.Top> mem = new ArrayList<>(topMemory);
            mem.sort(Comparator.comparingLong(RunSummary.Top::value).reversed());
            List<RunSummary.Top> cpu = new ArrayList<>(topCpu);
            cpu.sort(Comparator.comparingLong(RunSummary.Top::value).reversed());
            long first = firstStartNanos;
            long wall = first == 0 ? 0 : Math.max(0, lastFinishNanos - first);
            String reason = stopReason;
            boolean interrupted = "interrupt".equals(killReason) || "interrupt".equals(reason);
            return new RunSummary(finished.get(), succeeded, failed.get(), retries.get(), skipped.get(), timedOut, oomKilled, withStrays,
                    wall, RunSummary.Percentiles.of(wallMicros), RunSummary.Percentiles.of(cpuMicros), RunSummary.Percentiles.of(memoryBytes),
                    memoryBytes.count(), mem, cpu, firstFailures, skippedLimits, interrupted ? "interrupted" : reason, errorStop, halted,
                    settings.halt, haltingJob, knownTotal);
        } finally {
            lock.unlock();
        }
    }

    /** One job across its tries; only its slot's worker touches it, then the finishing step under the lock. */
    private static final class Job {
        final JobInput input;
        final long order;
        int slot;
        int tries;
        List<String> argv;
        String command;
        long startNanos;
        long startEpochMillis;
        Path resultsDirectory;
        /** Where the try's grouped output is spooled. */
        SpoolFiles.Pair spool;
        /** The spooled stdout's size, once the try's result has read it. */
        long spooledStdoutBytes = -1;
        /** The spooled stderr's size, once printing has read it. */
        long spooledStderrBytes = -1;
        JobOutput lines;

        Job(JobInput input, long order) {
            this.input = input;
            this.order = order;
        }

        /** @return how many bytes the last try wrote to stdout */
        long stdoutBytes() {
            try {
                if (lines != null) return lines.stdoutBytes();
                if (spool != null) return spooledStdoutBytes = Files.size(spool.stdout());
                if (resultsDirectory != null) return Files.size(resultsDirectory.resolve("stdout"));
            } catch (IOException e) {
                return 0;
            }
            return 0;
        }
    }
}
