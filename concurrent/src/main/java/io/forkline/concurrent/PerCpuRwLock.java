package io.forkline.concurrent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A reader-writer lock whose readers touch only their own padded counter: the Linux per-CPU
 * rw-semaphore ({@code kernel/locking/percpu-rwsem.c}), the lock behind {@code
 * cgroup_threadgroup_rwsem} in seeds 000 and 001.
 *
 * <p>Readers increment the counter of their stripe (see {@link Stripes}) and then load the writer
 * flag; a writer stores the flag and then sums the counters. Both sides use sequentially consistent
 * accesses, so this is Dekker's handshake: either the reader sees the flag and backs off, or the
 * writer sees the reader's increment and waits for it. A reader that backs off waits for the writer
 * and retries. {@link #readUnlock()} decrements the counter of the calling thread's stripe, which is
 * the stripe it locked on when the same thread unlocks; when another thread unlocks, one stripe
 * goes up and another down, and only the sum, which the writer reads, has to be right (the kernel
 * calls this "the count is modular").
 *
 * <p>Writers are mutually exclusive through a mutex and are preferred: once a writer has set
 * its flag, new readers spin briefly and then sleep until it leaves, and the leaving writer wakes
 * them all at once, as {@code percpu_up_write} does (waking them one by one through a fair mutex
 * makes a convoy when threads outnumber cores). Readers pay no
 * shared write on the fast path, writers pay a scan of all stripes, so this lock is for data read
 * hundreds of times per write. Memory is {@code (stripes + 1) * 128} bytes per lock; {@link
 * BravoRwLock} keeps memory per lock constant instead.
 *
 * <p>The read side is not reentrant across a waiting writer (a reader that re-acquires while a
 * writer waits deadlocks, as with the kernel lock). The write side belongs to the thread that took
 * it.
 */
public final class PerCpuRwLock {

    private static final int LONGS_PER_STRIPE = Stripes.PAD_BYTES / Long.BYTES;
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle WRITER;
    /** Fast-path retries a reader makes, spinning while a writer is active, before it blocks. */
    private static final int READER_RETRIES = 4;
    private static final int READER_SPINS = 256;
    private static final int WRITER_SPINS = 1024;

    static {
        try {
            WRITER = MethodHandles.lookup().findVarHandle(PerCpuRwLock.class, "writer", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Reader counts, one per stripe at index {@code (stripe + 1) * LONGS_PER_STRIPE}: the first 128
     * bytes are padding against the array header and whatever precedes the array, and the gaps keep
     * two stripes' counters off one cache line, since each is written by a different thread.
     */
    private final long[] readerCounts;

    private final int stripeMask;

    /** The active writer, or null when the reader fast path is open. Read by every reader. */
    @SuppressWarnings("unused") // accessed through WRITER
    private volatile Thread writer;

    /**
     * Serializes writers. Not fair: a fair lock hands the write side to a parked writer, and when
     * threads outnumber cores every such hand-off waits for a time slice while readers wait too.
     */
    private final ReentrantLock writerMutex = new ReentrantLock();

    /** Readers that backed off sleep on {@link #writerLeft} until the writer clears its flag. */
    private final ReentrantLock readerGate = new ReentrantLock();

    private final Condition writerLeft = readerGate.newCondition();

    /** Creates a lock with {@code 2 * availableProcessors} stripes, rounded up to a power of two. */
    public PerCpuRwLock() {
        this(Stripes.defaultCount());
    }

    /**
     * Creates a lock with the given number of reader stripes.
     *
     * @param stripes number of reader counters, a positive power of two
     * @throws IllegalArgumentException if {@code stripes} is not a positive power of two
     */
    public PerCpuRwLock(int stripes) {
        Stripes.requirePowerOfTwo("stripes", stripes);
        this.stripeMask = stripes - 1;
        this.readerCounts = new long[(stripes + 2) * LONGS_PER_STRIPE];
    }

    private static int indexOf(int stripe) {
        return (stripe + 1) * LONGS_PER_STRIPE;
    }

    private Thread lvWriter() {
        return (Thread) WRITER.getVolatile(this);
    }

    private void gaaCount(int index, long delta) {
        COUNTS.getAndAdd(readerCounts, index, delta);
    }

    /** Acquires the read side. */
    public void readLock() {
        int index = indexOf(Stripes.current(stripeMask));
        gaaCount(index, 1L);
        if (lvWriter() == null) {
            return;
        }
        readLockSlow(index);
    }

    private void readLockSlow(int index) {
        boolean interrupted = false;
        for (int retry = 0; ; retry++) {
            // Back off so that the writer's drain can finish, and tell it we left.
            gaaCount(index, -1L);
            wakeWriter();
            if (retry < READER_RETRIES) {
                // Writers are short: spin for a while before paying for a park.
                for (int spin = 0; spin < READER_SPINS && lvWriter() != null; spin++) {
                    Thread.onSpinWait();
                }
            } else {
                interrupted |= awaitWriterLeft();
            }
            gaaCount(index, 1L);
            if (lvWriter() == null) {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
        }
    }

    /** Sleeps until no writer is active; returns whether the thread was interrupted meanwhile. */
    private boolean awaitWriterLeft() {
        boolean interrupted = false;
        readerGate.lock();
        try {
            // writeUnlock clears the flag before it takes readerGate to signal, so a flag seen set here
            // under the gate is followed by a signal we will receive.
            while (lvWriter() != null) {
                try {
                    writerLeft.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            readerGate.unlock();
        }
        return interrupted;
    }

    /** Releases the read side; any thread may release a read hold that another took. */
    public void readUnlock() {
        gaaCount(indexOf(Stripes.current(stripeMask)), -1L);
        // Volatile load after the decrement: Dekker again, against the writer's "store flag, sum".
        wakeWriter();
    }

    private void wakeWriter() {
        Thread waitingWriter = lvWriter();
        if (waitingWriter != null) {
            LockSupport.unpark(waitingWriter);
        }
    }

    /** Acquires the write side, waiting for readers inside to leave. Not interruptible. */
    public void writeLock() {
        writerMutex.lock();
        WRITER.setVolatile(this, Thread.currentThread());
        boolean interrupted = false;
        for (int spin = 0; readerSum() != 0L; spin++) {
            if (spin < WRITER_SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Releases the write side.
     *
     * @throws IllegalMonitorStateException if the calling thread does not hold the write side
     */
    public void writeUnlock() {
        if (!writerMutex.isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("writeUnlock() by a thread that does not hold the write lock");
        }
        // Release store: the writer's critical section happens-before readers that see null.
        WRITER.setRelease(this, (Thread) null);
        readerGate.lock();
        try {
            writerLeft.signalAll();
        } finally {
            readerGate.unlock();
        }
        writerMutex.unlock();
    }

    private long readerSum() {
        long sum = 0L;
        for (int stripe = 0; stripe <= stripeMask; stripe++) {
            sum += (long) COUNTS.getVolatile(readerCounts, indexOf(stripe));
        }
        return sum;
    }

    /**
     * The number of read holds right now, summed over stripes without a snapshot: a diagnostic.
     *
     * @return the sum of the reader counters
     */
    public long readHolds() {
        return readerSum();
    }
}
