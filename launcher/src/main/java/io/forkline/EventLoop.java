package io.forkline;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Shim;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The launcher's one event thread: a single epoll set holds every child's pidfd and every pipe
 * that forkline drives, so exits and output cost no thread per child and no polling.
 *
 * <p>Each registration gets a token that is never reused, so an event that was already queued
 * for an fd that has since been closed, and whose number was taken again, finds no watch and is
 * dropped. Work that must run on this thread (re-arming a paused pipe) is queued and the loop
 * is woken through an eventfd.
 */
final class EventLoop implements AutoCloseable {
    /** Receives the events of one registration, on the loop thread. */
    interface Watch {
        void onEvents(int events);
    }

    private static final LazyLogger LOG = new LazyLogger(EventLoop.class);
    private static final long WAKE_TOKEN = 0;
    private static final int MAX_EVENTS = Shim.EPOLL_MAX_EVENTS;
    /** The largest single read from a pipe; also the size of the loop's one read buffer. */
    static final int READ_CHUNK = 64 * 1024;

    private final int epollFd;
    private final int wakeFd;
    private final ConcurrentHashMap<Long, Watch> watches = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicLong nextToken = new AtomicLong(WAKE_TOKEN + 1);
    /** The 1 that wakes the loop, as the eventfd takes it: 8 bytes in the machine's order. */
    private static final byte[] ONE = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, 1L).array();
    /**
     * The loop thread's native memory, freed as the thread ends: the read buffer, then 8 bytes
     * the wake-ups are drained into.
     */
    private final ByteBuffer memory;
    private final ByteBuffer drain;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean stopping;
    /** The loop's read buffer, used only on the loop thread. */
    final ByteBuffer readBuffer;

    EventLoop(String name) throws SyscallException {
        int epoll = Shim.epollCreate();
        int wake;
        try {
            wake = Shim.eventfd();
            Shim.epollCtl(epoll, Shim.EPOLL_CTL_ADD, wake, Shim.EPOLLIN, WAKE_TOKEN);
        } catch (SyscallException | RuntimeException e) {
            Shim.close(epoll);
            throw e;
        }
        try {
            memory = Shim.mapBuffer(READ_CHUNK + 8);
        } catch (SyscallException e) {
            Shim.close(wake);
            Shim.close(epoll);
            throw e;
        }
        epollFd = epoll;
        wakeFd = wake;
        readBuffer = memory.slice(0, READ_CHUNK);
        drain = memory.slice(READ_CHUNK, 8);
        // A class of its own, not this::run: see Launcher's note on the first spawn.
        thread = Thread.ofPlatform().name(name).daemon(true).unstarted(new Runnable() {
            @Override
            public void run() {
                EventLoop.this.run();
            }
        });
        try {
            thread.start();
        } catch (OutOfMemoryError | RuntimeException e) { // no native thread to be had: nothing may stay behind
            Shim.freeBuffer(memory);
            Shim.close(wake);
            Shim.close(epoll);
            throw e;
        }
    }

    /** @return the token of the new registration */
    long register(int fd, int events, Watch watch) throws SyscallException {
        long token = nextToken.getAndIncrement();
        watches.put(token, watch);
        try {
            Shim.epollCtl(epollFd, Shim.EPOLL_CTL_ADD, fd, events, token);
        } catch (SyscallException | RuntimeException e) {
            watches.remove(token);
            throw e;
        }
        return token;
    }

    void modify(int fd, int events, long token) throws SyscallException {
        Shim.epollCtl(epollFd, Shim.EPOLL_CTL_MOD, fd, events, token);
    }

    /** Forgets a registration; call before closing the fd. */
    void deregister(int fd, long token) {
        watches.remove(token);
        try {
            Shim.epollCtl(epollFd, Shim.EPOLL_CTL_DEL, fd, 0, token);
        } catch (SyscallException e) {
            // ENOENT or EBADF: the fd is already out of the set, which is all we wanted.
        }
    }

    /** Runs a task on the loop thread. */
    void execute(Runnable task) {
        tasks.add(task);
        wake();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** @return what is still registered; after {@link #close()}, for the owner to release */
    java.util.List<Watch> remainingWatches() {
        return java.util.List.copyOf(watches.values());
    }

    int registrations() {
        return watches.size();
    }

    private void wake() {
        // A full eventfd counter (EAGAIN) still wakes the loop, so the result does not matter.
        try {
            Shim.write(wakeFd, ONE, 0, ONE.length);
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot wake the forkline event loop", e);
        }
    }

    private void run() {
        long[] tokens = new long[MAX_EVENTS];
        int[] events = new int[MAX_EVENTS];
        try {
            while (!stopping) {
                int n = Shim.epollWait(epollFd, tokens, events, -1);
                for (int i = 0; i < n; i++) {
                    long token = tokens[i];
                    if (token == WAKE_TOKEN) {
                        Shim.read(wakeFd, drain, 8);
                        continue;
                    }
                    Watch watch = watches.get(token);
                    if (watch == null) continue; // deregistered after the event was queued
                    try {
                        watch.onEvents(events[i]);
                    } catch (RuntimeException | Error e) {
                        LOG.log(System.Logger.Level.ERROR, "forkline event handler failed", e);
                    }
                }
                for (Runnable task; (task = tasks.poll()) != null; ) {
                    try {
                        task.run();
                    } catch (RuntimeException | Error e) {
                        LOG.log(System.Logger.Level.ERROR, "forkline event loop task failed", e);
                    }
                }
            }
        } catch (SyscallException | RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "forkline event loop stopped", e);
        } finally {
            Shim.freeBuffer(memory); // only this thread uses it, and it is done
            stopped.countDown();
        }
    }

    /** Stops the thread and closes the epoll set; registrations still open are the caller's to close. */
    @Override
    public void close() {
        if (stopping) return;
        stopping = true;
        wake();
        if (!inLoop()) {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Shim.close(wakeFd);
        Shim.close(epollFd);
    }
}
