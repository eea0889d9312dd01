package io.forkline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A child's stdout or stderr as an InputStream ({@link Stdio#pipe()}). The event loop fills a
 * queue of chunks; a reader parks on a {@link Condition}, so a virtual thread that reads does
 * not pin its carrier. When more than {@link #HIGH_WATER} bytes wait unread, the loop stops
 * reading the pipe, and the child blocks on a full pipe as it would with a plain pipe, until the
 * reader has taken the queue below {@link #LOW_WATER}.
 */
final class PipeInputStream extends InputStream implements OutputPipe.Sink {
    static final int HIGH_WATER = 1 << 20;
    static final int LOW_WATER = 256 << 10;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private OutputPipe pipe;
    private int offsetInHead;
    private long buffered;
    private boolean ended;
    private boolean closed;
    private boolean paused;

    void attach(OutputPipe outputPipe) {
        this.pipe = outputPipe;
    }

    @Override
    public void accept(ByteBuffer data, int length) {
        byte[] chunk = new byte[length];
        data.get(0, chunk, 0, length);
        lock.lock();
        try {
            if (closed) return;
            chunks.add(chunk);
            buffered += length;
            if (buffered > HIGH_WATER && !paused) {
                paused = true;
                pipe.pause();
            }
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void end() {
        lock.lock();
        try {
            ended = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        lock.lock();
        try {
            while (chunks.isEmpty() && !ended && !closed) {
                try {
                    readable.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while reading a child's output");
                }
            }
            if (closed) throw new IOException("stream closed");
            if (chunks.isEmpty()) return -1;
            int copied = 0;
            while (copied < len && !chunks.isEmpty()) {
                byte[] head = chunks.peek();
                int take = Math.min(len - copied, head.length - offsetInHead);
                System.arraycopy(head, offsetInHead, b, off + copied, take);
                copied += take;
                offsetInHead += take;
                if (offsetInHead == head.length) {
                    chunks.poll();
                    offsetInHead = 0;
                }
            }
            buffered -= copied;
            if (paused && buffered < LOW_WATER) {
                paused = false;
                pipe.resume();
            }
            return copied;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int available() {
        lock.lock();
        try {
            return (int) Math.min(Integer.MAX_VALUE, buffered);
        } finally {
            lock.unlock();
        }
    }

    /** Closing drops what is queued and closes the pipe, so a child still writing gets SIGPIPE. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            chunks.clear();
            buffered = 0;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
        pipe.finishLater();
    }
}
