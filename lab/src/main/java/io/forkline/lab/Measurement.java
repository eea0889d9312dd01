package io.forkline.lab;

/**
 * One number an experiment measured: the rows of {@code forkline lab --json}.
 *
 * @param experiment E1 ... E5
 * @param variant what was measured ("XorLock", "fork+exec at 1 GB")
 * @param metric which number ("start_p99")
 * @param value the number
 * @param unit its unit ("ms", "ops/s")
 * @param seedClaim the claim this number bears on, or null when it bears on none
 * @param verdict that claim's verdict here, or null with no claim
 */
public record Measurement(String experiment, String variant, String metric, double value, String unit, String seedClaim,
        Verdict verdict) {}
