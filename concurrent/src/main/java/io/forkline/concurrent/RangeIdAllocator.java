package io.forkline.concurrent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

/** Padding before a stripe's current range. */
abstract class RangeStripePadBefore {
    // 128 bytes on each side: stripes are allocated together, and each one's field is read on every
    // allocation by its own threads and rewritten when its range wraps.
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/** A stripe's current range. */
abstract class RangeStripeField extends RangeStripePadBefore {
    volatile RangeIdAllocator.Range current;
}

/** One stripe ("CPU") of a {@link RangeIdAllocator}, padded on both sides. */
final class RangeStripe extends RangeStripeField {
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;
}

/**
 * An id allocator in which each stripe of threads carves its own range of ids out of the id space
 * and allocates from it under that range's lock alone: Mateusz Guzik's sketch for the kernel's pid
 * allocator (seed 003, "further damage-control lack of clone scalability", LKML, November 2025),
 * which replaces {@code idr_alloc_cyclic} under the global {@code pidmap_lock}.
 *
 * <p>The id space {@code [0, capacity)} is split into ranges of {@code rangeSize} ids. A global
 * range map (the last level of Guzik's "quasi-radix tree") points from a range index to the {@code
 * Range} that currently owns it: a lock, an in-use bitmap, a slot array for the registered values,
 * and a cursor. An id is {@code range base + offset}.
 *
 * <ul>
 *   <li><b>alloc</b> takes the lock of the calling stripe's current range, and nothing else, in the
 *       common case. Stripes stand in for CPUs (see {@link Stripes}).
 *   <li><b>Deferred reuse.</b> A range hands out offsets in increasing order from its cursor. When
 *       the cursor reaches the end, the cycle is over: the stripe retires the range and carves the
 *       next free range index, in cyclic order over the whole space. An id freed during a cycle is
 *       not handed out again in that cycle, so a freed id stays out of use at least until its range
 *       has cycled, as the kernel does for pids. {@link #cycleOfRange(int)} numbers the cycles, for
 *       tests.
 *   <li><b>free</b> takes the lock of the id's range, from any thread. When a retired range
 *       becomes fully free, it is removed from the range map, and its index can be carved again.
 *   <li>When no range index is free, a stripe adopts a retired range that still has free ids and
 *       starts a new cycle of it; only when none exists is the space exhausted.
 *   <li><b>lookup</b> takes no lock: a volatile read of the range map and an acquire read of the
 *       slot.
 * </ul>
 *
 * <p>Carving takes a global lock, once per {@code rangeSize} allocations of a stripe.
 *
 * @param <T> type of the registered objects
 */
public final class RangeIdAllocator<T> implements IdAllocator<T> {

    /** The default range size: about what Guzik's sketch fits in one allocation. */
    public static final int DEFAULT_RANGE_SIZE = 256;

    /** The default capacity: 2^22 ids, the kernel's {@code PID_MAX_LIMIT} on 64-bit. */
    public static final int DEFAULT_CAPACITY = 1 << 22;

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);

    /** A carved-out range of ids. Every field but the slots is guarded by {@link #lock}. */
    static final class Range {
        final int index;
        final int base;
        final ReentrantLock lock = new ReentrantLock();
        final long[] inUse;
        /** Offsets freed during the current cycle: not handed out again before the next cycle. */
        final long[] freedThisCycle;
        /** Values: written under the lock with release stores, read by lookup with acquire loads. */
        final Object[] slots;
        int cursor;
        int live;
        /** The cursor reached the end; no stripe allocates from it until it is adopted. */
        boolean retired;
        /** Removed from the range map; a free() that raced with the removal must not touch it. */
        boolean released;

        Range(int index, int size) {
            this.index = index;
            this.base = index * size;
            this.inUse = new long[(size + 63) >>> 6];
            this.freedThisCycle = new long[inUse.length];
            this.slots = new Object[size];
        }

        /** The first free offset at or after the cursor, or -1. Caller holds the lock. */
        int nextFreeFromCursor() {
            int size = slots.length;
            for (int offset = cursor; offset < size; ) {
                int word = offset >>> 6;
                long freeBits = ~(inUse[word] | freedThisCycle[word]) & (-1L << (offset & 63));
                if (freeBits != 0L) {
                    int found = (offset & ~63) + Long.numberOfTrailingZeros(freeBits);
                    return found < size ? found : -1;
                }
                offset = (offset & ~63) + 64;
            }
            return -1;
        }

        boolean isInUse(int offset) {
            return (inUse[offset >>> 6] & (1L << offset)) != 0L;
        }
    }

    private final int capacity;
    private final int rangeSize;
    private final int rangeShift;
    private final int rangeCount;
    private final AtomicReferenceArray<Range> rangeMap;
    private final AtomicIntegerArray cycles;
    private final RangeStripe[] stripes;
    private final int stripeMask;

    private final ReentrantLock carveLock = new ReentrantLock();
    /** Guarded by {@link #carveLock}: the range index the next carve looks at first. */
    private int carveCursor;

    /** Creates an allocator with {@link #DEFAULT_CAPACITY} ids in ranges of {@link #DEFAULT_RANGE_SIZE}. */
    public RangeIdAllocator() {
        this(DEFAULT_CAPACITY, DEFAULT_RANGE_SIZE);
    }

