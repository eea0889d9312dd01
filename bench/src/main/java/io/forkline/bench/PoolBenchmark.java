package io.forkline.bench;

import io.forkline.concurrent.LockedOnDemandPool;
import io.forkline.concurrent.ObjectPool;
import io.forkline.concurrent.PooledObjectFactory;
import io.forkline.concurrent.ReplenishingPool;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Seed 004's workload: acquire an object, use it, release it. Creating an object sleeps {@code
 * createMicros} (a cgroup mkdir mostly waits, on {@code cgroup_mutex}), and every {@value
 * #USES_BEFORE_DIRTY}th release fails validation and destroys the object, so creation stays on the
 * path in steady state. The baseline creates under its lock, as the kernel does under {@code
 * cgroup_mutex}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PoolBenchmark {

    /** Created by JMH, once per trial. */
    public PoolBenchmark() {}

    static final int USES_BEFORE_DIRTY = 10;

    /** The pool measured. */
    @Param({"ReplenishingPool", "LockedOnDemandPool"})
    public String impl;

    /** How long creating one object sleeps, in microseconds. */
    @Param({"50"})
    public int createMicros;

    private ObjectPool<Pooled> pool;

    /** A pooled object that counts its uses; only its current holder touches the count. */
    static final class Pooled {
        int uses;
    }

    final class SlowFactory implements PooledObjectFactory<Pooled> {
        @Override
        public Pooled create() {
            // parkNanos may return early; sleep until the full time has passed.
            long deadline = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(createMicros);
            for (long left; (left = deadline - System.nanoTime()) > 0; ) {
                LockSupport.parkNanos(left);
            }
            return new Pooled();
        }

        @Override
        public boolean recycle(Pooled object) {
            return ++object.uses % USES_BEFORE_DIRTY != 0;
        }

        @Override
        public void destroy(Pooled object) {
            // nothing to tear down in the model
        }
    }

    /** Creates the pool named by {@link #impl}, filled if it pre-provisions. */
    @Setup
    public void setUp() {
        SlowFactory factory = new SlowFactory();
        pool = switch (impl) {
            case "ReplenishingPool" -> {
                ReplenishingPool<Pooled> replenishing =
                        new ReplenishingPool<>(factory, 64, 16, Duration.ofMillis(1));
                replenishing.fill();
                yield replenishing;
            }
            case "LockedOnDemandPool" -> new LockedOnDemandPool<>(factory);
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
    }

    /** Closes the pool. */
    @TearDown
    public void tearDown() {
        pool.close();
    }

    /**
     * One operation: acquire an object, use it, release it.
     *
     * @param blackhole sinks the object
     */
    @Benchmark
    public void acquireRelease(Blackhole blackhole) {
        Pooled object = pool.acquire();
        blackhole.consume(object);
        pool.release(object);
    }
}
