package io.forkline.bench;

import io.forkline.concurrent.BravoRwLock;
import io.forkline.concurrent.PerCpuRwLock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Seeds 000/001's workload: many readers (fork, exec) and a few writers (cgroup migration) on one
 * reader-writer lock, at 100 and 1000 reads per write.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RwLockBenchmark {

    /** Created by JMH, once per trial. */
    public RwLockBenchmark() {}

    /** The lock measured. */
    @Param({"PerCpuRwLock", "BravoRwLock", "ReentrantReadWriteLock", "StampedLock"})
    public String impl;

    /** Reads per write. */
    @Param({"100", "1000"})
    public int readsPerWrite;

    /** Work inside each critical section, in {@link Blackhole#consumeCPU} tokens. */
    @Param({"10"})
    public int sectionWork;

    private RwLock lock;
    /** The data the lock protects. */
    private long guarded;

    /** The two sides of a reader-writer lock, whatever lock implements them. */
    interface RwLock {
        long readLock();

        void readUnlock(long ticket);

        void writeLock();

        void writeUnlock();
    }

    /** Creates the lock named by {@link #impl}. */
    @Setup
    public void setUp() {
        lock = switch (impl) {
            case "PerCpuRwLock" -> new RwLock() {
                private final PerCpuRwLock percpu = new PerCpuRwLock();

                @Override
                public long readLock() {
                    percpu.readLock();
                    return 0L;
                }

                @Override
                public void readUnlock(long ticket) {
                    percpu.readUnlock();
                }

                @Override
                public void writeLock() {
                    percpu.writeLock();
                }

                @Override
                public void writeUnlock() {
                    percpu.writeUnlock();
                }
            };
            case "BravoRwLock" -> new RwLock() {
                private final BravoRwLock bravo = new BravoRwLock();

                @Override
                public long readLock() {
                    return bravo.readLock();
                }

                @Override
                public void readUnlock(long ticket) {
                    bravo.readUnlock((int) ticket);
                }

                @Override
                public void writeLock() {
                    bravo.writeLock();
                }

                @Override
                public void writeUnlock() {
                    bravo.writeUnlock();
                }
            };
            case "ReentrantReadWriteLock" -> new RwLock() {
                private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();

                @Override
                public long readLock() {
                    rw.readLock().lock();
                    return 0L;
                }

                @Override
                public void readUnlock(long ticket) {
                    rw.readLock().unlock();
                }

                @Override
                public void writeLock() {
                    rw.writeLock().lock();
                }

                @Override
                public void writeUnlock() {
                    rw.writeLock().unlock();
                }
            };
            case "StampedLock" -> new RwLock() {
                private final StampedLock stamped = new StampedLock();
                private long writeStamp;

                @Override
                public long readLock() {
                    return stamped.readLock();
                }

                @Override
                public void readUnlock(long ticket) {
                    stamped.unlockRead(ticket);
                }

                @Override
                public void writeLock() {
                    writeStamp = stamped.writeLock();
                }

                @Override
                public void writeUnlock() {
                    stamped.unlockWrite(writeStamp);
                }
            };
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
    }

    /** Counts operations per thread to interleave reads and writes deterministically. */
    @State(Scope.Thread)
    public static class Mix {
        /** Created by JMH, once per thread. */
        public Mix() {}

        int operations;
    }

    /**
     * One operation: a read, or every {@code readsPerWrite + 1}th time a write.
     *
     * @param mix the thread's operation count
     * @return the guarded value, so that the read is not optimized away
     */
    @Benchmark
    public long readWriteMix(Mix mix) {
        if (++mix.operations % (readsPerWrite + 1) == 0) {
            lock.writeLock();
            try {
                Blackhole.consumeCPU(sectionWork);
                return ++guarded;
            } finally {
                lock.writeUnlock();
            }
        }
        long ticket = lock.readLock();
        try {
            Blackhole.consumeCPU(sectionWork);
            return guarded;
        } finally {
            lock.readUnlock(ticket);
        }
    }
}
