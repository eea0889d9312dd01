package io.forkline.cli;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * A program for {@link OwnCpuToolTest}: {@code THREADS} threads each burn {@code MILLIS} of their
 * own CPU time, so that a process whose CPU is mostly in threads other than its main one can be
 * measured from outside.
 */
public final class CpuBurner {
    private CpuBurner() {}

    /** @param args THREADS MILLIS */
    public static void main(String[] args) throws InterruptedException {
        int threads = Integer.parseInt(args[0]);
        long nanos = Long.parseLong(args[1]) * 1_000_000L;
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        List<Thread> started = new ArrayList<>();
        long[] sink = new long[threads];
        for (int t = 0; t < threads; t++) {
            int index = t;
            started.add(Thread.ofPlatform().name("burner-" + t).start(() -> {
                long x = index;
                while (bean.getCurrentThreadCpuTime() < nanos) {
                    for (int i = 0; i < 100_000; i++) x = x * 6364136223846793005L + 1442695040888963407L;
                }
                sink[index] = x;
            }));
        }
        for (Thread t : started) t.join();
        long all = 0;
        for (long s : sink) all ^= s;
        System.out.println(all == 42 ? "unlikely" : "done");
    }
}
