package io.forkline.concurrent;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of the id allocators against a model: an id is never held by two owners, lookup
 * of a live id returns what was registered under it, and free works from any thread. Which id an
 * allocation returns depends on the caller's stripe, so the operations return whether the
 * allocator agreed with the model rather than the ids themselves; sequentially every operation
 * returns true.
 */
class IdAllocatorLincheckTest {

    abstract static class AllocatorScenario {
        private final IdAllocator<Integer> allocator;
        /** Ids handed out and not yet given back to the allocator, across all threads. */
        private final Set<Integer> live = ConcurrentHashMap.newKeySet();
        /** Per thread: {id, value} pairs that only that thread frees or looks up. */
        private final ConcurrentHashMap<Long, ArrayDeque<int[]>> owned = new ConcurrentHashMap<>();
        /** Pairs given up by one thread for another to free. */
        private final ConcurrentLinkedQueue<int[]> handedOff = new ConcurrentLinkedQueue<>();
        private final AtomicInteger values = new AtomicInteger();

        AllocatorScenario(IdAllocator<Integer> allocator) {
            this.allocator = allocator;
        }

        private ArrayDeque<int[]> mine() {
            return owned.computeIfAbsent(Thread.currentThread().threadId(), k -> new ArrayDeque<>());
        }

        @Operation
        public boolean alloc() {
            int value = values.incrementAndGet();
            int id = allocator.alloc(value);
            boolean unique = live.add(id);
            mine().push(new int[] {id, value});
            return unique && Objects.equals(allocator.lookup(id), value);
        }

        @Operation
        public boolean lookupMine() {
            int[] entry = mine().peek();
            return entry == null || Objects.equals(allocator.lookup(entry[0]), entry[1]);
        }

        @Operation
        public boolean freeMine() {
            return free(mine().poll());
        }

        @Operation
        public boolean handOff() {
            int[] entry = mine().poll();
            if (entry != null) {
                handedOff.add(entry);
            }
            return true;
        }

        @Operation
        public boolean freeHandedOff() {
            return free(handedOff.poll());
        }

        private boolean free(int[] entry) {
            if (entry == null) {
                return true;
            }
            live.remove(entry[0]);
            allocator.free(entry[0]);
            return true;
        }
    }

    /** Ranges of 4 so that a handful of operations cycles ranges, retires and returns them. */
    public static class RangeScenario extends AllocatorScenario {
        public RangeScenario() {
            super(new RangeIdAllocator<>(64, 4));
        }
    }

    public static class LockedCyclicScenario extends AllocatorScenario {
        public LockedCyclicScenario() {
            super(new LockedCyclicIdAllocator<>(64));
        }
    }

    /** Seeded bug: a cyclic allocator that finds a free id and then claims it, without a lock. */
    public static class CheckThenClaimScenario extends AllocatorScenario {
        public CheckThenClaimScenario() {
            super(new CheckThenClaimAllocator());
        }
    }

    static final class CheckThenClaimAllocator implements IdAllocator<Integer> {
        private final Integer[] values = new Integer[64];
        private volatile int cursor;

        @Override
        public int alloc(Integer value) {
            for (int i = 0; i < values.length; i++) {
                int id = (cursor + i) % values.length;
                if (values[id] == null) {
                    values[id] = value;
                    cursor = id + 1;
                    return id;
                }
            }
            throw new IllegalStateException("full");
        }

        @Override
        public void free(int id) {
            values[id] = null;
        }

        @Override
        public Integer lookup(int id) {
            return values[id];
        }

        @Override
        public int capacity() {
            return values.length;
        }
    }

    @Test
    void rangeModelChecking() {
        LincheckRuns.modelChecking().check(RangeScenario.class);
    }

    @Test
    void rangeStress() {
        LincheckRuns.stress().check(RangeScenario.class);
    }

    @Test
    void lockedCyclicModelChecking() {
        LincheckRuns.modelChecking().check(LockedCyclicScenario.class);
    }

    @Test
    void modelCheckingCatchesCheckThenClaim() {
        LincheckRuns.assertCatches(
                LincheckRuns.modelCheckingForSeededBug(),
                CheckThenClaimScenario.class,
                LincheckRuns.INVALID_RESULTS);
    }
}