    /**
     * Creates an allocator of ids in {@code [0, capacity)}.
     *
     * @param capacity the number of ids, a positive multiple of {@code rangeSize}
     * @param rangeSize ids per range, a positive power of two
     * @throws IllegalArgumentException if a parameter is out of bounds
     */
    public RangeIdAllocator(int capacity, int rangeSize) {
        Stripes.requirePowerOfTwo("rangeSize", rangeSize);
        if (capacity <= 0 || capacity % rangeSize != 0) {
            throw new IllegalArgumentException(
                    "capacity must be a positive multiple of rangeSize " + rangeSize + ": " + capacity);
        }
        this.capacity = capacity;
        this.rangeSize = rangeSize;
        this.rangeShift = Integer.numberOfTrailingZeros(rangeSize);
        this.rangeCount = capacity / rangeSize;
        this.rangeMap = new AtomicReferenceArray<>(rangeCount);
        this.cycles = new AtomicIntegerArray(rangeCount);
        this.stripes = new RangeStripe[Stripes.defaultCount()];
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new RangeStripe();
        }
        this.stripeMask = stripes.length - 1;
    }

    static IllegalStateException exhausted(int capacity) {
        return new IllegalStateException("id space exhausted: all " + capacity + " ids are in use");
    }

    static IllegalArgumentException notAllocated(int id) {
        return new IllegalArgumentException("id " + id + " is not allocated");
    }

    @Override
    public int alloc(T value) {
        Objects.requireNonNull(value, "value");
        RangeStripe stripe = stripes[Stripes.current(stripeMask)];
        for (; ; ) {
            Range range = stripe.current;
            if (range != null) {
                int id = allocFrom(range, value);
                if (id >= 0) {
                    return id;
                }
            }
            carve(stripe, range);
        }
    }

    /** Allocates from {@code range}, or returns -1 if it is retired or has just cycled. */
    private int allocFrom(Range range, Object value) {
        range.lock.lock();
        try {
            if (range.retired) {
                return -1;
            }
            int offset = range.nextFreeFromCursor();
            if (offset < 0) {
                range.retired = true;
                releaseIfEmpty(range);
                return -1;
            }
            range.inUse[offset >>> 6] |= 1L << offset;
            range.live++;
            range.cursor = offset + 1;
            SLOTS.setRelease(range.slots, offset, value);
            return range.base + offset;
        } finally {
            range.lock.unlock();
        }
    }

    /** Caller holds the range's lock. */
    private void releaseIfEmpty(Range range) {
        if (range.retired && range.live == 0 && !range.released) {
            range.released = true;
            rangeMap.compareAndSet(range.index, range, null);
        }
    }

    /** Gives {@code stripe} a new range unless another thread of the stripe already did. */
    private void carve(RangeStripe stripe, Range exhausted) {
        carveLock.lock();
        try {
            if (stripe.current != exhausted) {
                return;
            }
            Range fresh = null;
            for (int tried = 0; tried < rangeCount && fresh == null; tried++) {
                int index = carveCursor;
                carveCursor = index + 1 == rangeCount ? 0 : index + 1;
                // Only carve() (under carveLock) turns null into a range, so a null seen here stays null.
                if (rangeMap.get(index) == null) {
                    fresh = new Range(index, rangeSize);
                    cycles.incrementAndGet(index);
                    rangeMap.set(index, fresh);
                }
            }
            if (fresh == null) {
                fresh = adoptRetired();
            }
            if (fresh == null) {
                throw exhausted(capacity);
            }
            stripe.current = fresh;
        } finally {
            carveLock.unlock();
        }
    }

    /** Starts a new cycle of a retired range that has free ids. Caller holds carveLock. */
    private Range adoptRetired() {
        for (int tried = 0; tried < rangeCount; tried++) {
            int index = carveCursor;
            carveCursor = index + 1 == rangeCount ? 0 : index + 1;
            Range range = rangeMap.get(index);
            if (range == null) {
                continue;
            }
            range.lock.lock();
            try {
                if (range.retired && !range.released && range.live < rangeSize) {
                    range.retired = false;
                    range.cursor = 0;
                    java.util.Arrays.fill(range.freedThisCycle, 0L);
                    cycles.incrementAndGet(index);
                    return range;
                }
            } finally {
                range.lock.unlock();
            }
        }
        return null;
    }

    @Override
    public void free(int id) {
        if (id < 0 || id >= capacity) {
            throw notAllocated(id);
        }
        Range range = rangeMap.get(id >>> rangeShift);
        if (range == null) {
            throw notAllocated(id);
        }
        int offset = id & (rangeSize - 1);
        range.lock.lock();
        try {
            if (range.released || !range.isInUse(offset)) {
                throw notAllocated(id);
            }
            range.inUse[offset >>> 6] &= ~(1L << offset);
            range.freedThisCycle[offset >>> 6] |= 1L << offset;
            range.live--;
            SLOTS.setRelease(range.slots, offset, null);
            releaseIfEmpty(range);
        } finally {
            range.lock.unlock();
        }
    }

    @Override
    @SuppressWarnings("unchecked") // slots only ever hold values passed to alloc(T)
    public T lookup(int id) {
        if (id < 0 || id >= capacity) {
            return null;
        }
        Range range = rangeMap.get(id >>> rangeShift);
        return range == null ? null : (T) SLOTS.getAcquire(range.slots, id & (rangeSize - 1));
    }

    @Override
    public int capacity() {
        return capacity;
    }

    /**
     * How many cycles the range that contains {@code id} has started since this allocator was
     * created: a cycle starts when the range index is carved, or when a retired range is adopted. An
     * id freed while this number is {@code n} is handed out again only once it exceeds {@code n}.
     *
     * @param id an id in {@code [0, capacity())}
     * @return the number of the id's range's current cycle, 0 if the range was never carved
     * @throws IllegalArgumentException if {@code id} is outside the id space
     */
    public int cycleOfRange(int id) {
        if (id < 0 || id >= capacity) {
            throw new IllegalArgumentException("id outside [0, " + capacity + "): " + id);
        }
        return cycles.get(id >>> rangeShift);
    }
}
