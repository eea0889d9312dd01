package io.forkline.concurrent;

import io.forkline.concurrent.XorLock.Kind;
import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;

/**
 * The exclusion invariant of {@link XorLock}: never a holder of A and a holder of B inside at once,
 * checked by Lincheck in model-checking and stress modes, and shown to catch a lock that checks the
 * holding kind and then claims it in two steps.
 */
class XorLockLincheckTest {

    /**
     * Each operation enters a critical section of one kind and reports whether it saw the other kind
     * inside. Sequentially every operation returns true, so any false is a violation.
     */
    abstract static class ExclusionScenario {
        private final AtomicInteger insideA = new AtomicInteger();
        private final AtomicInteger insideB = new AtomicInteger();

        abstract void lock(Kind kind);

        abstract boolean tryLock(Kind kind);

        abstract void unlock(Kind kind);

        private AtomicInteger inside(Kind kind) {
            return kind == Kind.A ? insideA : insideB;
        }

        private boolean criticalSection(Kind kind) {
            // Both counters are volatile, so of two threads of different kinds inside at once at least
            // one sees the other's increment.
            inside(kind).incrementAndGet();
            boolean alone = inside(kind == Kind.A ? Kind.B : Kind.A).get() == 0;
            inside(kind).decrementAndGet();
            return alone;
        }

        private boolean section(Kind kind) {
            lock(kind);
            try {
                return criticalSection(kind);
            } finally {
                unlock(kind);
            }
        }

        @Operation
        public boolean fork() {
            return section(Kind.A);
        }

        @Operation
        public boolean open() {
            return section(Kind.B);
        }

        @Operation
        public boolean tryFork() {
            if (!tryLock(Kind.A)) {
                return true;
            }
            try {
                return criticalSection(Kind.A);
            } finally {
                unlock(Kind.A);
            }
        }
    }

    public static class XorLockScenario extends ExclusionScenario {
        private final XorLock lock = new XorLock();

        @Override
        void lock(Kind kind) {
            lock.acquire(kind);
        }

        @Override
        boolean tryLock(Kind kind) {
            return lock.tryAcquire(kind);
        }

        @Override
        void unlock(Kind kind) {
            lock.release(kind);
        }
    }

    /** Seeded bug: "is the lock free or mine?" and "make it mine" are two steps, not one CAS. */
    public static class CheckThenClaimScenario extends ExclusionScenario {
        private final AtomicInteger mode = new AtomicInteger();
        private final AtomicInteger holders = new AtomicInteger();

        @Override
        void lock(Kind kind) {
            while (!tryLock(kind)) {
                Thread.onSpinWait();
            }
        }

        @Override
        boolean tryLock(Kind kind) {
            int current = mode.get();
            if (current != 0 && current != kind.modeBits) {
                return false;
            }
            mode.set(kind.modeBits);
            holders.incrementAndGet();
            return true;
        }

        @Override
        void unlock(Kind kind) {
            if (holders.decrementAndGet() == 0) {
                mode.set(0);
            }
        }
    }

    @Test
    void modelCheckingFindsNoExclusionViolation() {
        LincheckRuns.modelChecking().check(XorLockScenario.class);
    }

    @Test
    void stressFindsNoExclusionViolation() {
        LincheckRuns.stress().check(XorLockScenario.class);
    }

    @Test
    void modelCheckingCatchesCheckThenClaim() {
        LincheckRuns.assertCatches(
                LincheckRuns.modelCheckingForSeededBug(),
                CheckThenClaimScenario.class,
                LincheckRuns.INVALID_RESULTS);
    }
}
