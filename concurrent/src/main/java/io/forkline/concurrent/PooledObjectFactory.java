package io.forkline.concurrent;

/**
 * Creates, checks and destroys the objects of an {@link ObjectPool}.
 *
 * @param <T> type of the pooled objects
 */
public interface PooledObjectFactory<T> {

    /**
     * Creates an object; may be slow (a cgroup mkdir waits on {@code cgroup_mutex}).
     *
     * @return a new object, not null
     */
    T create();

    /**
     * Validates and resets a released object so that it can be handed out again.
     *
     * @param object an object that was handed out and released
     * @return true to recycle it, false to destroy it
     */
    default boolean recycle(T object) {
        return true;
    }

    /**
     * Destroys an object the pool no longer keeps.
     *
     * @param object the object
     */
    void destroy(T object);
}
