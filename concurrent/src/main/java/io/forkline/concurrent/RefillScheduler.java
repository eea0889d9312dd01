package io.forkline.concurrent;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@link ReplenishingPool}'s refills after a delay. Tests pass one that runs them when the
 * test says so.
 */
@FunctionalInterface
public interface RefillScheduler {

    /**
     * Runs {@code refill} once, about {@code delayNanos} from now, on some other thread.
     *
     * @param refill the task
     * @param delayNanos the delay in nanoseconds, zero or more
     */
    void schedule(Runnable refill, long delayNanos);

    /**
     * A scheduler backed by an executor.
     *
     * @param executor where refills run
     * @return the scheduler
     */
    static RefillScheduler of(ScheduledExecutorService executor) {
        return (refill, delayNanos) -> executor.schedule(refill, delayNanos, TimeUnit.NANOSECONDS);
    }
}
