package io.forkline.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkline.concurrent.XorLock.Kind;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class XorLockTest {

    private final XorLock lock = new XorLock();

    @Test
    void holdersOfOneKindShareTheLock() {
        lock.acquire(Kind.A);
        assertThat(lock.tryAcquire(Kind.A)).isTrue();
        assertThat(lock.holders()).isEqualTo(2);
        assertThat(lock.heldBy()).isEqualTo(Kind.A);
        assertThat(lock.tryAcquire(Kind.B)).isFalse();
        lock.release(Kind.A);
        lock.release(Kind.A);
        assertThat(lock.heldBy()).isNull();
        assertThat(lock.tryAcquire(Kind.B)).isTrue();
    }

    @Test
    void releasingAKindThatDoesNotHoldTheLockIsRefusedWordForWord() {
        assertThatThrownBy(() -> lock.release(Kind.A))
                .isInstanceOf(IllegalMonitorStateException.class)
                .hasMessage("release(A) but the lock is held by nobody");
        lock.acquire(Kind.B);
        assertThatThrownBy(() -> lock.release(Kind.A))
                .isInstanceOf(IllegalMonitorStateException.class)
                .hasMessage("release(A) but the lock is held by kind B");
    }

    @Test
    void aQueuedWaiterOfTheOtherKindStopsNewArrivalsOfTheHoldingKind() throws Exception {
        lock.acquire(Kind.A);
        CompletableFuture<Void> waiterB = Threads.run(() -> lock.acquire(Kind.B));
        awaitQueued();
        // Without this rule a steady stream of A holders would starve B.
        assertThat(lock.tryAcquire(Kind.A)).isFalse();
        lock.release(Kind.A);
        waiterB.get(10, TimeUnit.SECONDS);
        assertThat(lock.heldBy()).isEqualTo(Kind.B);
    }

    @Test
    void theLastHolderHandsOverFromAnyThreadAndAdmitsAllWaitersOfTheHeadKind() throws Exception {
        lock.acquire(Kind.A);
        CountDownLatch bothIn = new CountDownLatch(2);
        CompletableFuture<Void> b1 = Threads.run(() -> { lock.acquire(Kind.B); bothIn.countDown(); });
        awaitQueued();
        CompletableFuture<Void> b2 = Threads.run(() -> { lock.acquire(Kind.B); bothIn.countDown(); });
        // A hold is not tied to its thread: another thread releases the hold this thread took.
        Threads.run(() -> lock.release(Kind.A)).get(10, TimeUnit.SECONDS);
        assertThat(bothIn.await(10, TimeUnit.SECONDS)).isTrue();
        b1.get();
        b2.get();
        assertThat(lock.holders()).isEqualTo(2);
        assertThat(lock.heldBy()).isEqualTo(Kind.B);
    }

    @Test
    void timedAcquireGivesUpAndLeavesNoTrace() throws Exception {
        lock.acquire(Kind.A);
        assertThat(lock.tryAcquire(Kind.B, 20, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(lock.hasQueuedWaiters()).isFalse();
        // The withdrawn waiter must not keep blocking the holding kind.
        assertThat(lock.tryAcquire(Kind.A)).isTrue();
    }

    @Test
    void withdrawingTheOnlyOtherKindWaiterAdmitsTheSameKindWaitersQueuedBehindIt() throws Exception {
        lock.acquire(Kind.A);
        Thread waiterB = Thread.ofPlatform().start(() -> {
            try {
                lock.acquireInterruptibly(Kind.B);
            } catch (InterruptedException expected) {
                // withdrawn, as the test wants
            }
        });
        awaitQueued();
        CompletableFuture<Void> waiterA = Threads.run(() -> lock.acquire(Kind.A));
        while (waiterA.isDone() || !lock.hasQueuedWaiters()) {
            Thread.onSpinWait();
        }
        waiterB.interrupt();
        waiterB.join();
        waiterA.get(10, TimeUnit.SECONDS);
        assertThat(lock.holders()).isEqualTo(2);
        assertThat(lock.hasQueuedWaiters()).isFalse();
    }

    @Test
    void interruptedAcquireThrowsAndHoldsNothing() throws Exception {
        lock.acquire(Kind.A);
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> lock.acquireInterruptibly(Kind.B)).isInstanceOf(InterruptedException.class);
        assertThat(lock.holders()).isEqualTo(1);
    }

    private void awaitQueued() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!lock.hasQueuedWaiters()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(1);
        }
    }
}
