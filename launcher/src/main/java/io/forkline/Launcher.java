package io.forkline;

import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupException;
import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.Limits;
import io.forkline.concurrent.PerCpuRwLock;
import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.Errors;
import io.forkline.sys.shim.Shim;
import io.forkline.sys.shim.SpawnSpec;
import io.forkline.sys.shim.SpawnStep;
import io.forkline.sys.shim.Spawned;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.FlightRecorder;

/**
 * Starts children and reaps them.
 *
 * <p>{@link #spawn(Command)} may be called from any number of threads at once, platform or
 * virtual: it takes no lock of its own. Each spawn is one clone3 (CLONE_VM|CLONE_VFORK|
 * CLONE_PIDFD|CLONE_CLEAR_SIGHAND) whose child runs dup3, close_range, chdir and execve on a
 * stack the native shim owns, so its cost does not depend on the heap. Every fd forkline opens
 * is close-on-exec from birth, which is why no lock between spawning and opening files is needed
 * (seed 002).
 *
 * <p>A launcher owns one event thread (epoll over every pidfd and pipe) and, created on first
 * need, one timer thread for timeouts and one spawner thread for commands with a parent-death
 * signal. {@link #close()} ends its children per its {@link ShutdownPolicy} and releases all of it.
 *
 * <p>The first spawn in a JVM: {@code Launcher.create()} and one spawn and its exit are what a
 * short-lived tool pays for, so the code on that path (here, Command, StdioPlan, Child,
 * EventLoop, and the shim's loading) uses no lambda, method reference, stream, pattern switch,
 * EnumMap or EnumSet, and looks nothing up by reflection: the first use of each in a JVM
 * bootstraps invokedynamic or core reflection's method handles, a few milliseconds apiece, and
 * together they were most of the first spawn (about 60 ms of it; {@code forkline bench
 * first-spawn} measures it). The rest of the library uses them freely.
 *
 * <pre>{@code
 * try (Launcher launcher = Launcher.create()) {
 *     Child child = launcher.spawn(Command.of("echo", "hi").stdout(Stdio.capture(1 << 20)));
 *     Exit exit = child.waitFor();
 *     System.out.print(exit.stdout().text());
 * }
 * }</pre>
 */
public final class Launcher implements AutoCloseable {
    private static final AtomicLong INSTANCES = new AtomicLong();

    private final String name;
    private final ShutdownPolicy shutdownPolicy;
    private final Duration closeTimeout;
    private final CgroupPool cgroupPool;
    private final EventLoop loop;
    private final FdSlots fdSlots;
    private final AtomicLong sharedTableSpawns = new AtomicLong();
    /**
     * Whether this JVM has JFR: a jlink image may leave the jdk.jfr module out, and naming its
     * classes there would fail every spawn with NoClassDefFoundError.
     */
    private static final boolean JFR_PRESENT = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    /** The JVM's environment: what children inherit, and the PATH that argv[0] is looked up in. */
    private final Map<String, String> jvmEnvironment;
    private final Set<Child> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong spawns = new AtomicLong();
    private final AtomicLong fallbackSpawns = new AtomicLong();
    private final AtomicLong migratedSpawns = new AtomicLong();
    private final Object lazyLock = new Object();
    private volatile ScheduledExecutorService timer;
    private volatile ExecutorService spawner;
    private volatile Thread spawnerThread;
    /** Empties borrowed groups that still hold processes when their child is reaped, and gives them back. */
    private volatile ExecutorService cgroupReleaser;
    private volatile int devNull = -1;
    /**
     * Spawns hold the read side, close takes the write side: a spawn never races a close
     * half-way, and spawns never contend with each other, because each reader touches only its
     * own padded stripe (the per-CPU rw-semaphore of seeds 000 and 001).
     */
    private final PerCpuRwLock lifecycle = new PerCpuRwLock();
    private volatile boolean closed;

    private Launcher(Builder builder) throws SyscallException {
        this.name = builder.name != null ? builder.name : "forkline-" + INSTANCES.incrementAndGet();
        this.shutdownPolicy = builder.shutdownPolicy;
        this.closeTimeout = builder.closeTimeout;
        this.cgroupPool = builder.cgroupPool;
        this.jvmEnvironment = builder.jvmEnvironment;
        this.fdSlots = new FdSlots(FdSlots.DEFAULT_COUNT);
        try {
            this.loop = new EventLoop(name + "-reaper");
        } catch (SyscallException | RuntimeException e) {
            fdSlots.close();
            throw e;
        }
    }

