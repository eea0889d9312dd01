package io.forkline.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RangeIdAllocatorTest {

    @Test
    void validatesParametersWordForWord() {
        assertThatThrownBy(() -> new RangeIdAllocator<>(1000, 256))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capacity must be a positive multiple of rangeSize 256: 1000");
        assertThatThrownBy(() -> new RangeIdAllocator<>(1024, 100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rangeSize must be a positive power of two: 100");
        assertThatThrownBy(() -> new LockedCyclicIdAllocator<>(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capacity must be positive: 0");
    }

    @Test
    void freeOfAnIdThatIsNotAllocatedIsRefusedWordForWord() {
        for (IdAllocator<String> allocator :
                List.<IdAllocator<String>>of(new RangeIdAllocator<>(1024, 256), new LockedCyclicIdAllocator<>(1024))) {
            int id = allocator.alloc("x");
            allocator.free(id);
            assertThatThrownBy(() -> allocator.free(id))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("id " + id + " is not allocated");
            assertThatThrownBy(() -> allocator.free(-1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("id -1 is not allocated");
            assertThat(allocator.lookup(id)).isNull();
            assertThat(allocator.lookup(5000)).isNull();
        }
    }

    @Test
    void lookupFindsWhatWasRegisteredAndAnotherThreadCanFree() throws Exception {
        RangeIdAllocator<String> allocator = new RangeIdAllocator<>();
        int id = allocator.alloc("job-1");
        assertThat(allocator.lookup(id)).isEqualTo("job-1");
        Threads.run(() -> allocator.free(id)).get(10, TimeUnit.SECONDS);
        assertThat(allocator.lookup(id)).isNull();
    }

    @Test
    void everyIdCanBeHandedOutAndThenTheSpaceIsExhausted() {
        for (IdAllocator<Integer> allocator :
                List.<IdAllocator<Integer>>of(new RangeIdAllocator<>(64, 8), new LockedCyclicIdAllocator<>(64))) {
            Set<Integer> ids = new HashSet<>();
            for (int i = 0; i < 64; i++) {
                assertThat(ids.add(allocator.alloc(i))).isTrue();
            }
            assertThat(ids).allMatch(id -> id >= 0 && id < 64);
            assertThatThrownBy(() -> allocator.alloc(64))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("id space exhausted: all 64 ids are in use");
            allocator.free(17);
            assertThat(allocator.alloc(99)).isEqualTo(17);
        }
    }

    @Test
    void aFullyFreeRangeThatCycledIsReturnedAndCarvedAgain() {
        RangeIdAllocator<Integer> allocator = new RangeIdAllocator<>(16, 4);
        // 4 ranges of 4: allocating and freeing 64 ids in turn cycles through every range 4 times,
        // which works only if fully free, cycled ranges go back to the range map.
        for (int i = 0; i < 64; i++) {
            allocator.free(allocator.alloc(i));
        }
        assertThat(allocator.cycleOfRange(0)).isGreaterThan(1);
    }

    /**
     * Property: an id freed while its range is in cycle n is not handed out again until the range
     * is in a later cycle. Random alloc/free sequences, single-threaded so that every step is known.
     */
    @Test
    void deferredReuseProperty() {
        int seeds = LincheckRuns.THOROUGH ? 2_000 : 200;
        for (int seed = 0; seed < seeds; seed++) {
            Random random = new Random(seed);
            int rangeSize = 1 << (1 + random.nextInt(4));
            int capacity = rangeSize * (1 + random.nextInt(8));
            RangeIdAllocator<Integer> allocator = new RangeIdAllocator<>(capacity, rangeSize);
            List<Integer> live = new ArrayList<>();
            Map<Integer, Integer> cycleWhenFreed = new HashMap<>();
            for (int step = 0; step < 500; step++) {
                boolean alloc = live.isEmpty() || (live.size() < capacity && random.nextInt(100) < 55);
                if (alloc) {
                    int id = allocator.alloc(step);
                    Integer freedIn = cycleWhenFreed.remove(id);
                    if (freedIn != null) {
                        assertThat(allocator.cycleOfRange(id))
                                .as("seed %d step %d: id %d reused in the cycle it was freed in", seed, step, id)
                                .isGreaterThan(freedIn);
                    }
                    live.add(id);
                } else {
                    int id = live.remove(random.nextInt(live.size()));
                    allocator.free(id);
                    cycleWhenFreed.put(id, allocator.cycleOfRange(id));
                }
            }
        }
    }

    /** The same property with two threads allocating and freeing each other's ids. */
    @Test
    void deferredReuseHoldsAcrossThreads() throws Exception {
        RangeIdAllocator<Integer> allocator = new RangeIdAllocator<>(1024, 16);
        int[] freedInCycle = new int[1024];
        java.util.Arrays.fill(freedInCycle, -1);
        java.util.concurrent.ConcurrentLinkedQueue<Integer> toFree = new java.util.concurrent.ConcurrentLinkedQueue<>();
        Runnable worker = () -> {
            for (int i = 0; i < 50_000; i++) {
                int id = allocator.alloc(i);
                synchronized (freedInCycle) {
                    assertThat(allocator.cycleOfRange(id)).isGreaterThan(freedInCycle[id]);
                }
                toFree.add(id);
                if (toFree.size() > 64) {
                    Integer victim = toFree.poll();
                    if (victim != null) {
                        synchronized (freedInCycle) {
                            allocator.free(victim);
                            freedInCycle[victim] = allocator.cycleOfRange(victim);
                        }
                    }
                }
            }
        };
        CompletableFuture.allOf(Threads.run(worker), Threads.run(worker))
                .get(60, TimeUnit.SECONDS);
    }
}
