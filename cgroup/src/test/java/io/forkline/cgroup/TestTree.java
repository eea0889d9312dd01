package io.forkline.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The subtree one test works in, named after the run ({@code forkline-test-<pid>-<nanos>}) under
 * /sys/fs/cgroup/unified, /sys/fs/cgroup/pids and /sys/fs/cgroup/cpu (through
 * {@link CgroupRoot#forThisHost(String)}), and its removal: first through the API, then, if that
 * failed, by path as a safety net, so that no test leaves a group behind even when it fails.
 * Never touches /sys/fs/cgroup/memory.
 */
final class TestTree implements AutoCloseable {
    private static final List<Path> HIERARCHIES =
            List.of(Path.of("/sys/fs/cgroup/unified"), Path.of("/sys/fs/cgroup/pids"), Path.of("/sys/fs/cgroup/cpu"));

    final String name = "forkline-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final CgroupRoot root;

    private TestTree() throws CgroupException {
        root = CgroupRoot.forThisHost(name);
    }

    /** Skips (and says why) where this is not the hybrid root host the suite is written for. */
    static TestTree create() throws CgroupException {
        Assumptions.assumeTrue(Files.isWritable(Path.of("/sys/fs/cgroup/unified/cgroup.procs"))
                        && Files.isDirectory(Path.of("/sys/fs/cgroup/pids")) && Files.isDirectory(Path.of("/sys/fs/cgroup/cpu")),
                "needs root on a hybrid cgroup host: cgroup2 at /sys/fs/cgroup/unified, v1 pids and cpu");
        return new TestTree();
    }

    /** @return the directories of this run that still exist, in every hierarchy */
    List<Path> leftovers() {
        List<Path> out = new ArrayList<>();
        for (Path h : HIERARCHIES) {
            if (Files.isDirectory(h.resolve(name))) out.add(h.resolve(name));
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        try {
            root.destroy(java.time.Duration.ofSeconds(5));
        } catch (IOException e) {
            failure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new IOException("interrupted while destroying " + name, e);
        }
        for (Path dir : leftovers()) {
            try {
                removeByPath(dir);
            } catch (IOException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        if (failure != null) throw failure;
    }

    private static boolean warm;

    private static synchronized void warmUp() {
        if (warm) return;
        warm = true;
        try {
            CgroupRoot.open(Path.of("/proc")).close();
            throw new AssertionError("/proc is not a cgroup");
        } catch (CgroupException expected) {
            // loaded: the library, Fs, Errors and the exception classes
        }
    }

    /** The safety net: cgroup.kill (v2), then rmdir deepest first, retried briefly. */
    private static void removeByPath(Path dir) throws IOException {
        List<Path> dirs;
        try (Stream<Path> walk = Files.walk(dir)) {
            dirs = walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
        }
        for (Path d : dirs) {
            if (Files.exists(d.resolve("cgroup.kill"))) Files.writeString(d.resolve("cgroup.kill"), "1");
        }
        for (Path d : dirs) {
            for (int i = 0; ; i++) {
                try {
                    Files.deleteIfExists(d);
                    break;
                } catch (IOException busy) {
                    if (i == 50) throw busy;
                    try {
                        TimeUnit.MILLISECONDS.sleep(20); // a safety net after a failure, not a wait the API makes
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw busy;
                    }
                }
            }
        }
    }

    /**
     * @return the number of open fds of this JVM, after the first use of the native library and
     *     of the error paths (which open jars and load classes once)
     */
    static long openFds() throws IOException {
        warmUp();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
