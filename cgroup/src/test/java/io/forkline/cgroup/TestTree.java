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
 * The subtree one test works in, named after the run ({@code forkline-test-<pid>-<nanos>}), made
 * with {@link CgroupRoot#forThisHost(String)} wherever this host has its cgroup2 mount: on this
 * project's hybrid hosts under /sys/fs/cgroup/unified with twins under /sys/fs/cgroup/pids and
 * /sys/fs/cgroup/cpu, in the full-cgroup-v2 VM of vmtest under /sys/fs/cgroup alone. Its removal
 * goes first through the API, then, if that failed, by path as a safety net, so that no test
 * leaves a group behind even when it fails. Never touches /sys/fs/cgroup/memory.
 *
 * <p>Tests that check a layout's own behaviour say which they need with {@link #assumeHybrid}
 * or {@link #assumeFullV2}, and the skip says why.
 */
final class TestTree implements AutoCloseable {
    /** Set by vmtest's FullV2TierTest in the VM's JVM: there a tree must be possible and the host is full v2. */
    static final boolean IN_VM = Boolean.getBoolean("forkline.vm.guest");

    final String name = "forkline-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final CgroupRoot root;
    /** The tree's directory in every hierarchy: its v2 directory, then its v1 twins (if any). */
    private final List<Path> dirs;

    private TestTree() throws CgroupException {
        root = CgroupRoot.forThisHost(name);
        dirs = Stream.concat(Stream.of(root.v2Path()), root.v1Paths().values().stream()).distinct().toList();
    }

    /** Skips (and says why) where this host has no cgroup tree for the test: no cgroup2 mount, or not root. */
    static TestTree create() throws CgroupException {
        try {
            return new TestTree();
        } catch (UnusableRootException e) {
            if (IN_VM) throw e;
            return Assumptions.abort("needs a cgroup tree of its own (root, or a delegated cgroup2 mount): " + e.getMessage());
        }
    }

    /** @return whether this host is hybrid: pids and cpu driven in v1 hierarchies beside a v2 one */
    boolean hybrid() {
        return !root.v1Paths().isEmpty();
    }

    /** Skips the test unless this host is hybrid; {@code why} says what the test checks of that layout. */
    void assumeHybrid(String why) {
        if (IN_VM || !hybrid()) {
            Assumptions.abort("checks the hybrid layout (" + why + "), and this host drives every controller forkline has "
                    + "here on v2: " + root.controllers().values());
        }
    }

    /** Skips the test unless every controller is on v2 here; inside the VM that must be so. */
    void assumeFullV2(String why) {
        boolean full = root.controllers().values().stream().allMatch(s -> s.hierarchy() == Hierarchy.V2);
        if (IN_VM) {
            if (!full) throw new AssertionError("inside the VM every controller is on v2: " + root.controllers().values());
            return;
        }
        if (!full) Assumptions.abort("checks a full cgroup v2 host (" + why + "), and this host is not one: "
                + root.controllers().values() + "; the full-cgroup-v2 VM tier (vmtest's FullV2TierTest) runs this test");
    }

    /** @return the directory that holds {@code controller}'s files for group {@code group}: its v1 twin, or its v2 directory */
    static Path dirOf(Cgroup group, Controller controller) {
        return group.v1Paths().getOrDefault(controller, group.path());
    }

    /** @return the tree's directory in every hierarchy: its v2 directory, then its v1 twins (if any) */
    List<Path> dirs() {
        return dirs;
    }

    /** @return group {@code group}'s directories in every hierarchy, whether they exist or not */
    List<Path> groupDirs(String group) {
        return dirs.stream().map(d -> d.resolve(group)).toList();
    }

    /** @return the tree's directories that still exist, in every hierarchy */
    List<Path> leftovers() {
        List<Path> out = new ArrayList<>();
        for (Path dir : dirs) {
            if (Files.isDirectory(dir)) out.add(dir);
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
        // The class path opens its jars lazily, each on the first lookup that reaches it, so a
        // jar first needed inside a test would count as a leaked fd. Looking up a resource that
        // no jar has opens them all now.
        ClassLoader.getSystemClassLoader().getResource("io/forkline/cgroup/no-such-resource");
        // The JDK's SecureRandom, behind every temporary file's name (@TempDir too), keeps
        // /dev/random and /dev/urandom open from its first use: the two extra fds CgroupRootTest
        // once saw, and always sees now that the native library is no longer extracted to a
        // temporary file (which used to make the first one).
        try {
            Files.delete(Files.createTempFile("forkline-warm-up", ""));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
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

    /** What each open fd refers to, for the message when a count is off. */
    static java.util.List<String> openFdTargets() throws IOException {
        java.util.List<String> targets = new java.util.ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    targets.add(fd.getFileName() + "->" + Files.readSymbolicLink(fd));
                } catch (IOException gone) {
                    // the listing's own fd
                }
            }
        }
        return targets;
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
