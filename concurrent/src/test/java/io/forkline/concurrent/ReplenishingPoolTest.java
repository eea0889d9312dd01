package io.forkline.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ReplenishingPoolTest {

    /** Counts creations and destructions; an object is its serial number. */
    static class Counting implements PooledObjectFactory<Integer> {
        final AtomicInteger created = new AtomicInteger();
        final AtomicInteger destroyed = new AtomicInteger();

        @Override
        public Integer create() {
            return created.incrementAndGet();
        }

        @Override
        public boolean recycle(Integer object) {
            return object % 2 == 0;
        }

        @Override
        public void destroy(Integer object) {
            destroyed.incrementAndGet();
        }
    }

    private final Counting factory = new Counting();
    private final PoolLincheckTest.ManualScheduler scheduler = new PoolLincheckTest.ManualScheduler();

    @Test
    void validatesParametersWordForWord() {
        assertThatThrownBy(() -> new ReplenishingPool<>(factory, 0, 0, Duration.ZERO, scheduler))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capacity must be positive: 0");
        assertThatThrownBy(() -> new ReplenishingPool<>(factory, 4, 5, Duration.ZERO, scheduler))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lowWaterMark must be in [0, capacity 4]: 5");
        assertThatThrownBy(() -> new ReplenishingPool<>(factory, 4, 1, Duration.ofSeconds(-1), scheduler))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("refillDelay must not be negative: PT-1S");
    }

    @Test
    void emptyPoolCreatesInlineAndCountsIt() {
        ReplenishingPool<Integer> pool = new ReplenishingPool<>(factory, 4, 2, Duration.ZERO, scheduler);
        assertThat(pool.acquire()).isEqualTo(1);
        assertThat(pool.slowCreates()).isEqualTo(1);
    }

    @Test
    void refillRunsWhenRequestedAndFillsToCapacity() {
        ReplenishingPool<Integer> pool = new ReplenishingPool<>(factory, 4, 2, Duration.ZERO, scheduler);
        scheduler.runPending(); // the initial fill the constructor requested
        assertThat(pool.idleCount()).isEqualTo(4);
        pool.acquire();
        pool.acquire();
        assertThat(pool.idleCount()).isEqualTo(2);
        pool.acquire(); // below the low-water mark: requests a refill, which has not run yet
        assertThat(pool.idleCount()).isEqualTo(1);
        scheduler.runPending();
        assertThat(pool.idleCount()).isEqualTo(4);
        assertThat(pool.slowCreates()).isZero();
        assertThat(pool.refillCreates()).isEqualTo(7);
    }

    @Test
    void refillWaitsForTheDelayOnARealScheduler() throws Exception {
        try (ReplenishingPool<Integer> pool = new ReplenishingPool<>(factory, 4, 4, Duration.ofMillis(200))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (pool.idleCount() < 4) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(1);
            }
            pool.acquire();
            Thread.sleep(50);
            assertThat(pool.idleCount()).as("refilled before the delay").isEqualTo(3);
            while (pool.idleCount() < 4) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(1);
            }
        }
    }

    @Test
    void releaseRecyclesWhatValidatesAndDestroysTheRest() {
        ReplenishingPool<Integer> pool = new ReplenishingPool<>(factory, 4, 0, Duration.ZERO, scheduler);
        int odd = pool.acquire();
        int even = pool.acquire();
        pool.release(odd);
        pool.release(even);
        assertThat(factory.destroyed).hasValue(1);
        assertThat(pool.acquire()).isEqualTo(even);
    }

    @Test
    void closeDestroysIdleObjectsAndObjectsStillBeingCreated() throws Exception {
        CountDownLatch creating = new CountDownLatch(1);
        CountDownLatch finishCreate = new CountDownLatch(1);
        Counting slow = new Counting() {
            @Override
            public Integer create() {
                if (created.get() == 2) {
                    creating.countDown();
                    try {
                        finishCreate.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
                return super.create();
            }
        };
        ReplenishingPool<Integer> pool = new ReplenishingPool<>(slow, 2, 0, Duration.ZERO, scheduler);
        scheduler.runPending();
        assertThat(pool.idleCount()).isEqualTo(2);
        pool.acquire();
        pool.acquire();
        CompletableFuture<Integer> inline = Threads.supply(pool::acquire);
        assertThat(creating.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> closing = Threads.run(pool::close);
        Thread.sleep(20);
        assertThat(closing).as("close waits for the creation in flight").isNotDone();
        finishCreate.countDown();
        closing.get(10, TimeUnit.SECONDS);
        assertThatThrownBy(inline::join).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pool is closed");
        assertThat(slow.destroyed).hasValue(1);
        assertThat(pool.slowCreates()).isEqualTo(1);
        pool.release(2);
        assertThat(slow.destroyed).hasValue(2);
        assertThatThrownBy(pool::acquire)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("pool is closed");
    }
}
