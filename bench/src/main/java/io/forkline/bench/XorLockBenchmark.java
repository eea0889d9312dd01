package io.forkline.bench;

import io.forkline.concurrent.XorLock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
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
 * Seed 002's workload: "fork" and "open" sections at 100:1 under one lock. {@link XorLock} lets
 * forks share the lock; the Go-style {@link ReentrantReadWriteLock} (fork = write, open = read, as
 * Go's {@code syscall.ForkLock} was used before 1.21) and a plain mutex serialize them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class XorLockBenchmark {

    /** Created by JMH, once per trial. */
    public XorLockBenchmark() {}

    /** Forks per open. */
    static final int FORKS_PER_OPEN = 100;

    /** The lock measured. */
    @Param({"XorLock", "ReentrantReadWriteLock", "ReentrantLock"})
    public String impl;

    /** Work inside each section, in {@link Blackhole#consumeCPU} tokens: a fork is not free. */
    @Param({"50"})
    public int sectionWork;

    private KindLock lock;

    /** The two kinds of section, whatever lock implements them. */
    interface KindLock {
        void fork(int work);

        void open(int work);
    }

    /** Creates the lock named by {@link #impl}. */
    @Setup
    public void setUp() {
        lock = switch (impl) {
            case "XorLock" -> new KindLock() {
                private final XorLock xor = new XorLock();

                @Override
                public void fork(int work) {
                    xor.acquire(XorLock.Kind.A);
                    try {
                        Blackhole.consumeCPU(work);
                    } finally {
                        xor.release(XorLock.Kind.A);
                    }
                }

                @Override
                public void open(int work) {
                    xor.acquire(XorLock.Kind.B);
                    try {
                        Blackhole.consumeCPU(work);
                    } finally {
                        xor.release(XorLock.Kind.B);
                    }
                }
            };
            case "ReentrantReadWriteLock" -> new KindLock() {
                private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();

                @Override
                public void fork(int work) {
                    rw.writeLock().lock();
                    try {
                        Blackhole.consumeCPU(work);
                    } finally {
                        rw.writeLock().unlock();
                    }
                }

                @Override
                public void open(int work) {
                    rw.readLock().lock();
                    try {
                        Blackhole.consumeCPU(work);
                    } finally {
                        rw.readLock().unlock();
                    }
                }
            };
            case "ReentrantLock" -> new KindLock() {
                private final ReentrantLock mutex = new ReentrantLock();

                @Override
                public void fork(int work) {
                    section(work);
                }

                @Override
                public void open(int work) {
                    section(work);
                }

                private void section(int work) {
                    mutex.lock();
                    try {
                        Blackhole.consumeCPU(work);
                    } finally {
                        mutex.unlock();
                    }
                }
            };
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
    }

    /** Counts operations per thread to interleave the kinds deterministically. */
    @State(Scope.Thread)
    public static class Mix {
        /** Created by JMH, once per thread. */
        public Mix() {}

        int operations;
    }

    /**
     * One operation: a fork section, or every {@code FORKS_PER_OPEN + 1}th time an open section.
     *
     * @param mix the thread's operation count
     */
    @Benchmark
    public void forkOpenMix(Mix mix) {
        if (++mix.operations % (FORKS_PER_OPEN + 1) == 0) {
            lock.open(sectionWork);
        } else {
            lock.fork(sectionWork);
        }
    }
}
