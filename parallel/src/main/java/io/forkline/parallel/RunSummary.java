package io.forkline.parallel;

import io.forkline.cgroup.SkippedLimit;
import java.util.List;

/**
 * What a run did: how many jobs, how they ended, how long it took, and, across jobs, the
 * distribution of wall time, CPU and peak memory with the jobs that used the most.
 *
 * @param finished jobs finished (after their last try)
 * @param succeeded of them, those that exited 0
 * @param failed of them, the rest
 * @param retries tries after the first, over all jobs
 * @param skipped jobs a resume skipped
 * @param timedOut jobs killed by their timeout
 * @param oomKilled jobs the OOM killer ended
 * @param jobsWithStraysKilled jobs that left processes in their cgroup, killed at their end
 * @param wallNanos the run's wall time, from the first start to the last finish
 * @param jobWall per-job wall time in microseconds: p50, p99, max (-1 when there were no jobs)
 * @param jobCpu per-job CPU time in microseconds: p50, p99, max
 * @param jobMemory per-job peak memory in bytes: p50, p99, max, over the jobs whose peak is known
 * @param memoryKnown how many jobs' peak memory is known
 * @param topMemory the jobs with the highest peak memory, highest first
 * @param topCpu the jobs with the most CPU time, most first
 * @param firstFailures the first failed jobs (at most {@value #FAILURES_KEPT})
 * @param skippedLimits limits that {@code --best-effort-limits} let the run go without
 * @param stopReason why the run stopped early ({@code halt ...}, {@code interrupted}, an input or joblog error), or null
 * @param error whether it stopped on an error (input, joblog, output) rather than by choice
 * @param halted whether a halt policy stopped it
 * @param halt the halt policy
 * @param haltingJob the job whose end reached the halt policy, or null
 * @param total jobs known before the run, or -1
 */
public record RunSummary(
        long finished,
        long succeeded,
        long failed,
        long retries,
        long skipped,
        long timedOut,
        long oomKilled,
        long jobsWithStraysKilled,
        long wallNanos,
        Percentiles jobWall,
        Percentiles jobCpu,
        Percentiles jobMemory,
        long memoryKnown,
        List<Top> topMemory,
        List<Top> topCpu,
        List<JobResult> firstFailures,
        List<SkippedLimit> skippedLimits,
        String stopReason,
        boolean error,
        boolean halted,
        HaltPolicy halt,
        JobResult haltingJob,
        long total) {

    /**
     * p50, p99 and max of one measure across jobs.
     *
     * @param p50 the median
     * @param p99 the 99th percentile
     * @param max the maximum
     */
    public record Percentiles(long p50, long p99, long max) {
        static Percentiles of(LogHistogram h) {
            return new Percentiles(h.percentile(50), h.percentile(99), h.max());
        }
    }

    /**
     * One of the jobs that used the most.
     *
     * @param seq its job number
     * @param command its command
     * @param value what it used (bytes or microseconds)
     */
    public record Top(long seq, String command, long value) {}

    /** How many failed jobs a summary names. */
    public static final int FAILURES_KEPT = 10;

    /** Copies the lists. */
    public RunSummary {
        topMemory = List.copyOf(topMemory);
        topCpu = List.copyOf(topCpu);
        firstFailures = List.copyOf(firstFailures);
        skippedLimits = List.copyOf(skippedLimits);
    }

    /** @return finished jobs per second of wall time */
    public double jobsPerSecond() {
        return wallNanos <= 0 ? 0 : finished * 1e9 / wallNanos;
    }

    /**
     * The exit status, as GNU parallel's: 0 when every job succeeded; else the number of failed
     * jobs, at most 101; 255 when the run stopped on an error or was interrupted. A halt changes
     * it as in GNU parallel: {@code success=...} exits 0; {@code fail=1} exits with the failing
     * job's own status (128 + signal for a signal, 127 or 126 for a job that could not start);
     * {@code fail=N%} exits with the percentage of jobs that failed.
     */
    public int exitStatus() {
        if (error || "interrupted".equals(stopReason)) return 255;
        if (halted) {
            switch (halt.why()) {
                case SUCCESS -> {
                    return 0;
                }
                case FAIL -> {
                    if (halt.percent() > 0) {
                        long base = total > 0 ? total : finished;
                        return (int) Math.max(1, Math.min(100, Math.round(failed * 100.0 / Math.max(1, base))));
                    }
                    if (halt.count() == 1 && haltingJob != null) {
                        int status = haltingJob.startFailure() != null ? haltingJob.exitCode()
                                : haltingJob.signal() != 0 ? 128 + haltingJob.signal() : haltingJob.exitCode();
                        return Math.max(1, Math.min(255, status));
                    }
                }
                case DONE -> { }
            }
        }
        return (int) Math.min(failed, 101);
    }
}
