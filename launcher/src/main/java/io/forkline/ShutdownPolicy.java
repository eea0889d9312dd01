package io.forkline;

/** What {@link Launcher#close()} does with children that are still running. */
public enum ShutdownPolicy {
    /** SIGKILL every live child (its whole group when it leads one), then wait for it to be reaped. */
    KILL,
    /** Wait for every live child to exit by itself. */
    WAIT
}
