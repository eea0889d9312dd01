package io.forkline.concurrent;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;

/**
 * The reader-writer exclusion invariant (a writer is alone; readers only share with readers) for
 * {@link PerCpuRwLock} and {@link BravoRwLock}, by Lincheck in model-checking and stress modes, and
 * shown to catch a per-CPU lock whose readers skip the writer-flag re-check.
 */
class RwLockLincheckTest {

    /** Each operation reports whether its critical section was exclusive enough; always true alone. */
    abstract static class RwScenario {
        private final AtomicInteger readers = new AtomicInteger();
        private final AtomicInteger writers = new AtomicInteger();

        abstract int readLock();

        abstract void readUnlock(int ticket);

        abstract void writeLock();

        abstract void writeUnlock();

        @Operation
        public boolean read() {
            int ticket = readLock();
            try {
                readers.incrementAndGet();
                boolean noWriter = writers.get() == 0;
                readers.decrementAndGet();
                return noWriter;
            } finally {
                readUnlock(ticket);
            }
        }

        @Operation
        public boolean write() {
            writeLock();
            try {
                boolean alone = writers.incrementAndGet() == 1 && readers.get() == 0;
                writers.decrementAndGet();
                return alone;
            } finally {
                writeUnlock();
            }
        }
    }

    public static class PerCpuScenario extends RwScenario {
        private final PerCpuRwLock lock = new PerCpuRwLock(2);

        @Override
        int readLock() {
            lock.readLock();
            return 0;
        }

        @Override
        void readUnlock(int ticket) {
            lock.readUnlock();
        }

        @Override
        void writeLock() {
            lock.writeLock();
        }

        @Override
        void writeUnlock() {
            lock.writeUnlock();
        }
    }

    public static class BravoScenario extends RwScenario {
        // A private table per scenario: the shared one would carry state between Lincheck invocations.
        private final BravoRwLock lock = new BravoRwLock(new BravoRwLock.ReaderTable(4));

        @Override
        int readLock() {
            return lock.readLock();
        }

        @Override
        void readUnlock(int ticket) {
            lock.readUnlock(ticket);
        }

        @Override
        void writeLock() {
            lock.writeLock();
        }

        @Override
        void writeUnlock() {
            lock.writeUnlock();
        }
    }

    /**
     * Seeded bug: {@link PerCpuRwLock}'s algorithm with the reader's check of the writer flag moved
     * before its increment, so nothing re-checks the flag after the increment is visible.
     */
    public static class NoRecheckScenario extends RwScenario {
        private final AtomicLongArray counts = new AtomicLongArray(2);
        private volatile boolean writerActive;
        private final ReentrantLock writerMutex = new ReentrantLock();

        private static int stripe() {
            return (int) Thread.currentThread().threadId() & 1;
        }

        @Override
        int readLock() {
            while (writerActive) {
                Thread.onSpinWait();
            }
            counts.incrementAndGet(stripe());
            return 0;
        }

        @Override
        void readUnlock(int ticket) {
            counts.decrementAndGet(stripe());
        }

        @Override
        void writeLock() {
            writerMutex.lock();
            writerActive = true;
            while (counts.get(0) + counts.get(1) != 0) {
                Thread.onSpinWait();
            }
        }

        @Override
        void writeUnlock() {
            writerActive = false;
            writerMutex.unlock();
        }
    }

    @Test
    void perCpuModelChecking() {
        LincheckRuns.modelChecking().check(PerCpuScenario.class);
    }

    @Test
    void perCpuStress() {
        LincheckRuns.stress().check(PerCpuScenario.class);
    }

    @Test
    void bravoModelChecking() {
        LincheckRuns.modelChecking().check(BravoScenario.class);
    }

    @Test
    void bravoStress() {
        LincheckRuns.stress().check(BravoScenario.class);
    }

    @Test
    void modelCheckingCatchesMissingWriterRecheck() {
        LincheckRuns.assertCatches(
                LincheckRuns.modelCheckingForSeededBug(),
                NoRecheckScenario.class,
                LincheckRuns.INVALID_RESULTS);
    }
}