    /**
     * @return a launcher that kills its children on close
     * @throws SyscallException if the epoll set or eventfd cannot be created (EMFILE, ENOMEM)
     */
    public static Launcher create() throws SyscallException {
        return builder().build();
    }

    /** @return a builder for a launcher with non-default settings */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a {@link Launcher}. */
    public static final class Builder {
        private String name;
        private ShutdownPolicy shutdownPolicy = ShutdownPolicy.KILL;
        private Duration closeTimeout = Duration.ofSeconds(10);
        private CgroupPool cgroupPool;
        private Map<String, String> jvmEnvironment = System.getenv();

        private Builder() {}

        /**
         * Tests only: what the launcher takes for the JVM's environment, so that a test can
         * give it a PATH that the JVM cannot change for itself.
         */
        Builder jvmEnvironment(Map<String, String> environment) {
            this.jvmEnvironment = Map.copyOf(environment);
            return this;
        }

        /** Names the launcher's threads ({@code <name>-reaper}, ...). */
        public Builder name(String launcherName) {
            this.name = Objects.requireNonNull(launcherName, "name");
            return this;
        }

        /** What close does with live children; default {@link ShutdownPolicy#KILL}. */
        public Builder shutdownPolicy(ShutdownPolicy policy) {
            this.shutdownPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** How long close waits for children to be reaped; default 10 s. */
        public Builder closeTimeout(Duration timeout) {
            if (timeout.isNegative()) throw new IllegalArgumentException("close timeout must be >= 0, got " + timeout);
            this.closeTimeout = timeout;
            return this;
        }

        /**
         * Where {@link Command#cgroupLimits} takes its groups from. The caller owns the pool and
         * closes it after the launcher.
         */
        public Builder cgroupPool(CgroupPool pool) {
            this.cgroupPool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        /** @return the launcher */
        public Launcher build() throws SyscallException {
            return new Launcher(this);
        }
    }

    /**
     * Starts a child.
     *
     * @param command what to start; a snapshot is taken, so the command may be changed afterwards
     * @return the running child
     * @throws SpawnException naming the syscall, errno and path when the child cannot be started
     *     (no such file, not executable, ENOEXEC, bad cwd, E2BIG, EMFILE, EAGAIN, ...); nothing is
     *     left open or unreaped
     * @throws IllegalStateException if the launcher is closed
     */
    public Child spawn(Command command) throws SpawnException {
        Objects.requireNonNull(command, "command");
        if (command.parentDeathSignalNumber() != 0 && Thread.currentThread() != spawnerThread) {
            ensureOpen();
            return spawnOnSpawnerThread(command);
        }
        lifecycle.readLock();
        try {
            ensureOpen();
            return spawnOpen(command);
        } finally {
            lifecycle.readUnlock();
        }
    }

    private Child spawnOpen(Command command) throws SpawnException {
        List<String> argv = command.argv();
        // Loading a JFR event class sets up JFR's event machinery, tens of milliseconds that a
        // one-spawn CLI would pay at start-up; so spawns are events once JFR has been started in
        // this JVM (-XX:StartFlightRecording, jcmd JFR.start, a Recording), not before.
        SpawnEvent event = JFR_PRESENT && FlightRecorder.isInitialized() ? new SpawnEvent() : null;
        if (event != null) event.begin();
        StdioPlan plan = null;
        int[] slots = null;
        JobCgroup job = null;
        try {
            String path = ExecutableResolver.resolve(argv.get(0), command.searchPath(jvmEnvironment), command.cwd());
            job = jobCgroup(command);
            boolean inCgroup = command.cgroupDirectory() != null || job != null;
            boolean bornIntoCgroup = inCgroup && !command.isPosixSpawn() && Shim.clone3Usable();
            plan = StdioPlan.open(command, this, bornIntoCgroup && job == null);
            boolean leadsGroup = command.isNewSession() || command.isNewProcessGroup();
            int[] fdMap = plan.fdMap();
            slots = fdSlots.place(fdMap);
            Spawned spawned = Shim.spawn(new SpawnSpec(
                    path,
                    argv,
                    command.inheritsEnvironmentUnchanged() ? null : command.environment(jvmEnvironment),
                    command.cwd() == null ? null : command.cwd().toString(),
                    fdMap,
                    passedFdTargets(command),
                    rlimits(command),
                    flags(command) | (bornIntoCgroup ? Shim.FLAG_INTO_CGROUP : 0)
                            | (slots != null ? Shim.FLAG_SHARE_FD_TABLE : 0),
                    0,
                    command.parentDeathSignalNumber(),
                    Math.max(command.umaskValue(), 0),
                    job != null ? job.v2DirFd() : plan.cgroupFd,
                    FdSlots.bound(fdMap),
                    job != null && !command.isPosixSpawn() ? job.joins() : List.of()));
            if (slots != null) {
                fdSlots.release(slots);
                slots = null;
                sharedTableSpawns.incrementAndGet();
            }
            plan.closeChildEnds();
            spawns.incrementAndGet();
            if (spawned.usedFallback()) fallbackSpawns.incrementAndGet();
            CgroupPlacement placement = !inCgroup ? CgroupPlacement.NONE
                    : bornIntoCgroup ? CgroupPlacement.BORN_INTO : CgroupPlacement.MIGRATED;
            Child child = new Child(this, loop, spawned.pid(), spawned.pidfd(), leadsGroup, SpawnMethod.of(spawned.method()),
                    placement, plan, job);
            plan = null; // the child owns the parent's ends now
            job = null; // and the group: it is given back when the child is reaped
            live.add(child);
            // Before the event loop knows the child, so that it cannot be reaped, and its pid
            // reused by someone else's process, before the pid is written to cgroup.procs.
            if (placement == CgroupPlacement.MIGRATED) migrate(child, command);
            adopt(child);
            if (command.timeoutValue() != null) child.scheduleTimeout(command.timeoutValue(), command.killGraceValue());
            if (event != null && event.shouldCommit()) {
                event.executable = path;
                event.pid = child.pid();
                event.fallback = spawned.usedFallback();
                event.commit();
            }
            return child;
        } catch (SyscallException | CgroupException failure) {
            if (slots != null) fdSlots.release(slots);
            if (plan != null) plan.closeAll();
            SyscallException e = CgroupErrors.asSyscall(failure);
            if (job != null) job.spawnFailed();
            Path group = job != null ? job.group.path() : command.cgroupDirectory();
            if (group != null && e.syscall().equals("clone3")) {
                // CLONE_INTO_CGROUP errors (EBADF: not a cgroup v2 directory; EACCES; EBUSY:
                // a group with children of its own) name the group, which the shim cannot know.
                String why = e.errno() == Errno.EAGAIN ? "the group's pids.max is reached (or the host's pid limit)"
                        : e.errno() == Errno.ESRCH ? SpawnStep.KILLED_AT_BIRTH_TEXT : null;
                e = Errors.syscall("clone3(CLONE_INTO_CGROUP)", e.errno(), group.toString(), why);
            }
            if (event != null && event.shouldCommit()) {
                event.executable = argv.get(0);
                event.failure = e.getMessage();
                event.commit();
            }
            throw new SpawnException(e, argv);
        } catch (RuntimeException | Error e) {
            if (slots != null) fdSlots.release(slots);
            if (plan != null) plan.closeAll();
            if (job != null) job.spawnFailed();
            throw e;
        }
    }

    /** The group a command's child runs in, when it named a {@link Cgroup} or asked for limits. */
    private JobCgroup jobCgroup(Command command) throws CgroupException {
        if (command.cgroupGroup() != null) return JobCgroup.owned(command.cgroupGroup());
        Limits limits = command.cgroupLimitsValue();
        if (limits == null) return null;
        if (cgroupPool == null) {
            throw new IllegalStateException("the command asks for cgroup limits, but launcher " + name
                    + " has no cgroup pool: build it with Launcher.builder().cgroupPool(pool)");
        }
        CgroupPool pool = cgroupPool;
        return JobCgroup.borrowed(pool.acquire(limits), pool::release);
    }

    /**
     * Hands a new child to the event loop. If the loop cannot take it (epoll_ctl ENOMEM or
     * ENOSPC), the child is killed and reaped here, so the failed spawn leaves nothing behind.
     */
    private void adopt(Child child) throws SyscallException {
        try {
            child.register();
        } catch (SyscallException | RuntimeException e) {
            child.killAndReapNow();
            throw e;
        }
    }

    /**
     * The fallback placement: write the pid to cgroup.procs. A child that cannot be moved is
     * killed and reaped, so that it never runs outside the group it was meant for.
     */
    private void migrate(Child child, Command command) throws SyscallException {
        JobCgroup job = child.jobCgroup();
        if (job != null) {
            try {
                // v2, and v1 when posix_spawn ran (the clone fallback's child joined v1 itself).
                if (command.isPosixSpawn()) job.group.migrate(child.pid());
                else job.group.migrateV2(child.pid());
                migratedSpawns.incrementAndGet();
            } catch (CgroupException e) {
                child.killAndReapNow();
                child.abandon(); // closes the pipes the event loop never got
                throw CgroupErrors.asSyscall(e);
            } catch (RuntimeException e) {
                child.killAndReapNow();
                child.abandon();
                throw e;
            }
            return;
        }
        String procs = command.cgroupDirectory().resolve("cgroup.procs").toString();
        try {
            int fd = Shim.open(procs, Shim.O_WRONLY, 0);
            try {
                byte[] pid = String.valueOf(child.pid()).getBytes(StandardCharsets.US_ASCII);
                // A blocking fd: a write either takes the whole pid or fails with an errno.
                Shim.write(fd, pid, 0, pid.length);
            } finally {
                Shim.close(fd);
            }
            migratedSpawns.incrementAndGet();
        } catch (SyscallException e) {
            child.killAndReapNow();
            child.abandon(); // closes the pipes the event loop never got
            throw e.path() != null ? e : Errors.syscall(e.syscall(), e.errno(), procs);
        }
    }

    private Child spawnOnSpawnerThread(Command command) throws SpawnException {
        Future<Child> result = spawnerExecutor().submit(() -> spawn(command));
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // The spawn itself cannot be interrupted; keep the child rather than leak it.
            try {
                return result.get();
            } catch (InterruptedException | ExecutionException again) {
                throw new IllegalStateException("interrupted while spawning " + argvText(command), again);
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SpawnException spawnException) throw spawnException;
            if (e.getCause() instanceof RuntimeException runtime) throw runtime;
            throw new IllegalStateException(e.getCause());
        }
    }

