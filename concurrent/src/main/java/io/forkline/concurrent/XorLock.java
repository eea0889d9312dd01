package io.forkline.concurrent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/** Padding before {@link XorLock}'s state word; see {@link XorLockState}. */
abstract class XorLockPadBefore {
    // 128 bytes: the state word is CASed by every holder, so it must not share a cache line (or the
    // prefetched neighbour line) with whatever the allocator placed before this lock.
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/** The state word of {@link XorLock}, on its own cache line. */
abstract class XorLockState extends XorLockPadBefore {
    /**
     * Bits 0-1: the kind that holds the lock (0 = free). Bit 2: waiters are queued, so arrivals of
     * the holding kind must queue too. Bits 3-30: number of holders.
     */
    volatile int state;
}

/** Padding after {@link XorLock}'s state word, against objects allocated after the lock. */
abstract class XorLockPadAfter extends XorLockState {
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;
}

/**
 * A group mutual-exclusion lock over two kinds: any number of holders of one kind share it, and the
 * two kinds exclude each other.
 *
 * <p>This is the "either-or" lock of seed 002: Go 1.21 turned {@code syscall.ForkLock} into one so
 * that concurrent forks no longer serialize behind each other while fd creation still excludes
 * them ({@code src/syscall/forkpipe2.go}, {@code hasWaitingReaders}). In the literature it is group
 * mutual exclusion with two sessions, Joung's "congenial talking philosophers" (Y.-J. Joung,
 * Distributed Computing 13(4), 2000).
 *
 * <p>Properties:
 *
 * <ul>
 *   <li><b>Uncontended acquire is one CAS</b> on a single padded state word, and so is uncontended
 *       release.
 *   <li><b>No starvation.</b> Once a waiter of the other kind is queued, arrivals of the holding
 *       kind queue behind it. When the last holder leaves, it admits every queued waiter of the kind
 *       at the head of the queue at once (a phase), so a waiter waits for at most two phases.
 *   <li><b>Not owned by a thread.</b> The lock counts holders, not threads; any thread may release
 *       a hold, and whichever thread releases the last hold performs the hand-over.
 *   <li>Interruptible and timed acquisition, like {@link java.util.concurrent.locks.Lock}.
 * </ul>
 *
 * <p>Waiters are kept in a FIFO under a small internal mutex that only the slow paths take.
 */
public final class XorLock extends XorLockPadAfter {

    /** The two kinds of holder. Holders of one kind share the lock; the kinds exclude each other. */
    public enum Kind {
        /** The first kind, for example "fork" in Go's ForkLock. */
        A,
        /** The second kind, for example "open a file descriptor" in Go's ForkLock. */
        B;

        final int modeBits = ordinal() + 1;

        Kind other() {
            return this == A ? B : A;
        }
    }

