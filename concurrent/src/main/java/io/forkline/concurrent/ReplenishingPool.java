package io.forkline.concurrent;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pool of pre-provisioned objects with a lock-free fast acquire, a delayed background refill, and
 * an inline slow path: Yi Tao's cgroup pool ("[RFC PATCH 0/2] support cgroup pool in v1", LKML,
 * September 2021; seed 004), which takes cgroup creation out from under {@code cgroup_mutex} on
 * the container start path.
 *
 * <ul>
 *   <li><b>acquire</b> pops an idle stack. If that leaves fewer than {@code lowWaterMark} idle
 *       objects, it asks for a refill, which starts {@code refillDelay} later so that it does not
 *       compete with the burst that drained the pool (the patch's "delayed task"). If the stack is
 *       empty, acquire creates an object inline, and counts it ({@link #slowCreates()}).
 *   <li>The <b>refill</b> creates objects one at a time until {@code capacity} are idle. At most
 *       one refill is pending or running at a time.
 *   <li><b>release</b> asks {@link PooledObjectFactory#recycle} to validate and reset the object,
 *       then keeps it if it passed and the pool is below capacity, or destroys it.
 *   <li><b>close</b> is graceful: it destroys the idle objects, waits for creations in flight
 *       (inline and refill), and destroys what they produce; objects released after close are
 *       destroyed.
 * </ul>
 *
 * <p>{@code CgroupPool} is built on this class.
 *
 * @param <T> type of the pooled objects
 */
public final class ReplenishingPool<T> implements ObjectPool<T> {

    private final PooledObjectFactory<T> factory;
    private final int capacity;
    private final int lowWaterMark;
    private final long refillDelayNanos;
    private final RefillScheduler scheduler;
    /** The refill thread this pool started, or null if the caller passed a scheduler. */
    private final ScheduledExecutorService ownedExecutor;

    /**
     * The idle objects, used as a stack: the object released last is handed out first, while its
     * kernel state (a cgroup's css_set, its cache lines) is still warm.
     */
    private final ConcurrentLinkedDeque<T> idle = new ConcurrentLinkedDeque<>();
    /**
     * Approximately {@code idle.size()}, which is O(n) on that deque: updated just after each poll
     * and offer, so it is off by the operations in flight. Only the refill policy reads it.
     */
    private final AtomicInteger idleCount = new AtomicInteger();
    private final AtomicBoolean refillPending = new AtomicBoolean();
    private final AtomicInteger creationsInFlight = new AtomicInteger();
    private final AtomicLong slowCreates = new AtomicLong();
    private final AtomicLong refillCreates = new AtomicLong();
    private final AtomicLong destroyed = new AtomicLong();
    private final AtomicLong refillFailures = new AtomicLong();

    private volatile boolean closed;
    private final ReentrantLock closeLock = new ReentrantLock();
    private final Condition creationsDone = closeLock.newCondition();
    private final ReentrantLock fillLock = new ReentrantLock();

    /**
     * Creates a pool that refills on a daemon thread of its own and starts filling at once.
     *
     * @param factory creates, recycles and destroys the objects
     * @param capacity how many idle objects the refill provisions, positive
     * @param lowWaterMark below this many idle objects an acquire requests a refill, in {@code [0,
     *     capacity]}
     * @param refillDelay how long a requested refill waits before it starts, not negative
     * @throws IllegalArgumentException if a parameter is out of bounds
     */
    public ReplenishingPool(
            PooledObjectFactory<T> factory, int capacity, int lowWaterMark, Duration refillDelay) {
        this(factory, capacity, lowWaterMark, refillDelay, null);
    }

    /**
     * Creates a pool whose refills run on {@code scheduler}, and requests the first fill at once.
     *
     * @param factory creates, recycles and destroys the objects
     * @param capacity how many idle objects the refill provisions, positive
     * @param lowWaterMark below this many idle objects an acquire requests a refill, in {@code [0,
     *     capacity]}
     * @param refillDelay how long a requested refill waits before it starts, not negative
     * @param scheduler runs the refills; the pool does not shut it down
     * @throws IllegalArgumentException if a parameter is out of bounds
     */
    public ReplenishingPool(
            PooledObjectFactory<T> factory,
            int capacity,
            int lowWaterMark,
            Duration refillDelay,
            RefillScheduler scheduler) {
        this.factory = Objects.requireNonNull(factory, "factory");
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        if (lowWaterMark < 0 || lowWaterMark > capacity) {
            throw new IllegalArgumentException(
                    "lowWaterMark must be in [0, capacity " + capacity + "]: " + lowWaterMark);
        }
        Objects.requireNonNull(refillDelay, "refillDelay");
        if (refillDelay.isNegative()) {
            throw new IllegalArgumentException("refillDelay must not be negative: " + refillDelay);
        }
        this.capacity = capacity;
        this.lowWaterMark = lowWaterMark;
        this.refillDelayNanos = refillDelay.toNanos();
        if (scheduler == null) {
            this.ownedExecutor =
                    Executors.newSingleThreadScheduledExecutor(
                            task -> Thread.ofPlatform().daemon().name("forkline-pool-refill").unstarted(task));
            this.scheduler = RefillScheduler.of(ownedExecutor);
        } else {
            this.ownedExecutor = null;
            this.scheduler = scheduler;
        }
        requestRefill(0L);
    }

    static IllegalStateException closedException() {
        return new IllegalStateException("pool is closed");
    }

    @Override
    public T acquire() {
        if (closed) {
            throw closedException();
        }
        T object = idle.pollFirst();
        if (object != null) {
            if (idleCount.decrementAndGet() < lowWaterMark) {
                requestRefill(refillDelayNanos);
            }
            return object;
        }
        requestRefill(refillDelayNanos);
        return createInline();
    }

    private T createInline() {
        creationsInFlight.incrementAndGet();
        try {
            // Checked after counting ourselves in flight, so that close() either stops us here or waits.
            if (closed) {
                throw closedException();
            }
            T object = Objects.requireNonNull(factory.create(), "factory.create()");
            slowCreates.incrementAndGet();
            if (closed) {
                destroy(object);
                throw closedException();
            }
            return object;
        } finally {
            creationLeft();
        }
    }

    @Override
    public void release(T object) {
        Objects.requireNonNull(object, "object");
        if (closed) {
            destroy(object);
            return;
        }
        boolean keep;
        try {
            keep = factory.recycle(object);
        } catch (RuntimeException e) {
            keep = false; // an object that cannot be checked cannot be handed out again
        }
        if (keep && idleCount.get() < capacity) {
            offerIdle(object);
        } else {
            destroy(object);
        }
    }

    private void offerIdle(T object) {
        idle.offerFirst(object);
        idleCount.incrementAndGet();
        // close() may have drained the stack between our check and our offer: drain again.
        if (closed) {
            destroyIdle();
        }
    }

    private void requestRefill(long delayNanos) {
        if (closed || !refillPending.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler.schedule(this::refill, delayNanos);
        } catch (RejectedExecutionException e) {
            refillPending.set(false); // the executor is shutting down with us
        }
    }

    private void refill() {
        creationsInFlight.incrementAndGet();
        try {
            createUntilFull();
        } catch (RuntimeException e) {
            refillFailures.incrementAndGet(); // the next acquire below the low-water mark retries
        } finally {
            refillPending.set(false);
            creationLeft();
        }
        // Acquires that ran while this refill was pending did not request another one.
        if (idleCount.get() < lowWaterMark) {
            requestRefill(refillDelayNanos);
        }
    }

    private void creationLeft() {
        if (creationsInFlight.decrementAndGet() == 0 && closed) {
            closeLock.lock();
            try {
                creationsDone.signalAll();
            } finally {
                closeLock.unlock();
            }
        }
    }

    private void destroyIdle() {
        for (T object; (object = idle.pollFirst()) != null; ) {
            idleCount.decrementAndGet();
            destroy(object);
        }
    }

    private void destroy(T object) {
        destroyed.incrementAndGet();
        factory.destroy(object);
    }

    /**
     * Fills the pool to capacity on the calling thread, for callers that want it full before the
     * first acquire.
     */
    public void fill() {
        creationsInFlight.incrementAndGet();
        try {
            createUntilFull();
        } finally {
            creationLeft();
        }
    }

    /**
     * Caller has counted itself in {@link #creationsInFlight}, so close() waits for it. One filler
     * at a time: {@link #fill()} and a refill running together would each see room for the same
     * objects and overshoot the capacity.
     */
    private void createUntilFull() {
        fillLock.lock();
        try {
            while (!closed && idleCount.get() < capacity) {
                T object = Objects.requireNonNull(factory.create(), "factory.create()");
                refillCreates.incrementAndGet();
                offerIdle(object);
            }
        } finally {
            fillLock.unlock();
        }
    }

    @Override
    public void close() {
        closed = true;
        destroyIdle();
        boolean interrupted = false;
        closeLock.lock();
        try {
            while (creationsInFlight.get() != 0) {
                try {
                    creationsDone.await();
                } catch (InterruptedException e) {
                    interrupted = true; // a graceful close finishes; the interrupt is kept for the caller
                }
            }
        } finally {
            closeLock.unlock();
        }
        destroyIdle();
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether {@link #close()} has been called.
     *
     * @return whether the pool is closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Approximately how many objects are idle: off by the operations in flight.
     *
     * @return the idle count
     */
    public int idleCount() {
        return idleCount.get();
    }

    /**
     * How many objects acquire had to create inline because the pool was empty.
     *
     * @return the slow-path creation count
     */
    public long slowCreates() {
        return slowCreates.get();
    }

    /**
     * How many objects refills (and {@link #fill()}) created.
     *
     * @return the refill creation count
     */
    public long refillCreates() {
        return refillCreates.get();
    }

    /**
     * How many objects the pool destroyed.
     *
     * @return the destruction count
     */
    public long destroyed() {
        return destroyed.get();
    }

    /**
     * How many refills stopped because the factory threw.
     *
     * @return the failed refill count
     */
    public long refillFailures() {
        return refillFailures.get();
    }
}
