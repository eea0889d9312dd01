package io.forkline;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Shim;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A child's stdin as an OutputStream ({@link Stdio#pipe()}). The parent's end is non-blocking:
 * a write goes straight to the pipe from the caller's thread, and when the pipe is full the
 * caller parks until the event loop reports it writable (EPOLLOUT, one-shot). Parking on a
 * {@link Condition} keeps virtual threads unpinned.
 */
final class StdinStream extends OutputStream implements EventLoop.Watch {
    private static final int CHUNK = 64 * 1024;

    private final EventLoop loop;
    private final int fd;
    private final int pid;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition writable = lock.newCondition();
    private long token = -1;
    private boolean signalled;
    private boolean closed;

    StdinStream(EventLoop loop, int fd, int pid) {
        this.loop = loop;
        this.fd = fd;
        this.pid = pid;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return;
        lock.lock();
        try {
            int done = 0;
            while (done < len) {
                if (closed) throw new IOException("stdin of pid " + pid + " is closed");
                long n = Shim.write(fd, b, off + done, Math.min(len - done, CHUNK));
                if (n < 0) {
                    awaitWritable();
                } else {
                    done += (int) n;
                }
            }
        } catch (SyscallException e) {
            throw new IOException("writing to stdin of pid " + pid + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private void awaitWritable() throws IOException, SyscallException {
        signalled = false;
        int events = Shim.EPOLLOUT | Shim.EPOLLONESHOT;
        if (token < 0) token = loop.register(fd, events, this);
        else loop.modify(fd, events, token);
        while (!signalled && !closed) {
            try {
                writable.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing to stdin of pid " + pid);
            }
        }
    }

    @Override
    public void onEvents(int events) {
        lock.lock();
        try {
            signalled = true;
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Closing sends end-of-file to the child. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            if (token >= 0) loop.deregister(fd, token);
            Shim.close(fd);
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