    private static final int MODE_MASK = 0b011;
    private static final int QUEUED = 0b100;
    private static final int COUNT_SHIFT = 3;
    private static final int ONE_HOLDER = 1 << COUNT_SHIFT;
    private static final int MAX_HOLDERS = Integer.MAX_VALUE >>> COUNT_SHIFT;
    /** About 5-10 microseconds of {@link Thread#onSpinWait()} on current x86. */
    private static final int SPINS_BEFORE_PARK = 1 << 11;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(XorLockState.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Guards {@link #waiters} and every change of the QUEUED bit. Only slow paths take it. */
    private final ReentrantLock queueLock = new ReentrantLock();

    /** FIFO of blocked acquirers; guarded by {@link #queueLock}. Non-empty exactly when QUEUED is set. */
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

    /** A blocked acquirer. */
    private static final class Waiter {
        final Kind kind;
        final Thread thread;
        /** Set under {@code queueLock} when the waiter has been counted as a holder. */
        volatile boolean granted;

        Waiter(Kind kind, Thread thread) {
            this.kind = kind;
            this.thread = thread;
        }
    }

    /** Creates a free lock. */
    public XorLock() {}

    private int lvState() {
        return (int) STATE.getVolatile(this);
    }

    private boolean casState(int expected, int next) {
        return STATE.compareAndSet(this, expected, next);
    }

    private static int holders(int state) {
        return state >>> COUNT_SHIFT;
    }

    /**
     * Acquires a hold of {@code kind}, waiting as long as it takes. If the thread is interrupted while
     * waiting, it keeps waiting and returns with its interrupt status set.
     *
     * @param kind the kind of hold to take
     */
    public void acquire(Kind kind) {
        Objects.requireNonNull(kind, "kind");
        if (tryAcquireFast(kind)) {
            return;
        }
        try {
            acquireSlow(kind, false, 0L);
        } catch (InterruptedException impossible) {
            throw new AssertionError("uninterruptible acquire was interrupted", impossible);
        }
    }

    /**
     * Acquires a hold of {@code kind}, waiting until it is granted or the thread is interrupted.
     *
     * @param kind the kind of hold to take
     * @throws InterruptedException if interrupted before the hold was granted; the thread then holds
     *     nothing
     */
    public void acquireInterruptibly(Kind kind) throws InterruptedException {
        Objects.requireNonNull(kind, "kind");
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (!tryAcquireFast(kind)) {
            acquireSlow(kind, true, 0L);
        }
    }

    /**
     * Takes a hold of {@code kind} only if that needs no waiting: the lock is free, or held by {@code
     * kind} with no waiter queued. Like the blocking forms, it never barges past a queued waiter.
     *
     * @param kind the kind of hold to take
     * @return whether the hold was taken
     */
    public boolean tryAcquire(Kind kind) {
        Objects.requireNonNull(kind, "kind");
        return tryAcquireFast(kind);
    }

    /**
     * Acquires a hold of {@code kind}, waiting at most {@code timeout}.
     *
     * @param kind the kind of hold to take
     * @param timeout how long to wait at most; zero or less means do not wait
     * @param unit unit of {@code timeout}
     * @return whether the hold was taken
     * @throws InterruptedException if interrupted before the hold was granted; the thread then holds
     *     nothing
     */
    public boolean tryAcquire(Kind kind, long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(unit, "unit");
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (tryAcquireFast(kind)) {
            return true;
        }
        long nanos = unit.toNanos(timeout);
        if (nanos <= 0L) {
            return false;
        }
        // The deadline is never 0 by accident: 0 means "no deadline" to acquireSlow.
        long deadline = System.nanoTime() + nanos;
        return acquireSlow(kind, true, deadline == 0L ? 1L : deadline);
    }

    /**
     * Releases one hold of {@code kind}. Any thread may release a hold that any other thread took.
     * Releasing the last hold while waiters are queued hands the lock over to them.
     *
     * @param kind the kind the hold was taken as
     * @throws IllegalMonitorStateException if the lock holds no hold of {@code kind}
     */
    public void release(Kind kind) {
        Objects.requireNonNull(kind, "kind");
        for (; ; ) {
            int state = lvState();
            if ((state & MODE_MASK) != kind.modeBits) {
                throw notHeld(kind, state);
            }
            if (holders(state) > 1) {
                if (casState(state, state - ONE_HOLDER)) {
                    return;
                }
            } else if ((state & QUEUED) == 0) {
                if (casState(state, 0)) {
                    return;
                }
            } else {
                releaseLastAndHandOver(kind);
                return;
            }
        }
    }

    /**
     * The number of holds right now. The answer may be stale by the time it is used: a diagnostic.
     *
     * @return the number of holds
     */
    public int holders() {
        return holders(lvState());
    }

    /**
     * The kind that holds the lock right now, or {@code null} when it is free; a diagnostic.
     *
     * @return the holding kind, or {@code null}
     */
    public Kind heldBy() {
        int mode = lvState() & MODE_MASK;
        return mode == 0 ? null : Kind.values()[mode - 1];
    }

    /**
     * Whether any acquirer is queued right now; a diagnostic.
     *
     * @return whether a waiter is queued
     */
    public boolean hasQueuedWaiters() {
        return (lvState() & QUEUED) != 0;
    }

    @Override
    public String toString() {
        int state = lvState();
        Kind kind = heldBy();
        return "XorLock[" + (kind == null ? "free" : holders(state) + " x " + kind)
                + ((state & QUEUED) != 0 ? ", waiters queued]" : "]");
    }

    private static IllegalMonitorStateException notHeld(Kind kind, int state) {
        int mode = state & MODE_MASK;
        String holder = mode == 0 ? "nobody" : "kind " + Kind.values()[mode - 1];
        return new IllegalMonitorStateException(
                "release(" + kind + ") but the lock is held by " + holder);
    }

    private boolean tryAcquireFast(Kind kind) {
        for (; ; ) {
            int state = lvState();
            if (state == 0) {
                if (casState(0, kind.modeBits | ONE_HOLDER)) {
                    return true;
                }
            } else if ((state & (MODE_MASK | QUEUED)) == kind.modeBits) {
                if (holders(state) == MAX_HOLDERS) {
                    throw new IllegalStateException("XorLock cannot count more than " + MAX_HOLDERS + " holders");
                }
                if (casState(state, state + ONE_HOLDER)) {
                    return true;
                }
            } else {
                return false;
            }
        }
    }

    /**
     * Queues the caller, or takes the lock if it became available on the way here.
     *
     * @param deadline {@link System#nanoTime()} to give up at, or 0 for no deadline
     * @return false only when the deadline passed
     */
    private boolean acquireSlow(Kind kind, boolean interruptible, long deadline)
            throws InterruptedException {
        Waiter waiter;
        queueLock.lock();
        try {
            for (; ; ) {
                int state = lvState();
                if (state == 0 || (state & (MODE_MASK | QUEUED)) == kind.modeBits) {
                    if (tryAcquireFast(kind)) {
                        return true;
                    }
                    continue;
                }
                // Held by the other kind, or waiters are queued. Set QUEUED (under queueLock) so that the
                // last holder goes through releaseLastAndHandOver instead of just freeing the word.
                if ((state & QUEUED) != 0 || casState(state, state | QUEUED)) {
                    break;
                }
            }
            waiter = new Waiter(kind, Thread.currentThread());
            waiters.addLast(waiter);
        } finally {
            queueLock.unlock();
        }
        // Phases are usually short: spin for a few microseconds before paying for park and unpark,
        // which cost tens of microseconds on a loaded machine and would dominate a 1:100 mix.
        for (int spin = 0; spin < SPINS_BEFORE_PARK && !waiter.granted; spin++) {
            Thread.onSpinWait();
        }
        boolean interruptedMeanwhile = false;
        while (!waiter.granted) {
            if (deadline == 0L) {
                LockSupport.park(this);
            } else {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0L) {
                    if (cancel(waiter)) {
                        return false;
                    }
                    break; // granted while we timed out: we hold it after all
                }
                LockSupport.parkNanos(this, remaining);
            }
            if (Thread.interrupted()) {
                if (!interruptible) {
                    interruptedMeanwhile = true;
                } else if (cancel(waiter)) {
                    throw new InterruptedException();
                } else {
                    interruptedMeanwhile = true; // granted first: keep the hold, keep the interrupt
                    break;
                }
            }
        }
        if (interruptedMeanwhile) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    /** The caller holds the last hold and QUEUED was set when it looked. */
    private void releaseLastAndHandOver(Kind kind) {
        List<Waiter> admitted;
        queueLock.lock();
        try {
            for (; ; ) {
                int state = lvState();
                if ((state & MODE_MASK) != kind.modeBits) {
                    throw notHeld(kind, state);
                }
                // A waiter that gave up may have admitted others or cleared QUEUED before we got the lock.
                if (holders(state) > 1) {
                    if (casState(state, state - ONE_HOLDER)) {
                        return;
                    }
                    continue;
                }
                if ((state & QUEUED) == 0) {
                    if (casState(state, 0)) {
                        return;
                    }
                    continue;
                }
                admitted = dequeueKind(waiters.peekFirst().kind);
                int next = admitted.getFirst().kind.modeBits | admitted.size() * ONE_HOLDER
                        | (waiters.isEmpty() ? 0 : QUEUED);
                // Nobody else can change the word now: we are the only holder, QUEUED sends arrivals to
                // queueLock, and cancellations hold queueLock. The CAS is a cheap guard for that argument.
                if (!casState(state, next)) {
                    throw new IllegalStateException("XorLock state changed during hand-over: " + state);
                }
                for (Waiter waiter : admitted) {
                    waiter.granted = true;
                }
                break;
            }
        } finally {
            queueLock.unlock();
        }
        for (Waiter waiter : admitted) {
            LockSupport.unpark(waiter.thread);
        }
    }

    /** Removes every queued waiter of {@code kind}, in queue order. Caller holds queueLock. */
    private List<Waiter> dequeueKind(Kind kind) {
        List<Waiter> taken = new ArrayList<>();
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter waiter = it.next();
            if (waiter.kind == kind) {
                it.remove();
                taken.add(waiter);
            }
        }
        return taken;
    }

    /**
     * Withdraws a waiter that timed out or was interrupted.
     *
     * @return true if withdrawn; false if it had been granted already (it then holds the lock)
     */
    private boolean cancel(Waiter waiter) {
        List<Waiter> admitted = List.of();
        queueLock.lock();
        try {
            if (!waiters.remove(waiter)) {
                return false;
            }
            // If no waiter of the other kind is left, the remaining waiters were only queued behind the
            // one that just left: admit them into the current phase, else they would wait for no one.
            for (; ; ) {
                int state = lvState();
                Kind holding = Kind.values()[(state & MODE_MASK) - 1];
                boolean otherKindQueued = false;
                for (Waiter w : waiters) {
                    otherKindQueued |= w.kind == holding.other();
                }
                if (otherKindQueued) {
                    return true;
                }
                if (holders(state) + waiters.size() > MAX_HOLDERS) {
                    return true; // absurd overflow; they stay queued until the next hand-over
                }
                int next = (state & ~QUEUED) + waiters.size() * ONE_HOLDER;
                if (casState(state, next)) {
                    admitted = new ArrayList<>(waiters);
                    waiters.clear();
                    for (Waiter w : admitted) {
                        w.granted = true;
                    }
                    return true;
                }
            }
        } finally {
            queueLock.unlock();
            for (Waiter w : admitted) {
                LockSupport.unpark(w.thread);
            }
        }
    }
}
