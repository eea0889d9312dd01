package io.forkline.parallel;

/**
 * Percentiles of many values in fixed memory: values are counted in buckets that grow by
 * 2^(1/16) (about 4.4 %), so a percentile is known to within that, whatever the number of jobs,
 * and the maximum exactly. The run records one value per job into each; storing them all would
 * make the heap grow with the input.
 */
final class LogHistogram {
    private static final int SUB_BUCKETS = 16;
    private final long[] counts = new long[64 * SUB_BUCKETS + 1];
    private long total;
    private long max = Long.MIN_VALUE;

    void record(long value) {
        if (value < 0) return;
        counts[bucket(value)]++;
        total++;
        max = Math.max(max, value);
    }

    private static int bucket(long value) {
        if (value == 0) return 0;
        double log = Math.log(value) / Math.log(2);
        return 1 + Math.min(64 * SUB_BUCKETS - 1, (int) Math.floor(log * SUB_BUCKETS));
    }

    /** The smallest value of a bucket; a percentile reports the largest, never above the maximum. */
    private static long lowest(int bucket) {
        if (bucket == 0) return 0;
        return (long) Math.ceil(Math.pow(2, (bucket - 1) / (double) SUB_BUCKETS));
    }

    /** @return how many values were recorded */
    long count() {
        return total;
    }

    /** @return the maximum, or -1 when nothing was recorded */
    long max() {
        return total == 0 ? -1 : max;
    }

    /** @return the nearest-rank percentile to within a bucket, or -1 when nothing was recorded */
    long percentile(double p) {
        if (total == 0) return -1;
        long rank = Math.max(1, (long) Math.ceil(p / 100.0 * total));
        long seen = 0;
        for (int b = 0; b < counts.length; b++) {
            seen += counts[b];
            if (seen >= rank) return Math.min(max, b + 1 < counts.length ? lowest(b + 1) - 1 : max);
        }
        return max;
    }
}