    private static String argvText(Command command) {
        return String.join(" ", command.argv());
    }

    private static int flags(Command command) {
        // SIGPIPE as the JDK's children since 25.0.3, SIGCHLD too (Shim.FLAG_DEFAULT_PIPE_CHLD says
        // why); the posix_spawn path resets every signal.
        int flags = Shim.FLAG_DEFAULT_PIPE_CHLD;
        if (command.isNewSession()) flags |= Shim.FLAG_SETSID;
        else if (command.isNewProcessGroup()) flags |= Shim.FLAG_SETPGID;
        if (command.umaskValue() >= 0) flags |= Shim.FLAG_UMASK;
        if (command.isPosixSpawn()) flags |= Shim.FLAG_FORCE_POSIX_SPAWN;
        return flags;
    }

    private static long[] rlimits(Command command) {
        Map<ResourceLimit, long[]> limits = command.limits();
        long[] triples = new long[limits.size() * 3];
        int i = 0;
        for (Map.Entry<ResourceLimit, long[]> limit : limits.entrySet()) {
            triples[i++] = limit.getKey().resource;
            triples[i++] = limit.getValue()[0];
            triples[i++] = limit.getValue()[1];
        }
        return triples;
    }

    // ---- shared resources, created on first need ------------------------------------------------

