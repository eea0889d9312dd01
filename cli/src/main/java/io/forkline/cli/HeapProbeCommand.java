package io.forkline.cli;

import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Launcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The child side of {@code bench heap}, run in a JVM with a large enough -Xmx: touch the
 * requested heap, keep it reachable, then time forkline spawns of /bin/true.
 */
@picocli.CommandLine.Command(name = "heap-probe", hidden = true, description = "Internal: one side of bench heap.")
final class HeapProbeCommand implements Callable<Integer> {
    private static final int CHUNK_LONGS = 8 << 20; // 64 MiB per array

    @Option(names = "--heap-mb", required = true)
    int heapMb;

    @Option(names = "--n", defaultValue = "2000")
    int n;

    /** Kept reachable until the measurement is done. */
    static volatile List<long[]> ballast;

    @Spec
    CommandSpec spec;

    /** @return this host's physical memory in MB: the most heap a probe can touch */
    static long physicalMemoryMb() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize() >> 20;
        }
        return Integer.MAX_VALUE;
    }

    @Override
    public Integer call() throws Exception {
        Errors.requireRange(spec, "--heap-mb", heapMb, 1, physicalMemoryMb());
        Errors.requireAtLeast(spec, "--n", n, 1);
        List<long[]> chunks = new ArrayList<>();
        long bytes = (long) heapMb << 20;
        for (long done = 0; done < bytes; done += (long) CHUNK_LONGS * Long.BYTES) {
            long[] chunk = new long[(int) Math.min(CHUNK_LONGS, (bytes - done) / Long.BYTES)];
            Arrays.fill(chunk, done); // writes every page
            chunks.add(chunk);
        }
        ballast = chunks;
        try (Launcher launcher = Launcher.create()) {
            Command command = Command.of("/bin/true");
            for (int i = 0; i < Math.min(n / 10, 200); i++) launcher.spawn(command).waitFor();
            long begin = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Child child = launcher.spawn(command);
                child.waitFor();
            }
            long elapsed = System.nanoTime() - begin;
            long touched = 0;
            for (long[] chunk : ballast) touched += chunk.length;
            System.out.printf(Locale.ROOT, "heap_mb=%d spawns_per_sec=%.1f touched_mb=%d%n", heapMb, n * 1e9 / elapsed,
                    touched * Long.BYTES >> 20);
        }
        return 0;
    }
}
