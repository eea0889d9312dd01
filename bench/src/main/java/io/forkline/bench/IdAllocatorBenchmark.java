package io.forkline.bench;

import io.forkline.concurrent.IdAllocator;
import io.forkline.concurrent.LockedCyclicIdAllocator;
import io.forkline.concurrent.RangeIdAllocator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Seed 003's workload: threads allocate ids, look them up and free them. Each thread keeps its
 * last {@value #LIVE_PER_THREAD} ids alive, so an operation allocates one id, looks up the new one
 * and the oldest one, and frees the oldest: the shape of processes living a little while.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class IdAllocatorBenchmark {

    /** Created by JMH, once per trial. */
    public IdAllocatorBenchmark() {}

    static final int LIVE_PER_THREAD = 32;

    /** The allocator measured. */
    @Param({"RangeIdAllocator", "LockedCyclicIdAllocator"})
    public String impl;

    IdAllocator<Object> allocator;

    /** Creates the allocator named by {@link #impl}. */
    @Setup
    public void setUp() {
        allocator = switch (impl) {
            case "RangeIdAllocator" -> new RangeIdAllocator<>();
            case "LockedCyclicIdAllocator" -> new LockedCyclicIdAllocator<>(RangeIdAllocator.DEFAULT_CAPACITY);
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
    }

    /** A thread's live ids, oldest first in ring order. */
    @State(Scope.Thread)
    public static class LiveIds {
        /** Created by JMH, once per thread. */
        public LiveIds() {}

        final int[] ring = new int[LIVE_PER_THREAD];
        final Object value = new Object();
        int oldest;

        /**
         * Allocates the thread's first ids.
         *
         * @param benchmark the shared state holding the allocator
         */
        @Setup(Level.Trial)
        public void fill(IdAllocatorBenchmark benchmark) {
            for (int i = 0; i < ring.length; i++) {
                ring[i] = benchmark.allocator.alloc(value);
            }
        }

        /**
         * Frees the thread's ids.
         *
         * @param benchmark the shared state holding the allocator
         */
        @TearDown(Level.Trial)
        public void drain(IdAllocatorBenchmark benchmark) {
            for (int id : ring) {
                benchmark.allocator.free(id);
            }
        }
    }

    /**
     * One operation: allocate, look up the new and the oldest id, free the oldest.
     *
     * @param live the thread's live ids
     * @param blackhole sinks the lookups
     */
    @Benchmark
    public void allocLookupFree(LiveIds live, Blackhole blackhole) {
        int id = allocator.alloc(live.value);
        blackhole.consume(allocator.lookup(id));
        int victim = live.ring[live.oldest];
        blackhole.consume(allocator.lookup(victim));
        allocator.free(victim);
        live.ring[live.oldest] = id;
        live.oldest = (live.oldest + 1) % LIVE_PER_THREAD;
    }
}