    int devNull() throws SyscallException {
        int fd = devNull;
        if (fd >= 0) return fd;
        synchronized (lazyLock) {
            if (devNull < 0) devNull = Shim.open("/dev/null", Shim.O_RDWR, 0);
            return devNull;
        }
    }

    ScheduledExecutorService timer() {
        ScheduledExecutorService t = timer;
        if (t != null) return t;
        synchronized (lazyLock) {
            if (timer == null) {
                ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
                        Thread.ofPlatform().name(name + "-timer").daemon(true).factory());
                executor.setRemoveOnCancelPolicy(true);
                timer = executor;
            }
            return timer;
        }
    }

    private ExecutorService spawnerExecutor() {
        ExecutorService s = spawner;
        if (s != null) return s;
        synchronized (lazyLock) {
            if (spawner == null) {
                spawner = Executors.newSingleThreadExecutor(runnable -> {
                    Thread thread = Thread.ofPlatform().name(name + "-spawner").daemon(true).unstarted(runnable);
                    spawnerThread = thread;
                    return thread;
                });
            }
            return spawner;
        }
    }

    Executor cgroupReleaser() {
        ExecutorService r = cgroupReleaser;
        if (r != null) return r;
        synchronized (lazyLock) {
            if (cgroupReleaser == null) {
                cgroupReleaser = Executors.newSingleThreadExecutor(
                        Thread.ofPlatform().name(name + "-cgroup-release").daemon(true).factory());
            }
            return cgroupReleaser;
        }
    }

