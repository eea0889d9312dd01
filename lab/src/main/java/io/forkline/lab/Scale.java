package io.forkline.lab;

/**
 * How big the experiments' counts are. {@link #FULL} is what the numbers in the README come
 * from; {@link #QUICK} fits the whole lab in 3 minutes on a 2-core machine; {@link #SMOKE} is
 * for tests, which check that every path runs, not what it measures.
 */
public enum Scale {
    FULL(1.0),
    QUICK(0.2),
    SMOKE(0.005);

    private final double factor;

    Scale(double factor) {
        this.factor = factor;
    }

    /**
     * @param full the count of a full run
     * @param minimum the smallest count that still measures anything
     * @return the count at this scale
     */
    public int count(int full, int minimum) {
        return (int) Math.max(minimum, Math.round(full * factor));
    }

    /** @return the factor of this scale's counts to a full run's */
    public double factor() {
        return factor;
    }
}
