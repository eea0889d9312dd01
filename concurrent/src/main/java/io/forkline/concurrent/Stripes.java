package io.forkline.concurrent;

/**
 * How the striped primitives approximate "the current CPU": Java has no cheap {@code getcpu}, so a
 * thread's stripe is its thread id modulo a power of two. Thread ids are handed out in sequence, so
 * threads started together land on distinct stripes; two threads on one stripe are still correct,
 * they only share a cache line.
 */
final class Stripes {
    /** Bytes between two hot counters: two cache lines, against the adjacent-line prefetcher. */
    static final int PAD_BYTES = 128;

    private Stripes() {}

    /** The smallest power of two that is at least twice the number of processors. */
    static int defaultCount() {
        int wanted = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
        return Integer.highestOneBit(wanted - 1) << 1;
    }

    static int requirePowerOfTwo(String what, int n) {
        if (n <= 0 || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException(what + " must be a positive power of two: " + n);
        }
        return n;
    }

    /** The calling thread's stripe in {@code [0, mask]}. */
    static int current(int mask) {
        return (int) Thread.currentThread().threadId() & mask;
    }
}
