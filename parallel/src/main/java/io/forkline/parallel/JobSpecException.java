package io.forkline.parallel;

/**
 * A job description that cannot run as given: a replacement string that names a missing input
 * source, a malformed shard, halt policy or joblog, a joblog from another command. It is a usage
 * error: nothing was started.
 */
public final class JobSpecException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, and what would be right */
    public JobSpecException(String message) {
        super(message);
    }
}
