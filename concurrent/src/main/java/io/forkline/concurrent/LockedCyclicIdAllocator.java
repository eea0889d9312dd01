package io.forkline.concurrent;

import java.util.BitSet;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The baseline for {@link RangeIdAllocator}: one global lock around a cyclic bitmap allocator, the
 * shape of the kernel's {@code idr_alloc_cyclic} under {@code pidmap_lock} ({@code kernel/pid.c})
 * that seed 003 sets out to replace.
 *
 * <p>Ids are handed out cyclically (each allocation searches from just past the previous one), so
 * freed ids are reused only after the cursor has wrapped around the whole space. Lookups read an
 * {@link AtomicReferenceArray} without the lock, as {@code idr_find} does under RCU, so the
 * comparison is about allocation, not lookup.
 *
 * @param <T> type of the registered objects
 */
public final class LockedCyclicIdAllocator<T> implements IdAllocator<T> {

    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}. */
    private final BitSet inUse;
    /** Guarded by {@link #lock}: where the next search starts. */
    private int cursor;

    private final AtomicReferenceArray<T> values;
    private final int capacity;

    /**
     * Creates an allocator of ids in {@code [0, capacity)}.
     *
     * @param capacity the number of ids, positive
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public LockedCyclicIdAllocator(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        this.inUse = new BitSet(capacity);
        this.values = new AtomicReferenceArray<>(capacity);
    }

    @Override
    public int alloc(T value) {
        Objects.requireNonNull(value, "value");
        lock.lock();
        try {
            int id = inUse.nextClearBit(cursor);
            if (id >= capacity) {
                id = inUse.nextClearBit(0);
                if (id >= capacity) {
                    throw RangeIdAllocator.exhausted(capacity);
                }
            }
            inUse.set(id);
            cursor = id + 1 == capacity ? 0 : id + 1;
            values.set(id, value);
            return id;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void free(int id) {
        lock.lock();
        try {
            if (id < 0 || id >= capacity || !inUse.get(id)) {
                throw RangeIdAllocator.notAllocated(id);
            }
            inUse.clear(id);
            values.set(id, null);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public T lookup(int id) {
        return id < 0 || id >= capacity ? null : values.get(id);
    }

    @Override
    public int capacity() {
        return capacity;
    }
}
