package io.forkline;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where one of a child's standard streams goes. Every kind that forkline drives itself
 * ({@link #pipe()}, {@link #capture(int)}, {@link #stream(OutputListener)}) is served by the
 * launcher's single epoll loop, never by a thread per stream.
 */
public sealed interface Stdio {
    /** The child shares the JVM's stream. */
    static Stdio inherit() {
        return Inherit.INSTANCE;
    }

    /** {@code /dev/null}. */
    static Stdio discard() {
        return Discard.INSTANCE;
    }

    /** stdin only: read from a file. */
    static Stdio readFrom(Path file) {
        return new File(file, FileMode.READ);
    }

    /** stdout or stderr: write to a file, created or truncated. */
    static Stdio writeTo(Path file) {
        return new File(file, FileMode.WRITE);
    }

    /** stdout or stderr: append to a file, created if missing. */
    static Stdio appendTo(Path file) {
        return new File(file, FileMode.APPEND);
    }

    /**
     * A pipe that the caller drives: for stdin, {@link Child#stdin()} is an OutputStream; for stdout
     * and stderr, {@link Child#stdout()} and {@link Child#stderr()} are InputStreams.
     */
    static Stdio pipe() {
        return Pipe.INSTANCE;
    }

    /**
     * stdout or stderr: collect into memory, keeping at most {@code maxBytes}; what comes after
     * is read and counted but dropped, so the child never blocks on a full pipe. The result is in
     * {@link Exit#stdout()} or {@link Exit#stderr()}.
     */
    static Stdio capture(int maxBytes) {
        if (maxBytes < 0) throw new IllegalArgumentException("capture limit must be >= 0, got " + maxBytes);
        return new Capture(maxBytes);
    }

    /** stdout or stderr: hand every chunk to a listener, on the launcher's event loop thread. */
    static Stdio stream(OutputListener listener) {
        return new Stream(Objects.requireNonNull(listener, "listener"));
    }

    /** stderr only: go wherever stdout goes ({@code 2>&1}). */
    static Stdio mergeIntoStdout() {
        return MergeIntoStdout.INSTANCE;
    }

    /** The file modes of {@link File}. */
    enum FileMode {
        /** O_RDONLY. */
        READ,
        /** O_WRONLY|O_CREAT|O_TRUNC. */
        WRITE,
        /** O_WRONLY|O_CREAT|O_APPEND. */
        APPEND
    }

    /** See {@link Stdio#inherit()}. */
    enum Inherit implements Stdio {
        /** The only instance. */
        INSTANCE
    }

    /** See {@link Stdio#discard()}. */
    enum Discard implements Stdio {
        /** The only instance. */
        INSTANCE
    }

    /** See {@link Stdio#pipe()}. */
    enum Pipe implements Stdio {
        /** The only instance. */
        INSTANCE
    }

    /** See {@link Stdio#mergeIntoStdout()}. */
    enum MergeIntoStdout implements Stdio {
        /** The only instance. */
        INSTANCE
    }

    /**
     * See {@link Stdio#readFrom(Path)}, {@link Stdio#writeTo(Path)}, {@link Stdio#appendTo(Path)}.
     *
     * @param path the file
     * @param mode how it is opened
     */
    record File(Path path, FileMode mode) implements Stdio {
        /** Checks the arguments. */
        public File {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(mode, "mode");
        }
    }

    /**
     * See {@link Stdio#capture(int)}.
     *
     * @param maxBytes how much is kept
     */
    record Capture(int maxBytes) implements Stdio {}

    /**
     * See {@link Stdio#stream(OutputListener)}.
     *
     * @param listener receives the chunks
     */
    record Stream(OutputListener listener) implements Stdio {}
}
