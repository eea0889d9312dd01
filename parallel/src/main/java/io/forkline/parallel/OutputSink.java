package io.forkline.parallel;

import java.io.IOException;
import java.io.OutputStream;

/**
 * forkline's own stdout or stderr, written by the event loop (lines as they come) and by the
 * worker threads (a finished job's grouped output), one write at a time. A write error (the
 * reader of a pipe went away) is remembered and said once; jobs go on.
 */
final class OutputSink {
    private final OutputStream out;
    private final boolean flushEachWrite;
    private IOException failure;

    /** @param flushEachWrite whether every write is flushed, so that lines show as they are printed */
    OutputSink(OutputStream out, boolean flushEachWrite) {
        this.out = out;
        this.flushEachWrite = flushEachWrite;
    }

    synchronized void write(byte[] bytes, int offset, int length) {
        if (failure != null || length == 0) return;
        try {
            out.write(bytes, offset, length);
            if (flushEachWrite) out.flush();
        } catch (IOException e) {
            failure = e;
        }
    }

    synchronized void flush() {
        if (failure != null) return;
        try {
            out.flush();
        } catch (IOException e) {
            failure = e;
        }
    }

    /** @return the first write error, or null */
    synchronized IOException failure() {
        return failure;
    }
}
