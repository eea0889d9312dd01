package io.forkline.parallel;

import io.forkline.OutputListener;
import java.nio.ByteBuffer;

/**
 * One try's stdout and stderr, with {@code --output lines}, on their way to forkline's own:
 * written line by line once it is live, and held in {@link Spool}s until then (a later job's
 * lines while keep-order waits for an earlier one). Chunks arrive on the launcher's event loop;
 * going live and printing happen on a worker thread under the run's lock; this object's own lock
 * keeps the bytes of one stream in order across the switch.
 */
final class JobOutput implements AutoCloseable {
    private final Spool stdoutSpool;
    private final Spool stderrSpool;
    private final LineWriter stdoutLines;
    private final LineWriter stderrLines;
    private boolean live;
    private long stdoutBytes;

    JobOutput(Spool.Budget budget, OutputSink stdout, OutputSink stderr, byte[] tag, boolean wholeLines, boolean live) {
        this.stdoutSpool = new Spool(budget);
        this.stderrSpool = new Spool(budget);
        this.stdoutLines = new LineWriter(stdout, tag, wholeLines);
        this.stderrLines = new LineWriter(stderr, tag, wholeLines);
        this.live = live;
    }

    OutputListener stdoutListener() {
        return chunk -> accept(chunk, true);
    }

    OutputListener stderrListener() {
        return chunk -> accept(chunk, false);
    }

    private synchronized void accept(ByteBuffer chunk, boolean isStdout) {
        if (isStdout) stdoutBytes += chunk.remaining();
        if (!live) {
            (isStdout ? stdoutSpool : stderrSpool).append(chunk);
            return;
        }
        byte[] bytes = new byte[chunk.remaining()];
        chunk.get(bytes);
        (isStdout ? stdoutLines : stderrLines).write(bytes, 0, bytes.length);
    }

    /** From now on lines go out as they come; what was held goes out first. */
    synchronized void goLive() {
        if (live) return;
        stdoutSpool.drainTo(stdoutLines);
        stderrSpool.drainTo(stderrLines);
        live = true;
    }

    /** The try is over and its streams ended: everything still held goes out, stdout first. */
    synchronized void print() {
        stdoutSpool.drainTo(stdoutLines);
        stdoutLines.end();
        stderrSpool.drainTo(stderrLines);
        stderrLines.end();
    }

    /** @return how many bytes the try wrote to stdout */
    synchronized long stdoutBytes() {
        return stdoutBytes;
    }

    /** Drops what is held (a failed try that is retried, or a run that stops). */
    @Override
    public synchronized void close() {
        stdoutSpool.close();
        stderrSpool.close();
    }
}
