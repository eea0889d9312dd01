package io.forkline.lab;

import java.util.Arrays;

/** Latencies in nanoseconds, recorded by many threads into one preallocated array. */
public final class Latencies {
    private final long[] nanos;
    private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

    public Latencies(int capacity) {
        this.nanos = new long[capacity];
    }

    public void record(long latencyNanos) {
        nanos[next.getAndIncrement()] = latencyNanos;
    }

    /** @return the recorded values, sorted */
    public long[] sorted() {
        long[] copy = Arrays.copyOf(nanos, next.get());
        Arrays.sort(copy);
        return copy;
    }

    /**
     * The nearest-rank percentile: the smallest value with at least {@code p} percent of the
     * values at or below it.
     */
    public static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) throw new IllegalArgumentException("no values");
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
