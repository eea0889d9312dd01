package io.forkline.parallel;

/**
 * A run's counters at one moment, for a progress view.
 *
 * @param started jobs started (first tries)
 * @param running jobs running now
 * @param finished jobs finished (after their last try)
 * @param failed finished jobs that failed
 * @param retries tries after the first
 * @param skipped jobs skipped by a resume (not counted in {@code total})
 * @param total jobs this run will run, when known before the run (all inputs from {@code :::} and no
 *     resume or shard that makes it unknowable), else -1
 * @param elapsedNanos time since the first job started
 */
public record Progress(long started, int running, long finished, long failed, long retries, long skipped, long total, long elapsedNanos) {
    /** @return finished jobs per second so far */
    public double jobsPerSecond() {
        return elapsedNanos <= 0 ? 0 : finished * 1e9 / elapsedNanos;
    }

    /** @return the estimated nanoseconds left, or -1 when the total is unknown or nothing finished yet */
    public long etaNanos() {
        if (total < 0 || finished == 0) return -1;
        return (long) ((total - finished) / jobsPerSecond() * 1e9);
    }
}
