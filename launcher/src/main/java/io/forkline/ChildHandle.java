package io.forkline;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * A {@link ProcessHandle} for a {@link Child}. Destroying goes through the pidfd, like every
 * forkline signal; what the JDK can tell about a live process (info, children) comes from the
 * JDK's own handle while the child is alive.
 */
final class ChildHandle implements ProcessHandle {
    private final Child child;

    ChildHandle(Child child) {
        this.child = child;
    }

    private Optional<ProcessHandle> jdkHandle() {
        return child.isAlive() ? ProcessHandle.of(child.pid()) : Optional.empty();
    }

    @Override
    public long pid() {
        return child.pid();
    }

    @Override
    public Optional<ProcessHandle> parent() {
        return Optional.of(ProcessHandle.current());
    }

    @Override
    public Stream<ProcessHandle> children() {
        return jdkHandle().stream().flatMap(ProcessHandle::children);
    }

    @Override
    public Stream<ProcessHandle> descendants() {
        return jdkHandle().stream().flatMap(ProcessHandle::descendants);
    }

    @Override
    public Info info() {
        return jdkHandle().map(ProcessHandle::info).orElse(EmptyInfo.INSTANCE);
    }

    @Override
    public CompletableFuture<ProcessHandle> onExit() {
        return child.exitFuture().handleAsync((exit, failure) -> this);
    }

    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    @Override
    public boolean destroy() {
        return child.terminate();
    }

    @Override
    public boolean destroyForcibly() {
        return child.kill();
    }

    @Override
    public boolean isAlive() {
        return child.isAlive();
    }

    @Override
    public int compareTo(ProcessHandle other) {
        return Long.compare(pid(), other.pid());
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ChildHandle h && h.child == child;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(pid());
    }

    @Override
    public String toString() {
        return String.valueOf(pid());
    }

    /** What is known of a process that has been reaped: nothing. */
    enum EmptyInfo implements Info {
        INSTANCE;

        @Override
        public Optional<String> command() {
            return Optional.empty();
        }

        @Override
        public Optional<String> commandLine() {
            return Optional.empty();
        }

        @Override
        public Optional<String[]> arguments() {
            return Optional.empty();
        }

        @Override
        public Optional<java.time.Instant> startInstant() {
            return Optional.empty();
        }

        @Override
        public Optional<java.time.Duration> totalCpuDuration() {
            return Optional.empty();
        }

        @Override
        public Optional<String> user() {
            return Optional.empty();
        }
    }
}
