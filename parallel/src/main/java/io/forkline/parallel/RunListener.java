package io.forkline.parallel;

/**
 * Hears about jobs as they finish, for a progress view, log lines or JSON. Methods run on the
 * runner's completion thread, one at a time and in the order jobs finish: keep them short.
 */
public interface RunListener {
    /** A job finished, after its last try. */
    default void jobFinished(JobResult job) {}

    /** A try of a job failed and it is started again ({@code --retries}). */
    default void jobRetried(JobResult failedTry) {}

    /** The run stops starting jobs: a halt policy was reached, it was interrupted, or its input failed. */
    default void stopping(String why) {}
}
