package io.forkline;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Child} seen as a {@link Process}, so that code written against the JDK's API works
 * unchanged. Streams that are not {@link Stdio#pipe()} behave as the JDK's redirected streams
 * do: an empty InputStream and an OutputStream that refuses writes. Pipes end at the exit as the
 * JDK's do ({@link Child#toProcess()} asks for that). Exit values follow the JDK: the exit
 * status, or 128 plus the signal.
 */
final class ChildProcess extends Process {
    private final Child child;

    ChildProcess(Child child) {
        this.child = child;
    }

    @Override
    public OutputStream getOutputStream() {
        OutputStream stdin = child.stdinOrNull();
        return stdin != null ? stdin : RefusingOutputStream.INSTANCE;
    }

    /** The JDK's stdin when it is redirected: every write fails, as there is no pipe to take it. */
    private static final class RefusingOutputStream extends OutputStream {
        static final RefusingOutputStream INSTANCE = new RefusingOutputStream();

        @Override
        public void write(int b) throws IOException {
            throw new IOException("Stream closed");
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            throw new IOException("Stream closed");
        }
    }

    @Override
    public InputStream getInputStream() {
        InputStream stdout = child.stdoutOrNull();
        return stdout != null ? stdout : InputStream.nullInputStream();
    }

    @Override
    public InputStream getErrorStream() {
        InputStream stderr = child.stderrOrNull();
        return stderr != null ? stderr : InputStream.nullInputStream();
    }

    @Override
    public int waitFor() throws InterruptedException {
        return child.waitFor().statusCode();
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return child.waitFor(java.time.Duration.ofNanos(unit.toNanos(timeout))).isPresent();
    }

    @Override
    public int exitValue() {
        CompletableFuture<Exit> exit = child.exitFuture();
        if (!exit.isDone()) throw new IllegalThreadStateException("process " + child.pid() + " has not exited");
        return exit.join().statusCode();
    }

    @Override
    public void destroy() {
        child.terminate();
    }

    @Override
    public Process destroyForcibly() {
        child.kill();
        return this;
    }

    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    @Override
    public boolean isAlive() {
        return child.isAlive();
    }

    @Override
    public long pid() {
        return child.pid();
    }

    /** Like the JDK's, dependents run asynchronously, never on the event loop thread. */
    @Override
    public CompletableFuture<Process> onExit() {
        return child.exitFuture().handleAsync((exit, failure) -> this);
    }

    @Override
    public ProcessHandle toHandle() {
        return new ChildHandle(child);
    }

    @Override
    public String toString() {
        return "Process[pid=" + child.pid() + ", forkline]";
    }
}
