package io.forkline.parallel;

/**
 * Hears about jobs as they finish, for a progress view, log lines or JSON. {@code jobFinished}
 * and {@code jobRetried} run on the worker thread of the job's slot, under the run's lock, so
 * one at a time and in the order jobs finish: keep them short, as the next job of every slot
 * waits for them. {@code stopping} runs on the thread that stopped the run.
 */
public interface RunListener {
    /** A job finished, after its last try. */
    default void jobFinished(JobResult job) {}

    /** A try of a job failed and it is started again ({@code --retries}). */
    default void jobRetried(JobResult failedTry) {}

    /** The run stops starting jobs: a halt policy was reached, it was interrupted, or its input failed. */
    default void stopping(String why) {}
}