    void childGone(Child child) {
        live.remove(child);
    }

    // ---- state -------------------------------------------------------------------------------

    /** @return children spawned and not yet reaped */
    public int liveChildren() {
        return live.size();
    }

    /** @return how many spawns succeeded */
    public long spawnCount() {
        return spawns.get();
    }

    /** @return how many spawns did not use clone3: clone3 was refused (clone fallback) or posix_spawn was asked for */
    public long fallbackSpawnCount() {
        return fallbackSpawns.get();
    }

    /** @return spawns whose child was born sharing the fd table and copied only the fds it needed */
    long sharedFdTableSpawnCount() {
        return sharedTableSpawns.get();
    }

    /** @return how many children were moved into their cgroup after the spawn instead of born there */
    public long migratedSpawnCount() {
        return migratedSpawns.get();
    }

    /** @return whether this host lets forkline spawn with clone3 */
    public static boolean clone3Usable() {
        return Shim.clone3Usable();
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("launcher " + name + " is closed");
    }

    /**
     * Ends every live child per the shutdown policy (with {@link ShutdownPolicy#WAIT}, lets them
     * run), waits up to the close timeout for them to be reaped, and releases the event thread, the timer and spawner threads, and every fd.
     * Children that still have not been reaped by then are abandoned: their pidfds are closed.
     */
    @Override
    public void close() {
        if (loop.inLoop()) throw new IllegalStateException("a launcher cannot be closed from its own event thread");
        lifecycle.writeLock();
        try {
            if (closed) return;
            closed = true; // spawns in flight have finished; later ones see this under the read side
        } finally {
            lifecycle.writeUnlock();
        }
        List<Child> children = new ArrayList<>(live);
        if (shutdownPolicy == ShutdownPolicy.KILL) children.forEach(Child::killOnClose);
        CompletableFuture<?>[] exits = children.stream().map(Child::exitFuture).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(exits).get(closeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // reported per child below
        }
        ScheduledExecutorService t = timer;
        if (t != null) t.shutdownNow();
        ExecutorService s = spawner;
        if (s != null) s.shutdownNow();
        loop.close();
        for (Child child : children) {
            if (!child.exitFuture().isDone()) child.abandon();
        }
        ExecutorService releaser = cgroupReleaser;
        if (releaser != null) {
            // Borrowed groups still being emptied go back to their pool before close returns.
            releaser.shutdown();
            try {
                if (!releaser.awaitTermination(closeTimeout.toNanos(), TimeUnit.NANOSECONDS)) releaser.shutdownNow();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                releaser.shutdownNow();
            }
        }
        // Pipes of children reaped earlier whose output was never read to the end.
        for (EventLoop.Watch watch : loop.remainingWatches()) {
            if (watch instanceof OutputPipe pipe) pipe.closeWithoutLoop();
            else if (watch instanceof StdinStream stdin) stdin.close();
        }
        live.clear();
        if (devNull >= 0) Shim.close(devNull);
        devNull = -1;
        fdSlots.close();
    }

    /** The child fds a command passes, sorted: a loop, not a stream (see the class's note on the first spawn). */
    private static int[] passedFdTargets(Command command) {
        int[] targets = new int[command.passedFds().size()];
        int i = 0;
        for (int target : command.passedFds().keySet()) targets[i++] = target;
        return targets;
    }

    @Override
    public String toString() {
        return "Launcher[" + name + ", live=" + live.size() + (closed ? ", closed" : "") + "]";
    }
}
