package io.forkline.bench;

import io.forkline.concurrent.XorLock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** The cost of an uncontended same-kind acquire and release of {@link XorLock}; run with 1 thread. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class XorLockUncontendedBenchmark {

    /** Created by JMH, once per thread. */
    public XorLockUncontendedBenchmark() {}

    private final XorLock lock = new XorLock();

    /** One same-kind acquire and release on a lock no other thread touches. */
    @Benchmark
    public void acquireRelease() {
        lock.acquire(XorLock.Kind.A);
        lock.release(XorLock.Kind.A);
    }
}
