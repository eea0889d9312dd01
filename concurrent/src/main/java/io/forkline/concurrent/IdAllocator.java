package io.forkline.concurrent;

/**
 * Hands out int ids and maps each live id to the object registered under it, like the kernel's pid
 * allocator ({@code alloc_pid}, {@code free_pid}, {@code find_pid_ns}).
 *
 * @param <T> type of the registered objects
 */
public interface IdAllocator<T> {

    /**
     * Allocates an id that no one else holds and registers {@code value} under it.
     *
     * @param value the object to register, not null
     * @return the new id, in {@code [0, capacity())}
     * @throws IllegalStateException if every id is in use
     */
    int alloc(T value);

    /**
     * Frees an id; any thread may free an id that another thread allocated.
     *
     * @param id an id returned by {@link #alloc} and not freed since
     * @throws IllegalArgumentException if the id is not allocated
     */
    void free(int id);

    /**
     * The object registered under {@code id}.
     *
     * @param id any int
     * @return the registered object, or null if the id is not allocated
     */
    T lookup(int id);

    /**
     * The number of distinct ids.
     *
     * @return the size of the id space
     */
    int capacity();
}
