package io.forkline;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Shim;
import java.nio.ByteBuffer;

/**
 * The parent's non-blocking read end of a child's stdout or stderr, drained by the event loop
 * into a {@link Sink}. Reads are level-triggered and bounded per wake-up, so one chatty child
 * cannot starve the others or the reaping of exits.
 */
final class OutputPipe implements EventLoop.Watch {
    /** Where the bytes go. Both methods run on the loop thread. */
    interface Sink {
        void accept(ByteBuffer data, int length);

        void end();
    }

    private static final System.Logger LOG = System.getLogger(OutputPipe.class.getName());
    /** Reads per wake-up before yielding to other fds: 4 x 64 KiB. */
    private static final int READS_PER_EVENT = 4;
    /**
     * The most {@link #drainAndFinishLater()} reads: far above what a pipe holds (at most
     * /proc/sys/fs/pipe-max-size, 1 MiB by default), so it only stops a grandchild that writes
     * without pause from keeping the loop thread reading forever.
     */
    private static final long DRAIN_LIMIT = 16L << 20;

    private final EventLoop loop;
    private final int fd;
    private final Sink sink;
    private final boolean gatesExit;
    private long token = -1;
    private boolean paused;
    /** Written on the loop thread, read by others to skip work. */
    private volatile boolean finished;

    /** @param gatesExit whether the child's exit waits for this pipe's end (captures and listeners do) */
    OutputPipe(EventLoop loop, int fd, Sink sink, boolean gatesExit) {
        this.loop = loop;
        this.fd = fd;
        this.sink = sink;
        this.gatesExit = gatesExit;
    }

    /** @return whether the child's exit is reported only after this pipe ends */
    boolean gatesExit() {
        return gatesExit;
    }

    void start() throws SyscallException {
        token = loop.register(fd, Shim.EPOLLIN, this);
    }

    @Override
    public void onEvents(int events) {
        if (finished) return;
        try {
            for (int i = 0; i < READS_PER_EVENT && !paused; i++) {
                long n = Shim.read(fd, loop.readBuffer, EventLoop.READ_CHUNK);
                if (n < 0) return; // drained for now
                if (n == 0) {
                    finish();
                    return;
                }
                sink.accept(loop.readBuffer, (int) n);
                if (n < EventLoop.READ_CHUNK) return;
            }
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.WARNING, "reading a child's output failed; treating it as end of file", e);
            finish();
        }
    }

    /** Stops reading until {@link #resume()}; loop thread only. Back-pressure for slow consumers. */
    void pause() {
        if (finished || paused) return;
        paused = true;
        try {
            loop.modify(fd, 0, token);
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot pause a child's output pipe", e);
        }
    }

    /** Reading may go on; from any thread. */
    void resume() {
        loop.execute(() -> {
            if (finished || !paused) return;
            paused = false;
            try {
                loop.modify(fd, Shim.EPOLLIN, token);
            } catch (SyscallException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot resume a child's output pipe", e);
            }
        });
    }

    /** Closes the pipe now, from any thread; the sink sees its end. */
    void finishLater() {
        if (finished) return;
        if (loop.inLoop()) finish();
        else loop.execute(this::finish);
    }

    /**
     * Reads what the pipe holds now, paused or not, then closes it as {@link #finishLater()}
     * does; from any thread. The {@link Process} adapter calls it when the child has exited, as
     * the JDK drains and closes its pipes then, so that the stream ends even when a grandchild
     * still holds the pipe open; what the grandchild writes after that is lost, as with the JDK.
     */
    void drainAndFinishLater() {
        if (finished) return;
        if (loop.inLoop()) drainAndFinish();
        else loop.execute(this::drainAndFinish);
    }

    private void drainAndFinish() {
        if (finished) return;
        try {
            for (long drained = 0; drained < DRAIN_LIMIT; ) {
                long n = Shim.read(fd, loop.readBuffer, EventLoop.READ_CHUNK);
                if (n <= 0) break; // empty now (EAGAIN), or every writer has closed
                sink.accept(loop.readBuffer, (int) n);
                drained += n;
                // A pipe read stops short only when it has emptied the pipe: what follows was
                // written after the exit was known.
                if (n < EventLoop.READ_CHUNK) break;
            }
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.WARNING, "draining a child's output failed; ending it with what was read", e);
        }
        finish();
    }

    private void finish() {
        if (finished) return;
        finished = true;
        loop.deregister(fd, token);
        Shim.close(fd);
        sink.end();
    }

    boolean isFinished() {
        return finished;
    }

    /** Closes the fd when the loop is already stopped (launcher shutdown). */
    void closeWithoutLoop() {
        if (finished) return;
        finished = true;
        Shim.close(fd);
        sink.end();
    }
}
