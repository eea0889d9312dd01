package io.forkline.concurrent;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The baseline for {@link ReplenishingPool}: one lock, and objects created on demand while holding
 * it, which is what cgroup creation looks like under {@code cgroup_mutex} (seed 004). Released
 * objects are recycled into an idle list, so in steady state it only creates to replace the
 * objects its factory refuses to recycle.
 *
 * @param <T> type of the pooled objects
 */
public final class LockedOnDemandPool<T> implements ObjectPool<T> {

    private final PooledObjectFactory<T> factory;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}. */
    private final ArrayDeque<T> idle = new ArrayDeque<>();
    /** Guarded by {@link #lock}. */
    private boolean closed;

    /**
     * Creates an empty pool.
     *
     * @param factory creates, recycles and destroys the objects
     */
    public LockedOnDemandPool(PooledObjectFactory<T> factory) {
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    @Override
    public T acquire() {
        lock.lock();
        try {
            if (closed) {
                throw ReplenishingPool.closedException();
            }
            T object = idle.pollFirst();
            return object != null ? object : Objects.requireNonNull(factory.create(), "factory.create()");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void release(T object) {
        Objects.requireNonNull(object, "object");
        boolean keep = factory.recycle(object);
        lock.lock();
        try {
            if (keep && !closed) {
                idle.addFirst(object);
            } else {
                factory.destroy(object);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The number of idle objects.
     *
     * @return how many objects wait in the pool
     */
    public int idleCount() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            for (T object; (object = idle.pollFirst()) != null; ) {
                factory.destroy(object);
            }
        } finally {
            lock.unlock();
        }
    }
}
