package io.forkline;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.ExitRecord;
import io.forkline.sys.shim.Shim;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running (or finished) child. Its pidfd is held until the child is reaped, so every signal
 * goes through pidfd_send_signal and can never hit a recycled pid; after reaping, signals are
 * no-ops that return {@code false}.
 *
 * <p>{@link #onExit()} completes on the launcher's event loop thread once the child is reaped
 * and every captured or streamed output ({@link Stdio#capture}, {@link Stdio#stream}) has reached
 * end of file (or {@link #CAPTURE_DRAIN} after the exit, when a grandchild keeps the pipe open:
 * the pipe is then closed and its listener sees the end). Non-async dependents run on that thread: keep them
 * short, or use the {@code *Async} variants.
 */
public final class Child {
    /** How long captured output may go on after the child exits, for grandchildren that hold the pipe. */
    static final Duration CAPTURE_DRAIN = Duration.ofSeconds(1);
    /** How often a platform thread blocked in waitFor looks at its interrupt flag. */
    private static final long DIRECT_WAIT_SLICE_MS = 100;
    private static final LazyLogger LOG = new LazyLogger(Child.class);

    private final Launcher launcher;
    private final EventLoop loop;
    private final int pid;
    private final boolean leadsGroup;
    private final SpawnMethod spawnMethod;
    private final CgroupPlacement cgroupPlacement;
    /** The group the child runs in, when its command named a Cgroup or asked for limits; else null. */
    private final JobCgroup job;
    private final CompletableFuture<Exit> exit = new CompletableFuture<>();
    /** The exit itself plus one per capture or stream listener that has not reached end of file. */
    private final AtomicInteger pendingForExit = new AtomicInteger(1);
    /** Set once {@link #toProcess()} has asked for the JDK's end of streams at the exit. */
    private final AtomicBoolean streamsEndAtExit = new AtomicBoolean();
    private final StdinStream stdin;
    private final PipeInputStream stdout;
    private final PipeInputStream stderr;
    private final CaptureSink stdoutCapture;
    private final CaptureSink stderrCapture;
    final OutputPipe[] pipes;
    /** Guarded by {@code this}: -1 once reaped, so no signal can reach a reused fd number. */
    private int pidfd;
    /** The pidfd's epoll registration, or -1 while platform threads wait on it directly. */
    private long pidfdToken = -1;
    /** Guarded by {@code this}: platform threads blocked in {@link #waitDirectly(long)}. */
    private int directWaiters;
    private volatile ExitRecord reaped;
    private volatile boolean timedOut;
    private volatile ScheduledFuture<?> timer;

    Child(Launcher launcher, EventLoop loop, int pid, int pidfd, boolean leadsGroup, SpawnMethod spawnMethod,
            CgroupPlacement cgroupPlacement, StdioPlan plan, JobCgroup job) {
        this.launcher = launcher;
        this.loop = loop;
        this.pid = pid;
        this.pidfd = pidfd;
        this.leadsGroup = leadsGroup;
        this.spawnMethod = spawnMethod;
        this.cgroupPlacement = cgroupPlacement;
        this.job = job;
        this.stdin = plan.stdinFd >= 0 ? new StdinStream(loop, plan.stdinFd, pid) : null;
        this.stdoutCapture = plan.stdout instanceof Stdio.Capture c ? new CaptureSink(c.maxBytes(), this::captureEnded) : null;
        this.stderrCapture = plan.stderr instanceof Stdio.Capture c ? new CaptureSink(c.maxBytes(), this::captureEnded) : null;
        this.stdout = plan.stdout instanceof Stdio.Pipe ? new PipeInputStream() : null;
        this.stderr = plan.stderr instanceof Stdio.Pipe ? new PipeInputStream() : null;
        this.pipes = new OutputPipe[] {
            outputPipe(plan.stdoutFd, plan.stdout, stdoutCapture, stdout),
            outputPipe(plan.stderrFd, plan.stderr, stderrCapture, stderr),
        };
        for (OutputPipe pipe : pipes) {
            if (pipe != null && pipe.gatesExit()) pendingForExit.incrementAndGet();
        }
    }

    private OutputPipe outputPipe(int fd, Stdio stdio, CaptureSink capture, PipeInputStream stream) {
        if (fd < 0) return null;
        OutputPipe.Sink sink = capture != null ? capture
                : stream != null ? stream
                : new ListenerSink(((Stdio.Stream) stdio).listener(), this::captureEnded);
        // A caller-driven pipe is read at the caller's pace, which the exit must not wait for.
        OutputPipe pipe = new OutputPipe(loop, fd, sink, stream == null);
        if (stream != null) stream.attach(pipe);
        return pipe;
    }

    /** Puts the pidfd and the pipes into the event loop; on failure the caller kills and reaps. */
    void register() throws SyscallException {
        for (OutputPipe pipe : pipes) {
            if (pipe != null) pipe.start();
        }
        synchronized (this) {
            pidfdToken = loop.register(pidfd, Shim.EPOLLIN, this::onPidfdReadable);
        }
    }

    void scheduleTimeout(Duration timeout, Duration grace) {
        timer = launcher.timer().schedule(() -> onTimeout(grace), timeout.toNanos(), TimeUnit.NANOSECONDS);
        // A child that was reaped before the timer existed must not keep it (and itself) alive.
        if (reaped != null) timer.cancel(false);
    }

    /**
     * For a spawn whose registration with the event loop failed: kill the child and reap it on
     * this thread, so that the failed spawn leaves no zombie. It may block a virtual thread's
     * carrier for as long as a SIGKILLed child takes to die, which is rare and short.
     */
    void killAndReapNow() {
        signal(Signals.KILL);
        try {
            waitDirectly(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (reaped == null) abandon();
    }

    private void onTimeout(Duration grace) {
        if (reaped != null) return;
        timedOut = true;
        if (grace.isZero()) {
            killAfterTimeout();
            return;
        }
        signalTreeOrChild(Signals.TERM);
        timer = launcher.timer().schedule(this::killAfterTimeout, grace.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * A group lent for this job alone is killed whole (cgroup.kill); a group the caller gave may
     * hold other children too, so there only the child's process group (or the child) is killed.
     */
    private void killAfterTimeout() {
        if (reaped != null) return; // exited during the grace: its group may be the next job's by now
        if (job != null && job.borrowed()) killTree();
        else signalTreeOrChild(Signals.KILL);
    }

    /** For {@link Launcher#close()} with the KILL policy: like {@link #kill()}, but never throws. */
    void killOnClose() {
        signalTreeOrChild(Signals.KILL);
    }

    /**
     * For the timeout, which runs on the timer where an exception would be lost and the child
     * left running, and for close: where the kernel cannot signal a process group through a
     * pidfd (before Linux 6.9), at least the child itself is signalled, so that it still ends.
     */
    private void signalTreeOrChild(int signal) {
        try {
            signalTree(signal);
        } catch (UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.WARNING, "ending pid " + pid + ": " + e.getMessage()
                    + "; signalling the child alone, not its process group");
            signal(signal);
        }
    }

    private void onPidfdReadable(int events) {
        tryReap();
    }

    /**
     * Reaps the child if it has exited. The event loop calls this when the pidfd polls readable,
     * and so does a platform thread blocked in {@link #waitFor()}; the lock makes sure exactly
     * one of them reaps, and the other finds the pidfd gone.
     */
    private void tryReap() {
        ExitRecord record;
        synchronized (this) {
            if (pidfd < 0) return;
            try {
                record = Shim.reap(pidfd);
            } catch (SyscallException e) {
                // ECHILD: someone else reaped it (SIGCHLD set to SIG_IGN, or a stray waitpid(-1)).
                LOG.log(System.Logger.Level.WARNING, "cannot reap pid " + pid, e);
                closePidfdLocked();
                launcher.childGone(this);
                exit.completeExceptionally(e);
                return;
            }
            if (record == null) return;
            reaped = record;
            closePidfdLocked();
        }
        ScheduledFuture<?> pending = timer;
        if (pending != null) pending.cancel(false);
        if (stdin != null) stdin.close();
        // Before captures end: emptying a borrowed group kills stragglers that hold the pipes open.
        // The exit completes once the group's stats are read, after the stragglers died.
        if (job != null) {
            pendingForExit.incrementAndGet();
            job.childReaped(launcher.cgroupReleaser(), this::captureEnded);
        }
        launcher.childGone(this);
        if (pendingForExit.get() > 1) {
            try {
                launcher.timer().schedule(this::stopWaitingForCaptures, CAPTURE_DRAIN.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                stopWaitingForCaptures(); // the launcher is closing: no time to wait for stragglers' output
            }
        }
        captureEnded();
    }

    /**
     * Blocks a platform thread on its own copy of the pidfd and reaps the child itself, which
     * saves the hand-off through the event thread: one wake-up per exit instead of two. It
     * polls in slices so that an interrupt is noticed.
     *
     * @param deadline System.nanoTime() to give up at, or Long.MAX_VALUE
     */
    private void waitDirectly(long deadline) throws InterruptedException {
        int copy;
        synchronized (this) {
            if (pidfd < 0) return;
            try {
                copy = Shim.dup(pidfd);
            } catch (SyscallException e) {
                return; // EMFILE: the event loop will report the exit as usual
            }
            // Take the pidfd out of the epoll set while someone waits on it here, so the exit
            // does not also wake the event thread, which would compete for a CPU with the next spawn.
            if (directWaiters++ == 0 && pidfdToken >= 0) {
                loop.deregister(pidfd, pidfdToken);
                pidfdToken = -1;
            }
        }
        try {
            while (!exit.isDone()) {
                long left = deadline == Long.MAX_VALUE ? DIRECT_WAIT_SLICE_MS : TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) return;
                if (Shim.pollReadable(copy, (int) Math.min(left, DIRECT_WAIT_SLICE_MS))) {
                    tryReap();
                    return;
                }
                if (Thread.interrupted()) throw new InterruptedException();
            }
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.WARNING, "poll on the pidfd of pid " + pid + " failed", e);
        } finally {
            Shim.close(copy);
            leaveDirectWait();
        }
    }

    /** The last direct waiter to give up (timeout, interrupt) hands the pidfd back to the event loop. */
    private synchronized void leaveDirectWait() {
        if (--directWaiters > 0 || pidfd < 0 || pidfdToken >= 0) return;
        try {
            pidfdToken = loop.register(pidfd, Shim.EPOLLIN, this::onPidfdReadable);
        } catch (SyscallException e) {
            // ENOMEM/ENOSPC in epoll: nobody would see this exit, so say it loudly.
            LOG.log(System.Logger.Level.ERROR, "cannot hand pid " + pid + " back to the event loop", e);
        }
    }

    private boolean mayWaitDirectly() {
        return !exit.isDone() && !Thread.currentThread().isVirtual() && !loop.inLoop();
    }

    private void stopWaitingForCaptures() {
        for (OutputPipe pipe : pipes) {
            if (pipe != null) pipe.finishLater();
        }
    }

    private void captureEnded() {
        if (pendingForExit.decrementAndGet() != 0) return;
        ExitRecord r = reaped;
        boolean signalled = r.code() != ExitRecord.CLD_EXITED;
        exit.complete(new Exit(
                r.pid(),
                signalled ? -1 : r.status(),
                signalled ? r.status() : 0,
                r.code() == ExitRecord.CLD_DUMPED,
                timedOut,
                Duration.ofNanos(r.userMicros() * 1000),
                Duration.ofNanos(r.systemMicros() * 1000),
                r.maxRssKilobytes() * 1024,
                stdoutCapture == null ? Output.NONE : stdoutCapture.result(),
                stderrCapture == null ? Output.NONE : stderrCapture.result(),
                job == null ? null : job.stats(),
                job == null ? 0 : job.straysKilled()));
    }

    private synchronized void closePidfd() {
        closePidfdLocked();
    }

    private void closePidfdLocked() {
        if (pidfd < 0) return;
        if (pidfdToken >= 0) loop.deregister(pidfd, pidfdToken);
        pidfdToken = -1;
        Shim.close(pidfd);
        pidfd = -1;
    }

    /** Closes the pidfd without reaping; only for launcher shutdown when a child would not die. */
    void abandon() {
        closePidfd();
        for (OutputPipe pipe : pipes) {
            if (pipe != null) pipe.closeWithoutLoop();
        }
        if (stdin != null) stdin.close();
        if (job != null) job.spawnFailed(); // a borrowed group goes back: the pool kills what is left in it
        exit.completeExceptionally(new IllegalStateException("launcher closed before pid " + pid + " was reaped"));
    }

    // ---- public API ------------------------------------------------------------------------

    /** @return the child's pid */
    public int pid() {
        return pid;
    }

    /** @return whether the child has not been reaped yet */
    public boolean isAlive() {
        return reaped == null && !exit.isDone();
    }

    /** @return how the child was started: clone3, or a fallback */
    public SpawnMethod spawnMethod() {
        return spawnMethod;
    }

    /** @return how the child got into the cgroup its command named */
    public CgroupPlacement cgroupPlacement() {
        return cgroupPlacement;
    }

    JobCgroup jobCgroup() {
        return job;
    }

    /**
     * Kills the child's whole tree. With a cgroup ({@link Command#cgroup(io.forkline.cgroup.Cgroup)}
     * or {@link Command#cgroupLimits}) that is cgroup.kill: every process in the group, daemons
     * that left the process group and forks in flight included. Otherwise it is SIGKILL to the
     * child's process group when it leads one, else to the child alone.
     *
     * @return whether a signal was sent; false when the child was already reaped
     */
    public boolean killTree() {
        if (job != null) {
            boolean alive = reaped == null;
            try {
                // False once the group went back to its pool: the child was reaped before that.
                if (job.kill()) return alive;
            } catch (io.forkline.cgroup.CgroupException e) {
                LOG.log(System.Logger.Level.WARNING, "cgroup.kill of " + job + " failed; signalling instead", e);
            }
        }
        return signalTree(Signals.KILL);
    }

    /** @return whether the child leads its own process group (new group or new session) */
    public boolean leadsProcessGroup() {
        return leadsGroup;
    }

    /** @return a future of the exit; completing or cancelling it does not affect the child */
    public CompletableFuture<Exit> onExit() {
        return exit.copy();
    }

    /**
     * Waits for the exit. A virtual thread parks and does not pin its carrier; a platform thread
     * blocks on the child's pidfd and reaps it itself, which saves a thread hand-off.
     *
     * @return how the child ended
     * @throws InterruptedException if interrupted while waiting
     */
    public Exit waitFor() throws InterruptedException {
        if (mayWaitDirectly()) waitDirectly(Long.MAX_VALUE);
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("pid " + pid + " could not be reaped", e.getCause());
        }
    }

    /**
     * Waits at most {@code timeout} for the exit.
     *
     * @return the exit, or empty if the child is still running
     * @throws InterruptedException if interrupted while waiting
     */
    public Optional<Exit> waitFor(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (mayWaitDirectly()) waitDirectly(deadline);
        try {
            return Optional.of(exit.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("pid " + pid + " could not be reaped", e.getCause());
        }
    }

    /**
     * Sends a signal to the child through its pidfd.
     *
     * @return {@code false} if the child has already exited
     */
    public boolean signal(int signal) {
        return send(signal, false);
    }

    /**
     * Sends a signal to the child's whole process group (PIDFD_SIGNAL_PROCESS_GROUP).
     *
     * @return {@code false} if the child has already exited
     * @throws IllegalStateException if the child was not started with a new process group or session
     */
    public boolean signalGroup(int signal) {
        if (!leadsGroup) throw new IllegalStateException("pid " + pid + " does not lead a process group: "
                + "start it with Command.newProcessGroup() or newSession()");
        return send(signal, true);
    }

    /** SIGTERM to the child, or to its whole group when it leads one. */
    public boolean terminate() {
        return signalTree(Signals.TERM);
    }

    /** SIGKILL to the child, or to its whole group when it leads one. */
    public boolean kill() {
        return signalTree(Signals.KILL);
    }

    boolean signalTree(int signal) {
        return send(signal, leadsGroup);
    }

    private synchronized boolean send(int signal, boolean wholeGroup) {
        if (pidfd < 0) return false;
        try {
            return Shim.pidfdSignal(pidfd, signal, wholeGroup) == 0;
        } catch (SyscallException e) {
            if (e.errno() == Errno.EINVAL && wholeGroup) {
                throw new UnsupportedOperationException("this kernel cannot signal a process group through a "
                        + "pidfd (PIDFD_SIGNAL_PROCESS_GROUP needs Linux 6.9)", e);
            }
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * @return the child's stdin
     * @throws IllegalStateException unless stdin is {@link Stdio#pipe()}
     */
    public OutputStream stdin() {
        if (stdin == null) throw new IllegalStateException("stdin of pid " + pid + " is not Stdio.pipe()");
        return stdin;
    }

    /**
     * The child's stdout. It ends when every writer has closed the pipe: the child and any
     * grandchild that inherited it; or, once {@link #toProcess()} was called, at the exit.
     *
     * @return the child's stdout
     * @throws IllegalStateException unless stdout is {@link Stdio#pipe()}
     */
    public InputStream stdout() {
        if (stdout == null) throw new IllegalStateException("stdout of pid " + pid + " is not Stdio.pipe()");
        return stdout;
    }

    /**
     * The child's stderr; it ends as {@link #stdout()} does.
     *
     * @return the child's stderr
     * @throws IllegalStateException unless stderr is {@link Stdio#pipe()}
     */
    public InputStream stderr() {
        if (stderr == null) throw new IllegalStateException("stderr of pid " + pid + " is not Stdio.pipe()");
        return stderr;
    }

    OutputStream stdinOrNull() {
        return stdin;
    }

    InputStream stdoutOrNull() {
        return stdout;
    }

    InputStream stderrOrNull() {
        return stderr;
    }

    /**
     * Adapts this child to {@link Process}, for code that takes one. From this call on, the
     * child's {@link Stdio#pipe() pipes} end as the JDK's do: when the child has exited, stdout
     * and stderr deliver what their pipes hold at that moment and then end of file, even while a
     * grandchild still holds them open (its later output is not read), and stdin is closed, so
     * that later writes fail. This holds for {@link #stdout()} and {@link #stderr()} too, as they
     * are the same streams; a child that was never adapted keeps its pipes until every writer
     * has closed them. Calling it after the exit ends the streams at once; calling it again
     * changes nothing.
     *
     * @return this child as a {@link Process}
     */
    public Process toProcess() {
        endStreamsAtExit();
        return new ChildProcess(this);
    }

    /** Registers, once, the JDK's end of streams at the exit; see {@link #toProcess()}. */
    private void endStreamsAtExit() {
        if (streamsEndAtExit.getAndSet(true)) return;
        // Runs at once if the exit is already known, else on the thread that completes it.
        exit.whenComplete((result, failure) -> endStreamsNow());
    }

    private void endStreamsNow() {
        if (stdin != null) stdin.close();
        // Only caller-driven pipes: captures and listeners have ended before the exit completes.
        if (stdout != null) pipes[0].drainAndFinishLater();
        if (stderr != null) pipes[1].drainAndFinishLater();
    }

    CompletableFuture<Exit> exitFuture() {
        return exit;
    }

    @Override
    public String toString() {
        return "Child[pid=" + pid + (reaped != null ? ", reaped" : "") + "]";
    }
}
