package io.forkline.concurrent;

/**
 * A pool of expensive objects, such as cgroups.
 *
 * @param <T> type of the pooled objects
 */
public interface ObjectPool<T> extends AutoCloseable {

    /**
     * Hands out an object that nobody else holds, creating one if the pool has none.
     *
     * @return the object
     * @throws IllegalStateException if the pool is closed
     */
    T acquire();

    /**
     * Gives back an object from {@link #acquire()}. The pool recycles it or destroys it; after
     * {@link #close()} it always destroys it. Releasing an object twice is a caller bug the pool does
     * not detect.
     *
     * @param object the object, not null
     */
    void release(T object);

    /** Destroys every object the pool holds, and refuses further acquires. Idempotent. */
    @Override
    void close();
}
