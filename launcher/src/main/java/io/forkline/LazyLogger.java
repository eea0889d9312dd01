package io.forkline;

/**
 * A {@link System.Logger} looked up when it first logs. The first {@link System#getLogger} in a
 * JVM sets up its logging backend (java.util.logging's LogManager: about 10 ms of a one-spawn
 * CLI's start), and most runs of a launcher never log at all.
 */
final class LazyLogger {
    private final String name;
    /** Racy on purpose: two threads that log first may both look it up, and get the same logger. */
    private System.Logger logger;

    LazyLogger(Class<?> owner) {
        this.name = owner.getName();
    }

    void log(System.Logger.Level level, String message) {
        logger().log(level, message);
    }

    void log(System.Logger.Level level, String message, Throwable thrown) {
        logger().log(level, message, thrown);
    }

    private System.Logger logger() {
        System.Logger l = logger;
        if (l == null) logger = l = System.getLogger(name);
        return l;
    }
}
