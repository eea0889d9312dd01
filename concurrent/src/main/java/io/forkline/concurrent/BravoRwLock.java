package io.forkline.concurrent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A reader-writer lock with a per-object reader bias over one table of visible readers shared by
 * all instances: BRAVO, "Biased Locking for Reader-Writer Locks" (D. Dice and A. Kogan, USENIX ATC
 * 2019).
 *
 * <p>This is the per-object direction of seeds 000/001: Yi Tao's patch replaces the global {@code
 * cgroup_threadgroup_rwsem} with one lock per thread group. {@link PerCpuRwLock} costs {@code
 * stripes * 128} bytes per instance; here every instance costs a few words plus its underlying
 * {@link ReentrantReadWriteLock}, however many instances there are, because the striped reader
 * state lives in a shared {@link ReaderTable}.
 *
 * <p>While the lock is read-biased, a reader publishes itself by CASing this lock into the table
 * slot that hashes from (lock, thread), then re-checks the bias (Dekker, as in {@link
 * PerCpuRwLock}). If the slot is taken by another reader, or the bias is off, it takes the
 * underlying read lock instead. A writer takes the underlying write lock, turns the bias off, and
 * waits until no slot of the table names this lock. Revocation costs a full table scan, so after
 * one the bias stays off for {@value #INHIBIT_MULTIPLIER} times as long as the scan took, which
 * bounds the writers' overhead; a slow-path reader turns it back on after that.
 *
 * <p>{@link #readLock()} returns a ticket that {@link #readUnlock(int)} needs back, because the two
 * paths release differently. Both sides belong to the thread that took them, as in the underlying
 * lock.
 */
public final class BravoRwLock {

    /** How much longer than a revocation scan the bias stays off: N in the paper, which uses 9. */
    public static final int INHIBIT_MULTIPLIER = 9;

    /** The ticket {@link #readLock()} returns when the reader went through the underlying lock. */
    public static final int SLOW_READ = -1;

    private static final VarHandle READ_BIAS;
    private static final int GOLDEN_GAMMA = 0x9E3779B9;

    static {
        try {
            READ_BIAS = MethodHandles.lookup().findVarHandle(BravoRwLock.class, "readBias", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The visible-readers table that {@link BravoRwLock} instances share: a slot holds the lock a
     * reader holds through the fast path, or null.
     */
    public static final class ReaderTable {
        /** Slots of the default shared table; the paper uses 4096. */
        public static final int DEFAULT_SLOTS = 4096;

        private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);
        private static final ReaderTable SHARED = new ReaderTable(DEFAULT_SLOTS);

        private final Object[] slots;
        private final int mask;

        /**
         * Creates a table. Slots are not padded: hashing spreads readers, and padding 4096 slots would
         * cost 512 KiB; the paper measures the same trade-off.
         *
         * @param slots number of slots, a positive power of two
         * @throws IllegalArgumentException if {@code slots} is not a positive power of two
         */
        public ReaderTable(int slots) {
            Stripes.requirePowerOfTwo("slots", slots);
            this.slots = new Object[slots];
            this.mask = slots - 1;
        }

        /**
         * The table shared by locks created without one.
         *
         * @return the process-wide table
         */
        public static ReaderTable shared() {
            return SHARED;
        }

        boolean casSlot(int slot, Object expected, Object next) {
            return SLOTS.compareAndSet(slots, slot, expected, next);
        }

        void soSlot(int slot, Object value) {
            SLOTS.setRelease(slots, slot, value);
        }

        Object lvSlot(int slot) {
            return SLOTS.getVolatile(slots, slot);
        }
    }

    private final ReaderTable table;
    private final ReentrantReadWriteLock underlying = new ReentrantReadWriteLock();
    /** Computed once: identityHashCode is not free, and the slot hash needs it on every read. */
    private final int lockHash;

    /** Whether readers may use the table. Read by every reader; written by writers and slow readers. */
    @SuppressWarnings("unused") // accessed through READ_BIAS
    private volatile boolean readBias = true;

    /**
     * {@link System#nanoTime()} before which slow readers leave the bias off. Written by a writer
     * under the write lock, read by slow readers under the read lock, so the underlying lock orders
     * both accesses and the field needs no access mode of its own.
     */
    private long inhibitUntilNanos;

    /** Creates a lock that uses the process-wide {@link ReaderTable#shared() shared table}. */
    public BravoRwLock() {
        this(ReaderTable.shared());
    }

    /**
     * Creates a lock that publishes its fast-path readers in {@code table}.
     *
     * @param table the visible-readers table to share with other locks
     */
    public BravoRwLock(ReaderTable table) {
        this.table = java.util.Objects.requireNonNull(table, "table");
        this.lockHash = System.identityHashCode(this) * GOLDEN_GAMMA;
    }

    private boolean lvReadBias() {
        return (boolean) READ_BIAS.getVolatile(this);
    }

    private int slotForCurrentThread() {
        int h = lockHash ^ (int) Thread.currentThread().threadId() * GOLDEN_GAMMA;
        return (h ^ (h >>> 16)) & table.mask;
    }

    /**
     * Acquires the read side.
     *
     * @return a ticket to pass to {@link #readUnlock(int)}
     */
    public int readLock() {
        if (lvReadBias()) {
            int slot = slotForCurrentThread();
            if (table.casSlot(slot, null, this)) {
                // The CAS and this load are both volatile: a writer that cleared the bias and then scans
                // either sees our slot or we see its cleared bias.
                if (lvReadBias()) {
                    return slot;
                }
                table.soSlot(slot, null);
            }
        }
        underlying.readLock().lock();
        // Reinstate the bias once the inhibition window has passed. Holding the read lock means no
        // writer is inside, so no scan can miss a reader that uses the bias we turn on here.
        if (!lvReadBias() && System.nanoTime() - inhibitUntilNanos >= 0L) {
            READ_BIAS.setVolatile(this, true);
        }
        return SLOW_READ;
    }

    /**
     * Releases the read side.
     *
     * @param ticket what {@link #readLock()} returned
     */
    public void readUnlock(int ticket) {
        if (ticket == SLOW_READ) {
            underlying.readLock().unlock();
        } else {
            // Release store: the reader's critical section happens-before the revoking writer's scan.
            table.soSlot(ticket, null);
        }
    }

    /** Acquires the write side, revoking the reader bias if it is on. Not interruptible. */
    public void writeLock() {
        underlying.writeLock().lock();
        if (lvReadBias()) {
            READ_BIAS.setVolatile(this, false);
            long start = System.nanoTime();
            for (int slot = 0; slot <= table.mask; slot++) {
                for (int spin = 0; table.lvSlot(slot) == this; spin++) {
                    if (spin < 1024) {
                        Thread.onSpinWait();
                    } else {
                        Thread.yield();
                    }
                }
            }
            long now = System.nanoTime();
            inhibitUntilNanos = now + (now - start) * INHIBIT_MULTIPLIER;
        }
    }

    /**
     * Releases the write side.
     *
     * @throws IllegalMonitorStateException if the calling thread does not hold the write side
     */
    public void writeUnlock() {
        underlying.writeLock().unlock();
    }
}
