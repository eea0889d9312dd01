package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.sys.shim.Shim;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a spawn could leak, counted from the kernel's point of view: open fds (pidfds and pipes
 * among them), JVM threads, unreaped children (zombies), the shim's child stacks, and the
 * native memory the shim has mapped (its buffers and large spawns' strings).
 */
record ProcessResources(int fds, List<String> threads, List<Integer> zombies, long childStacks, long nativeBytes) {

    private static volatile boolean warmedUp;

    /**
     * A baseline taken before the test's first spawn, after one full warm-up cycle: class
     * loading opens jar files and the JDK starts helper threads on first use, and those must
     * not count as leaks of the code under test.
     */
    static ProcessResources baseline() {
        if (!warmedUp) {
            try (Launcher launcher = Launcher.create()) {
                Child child = launcher.spawn(Command.of("sh", "-c", "echo x; echo y >&2; cat")
                        .stdin(Stdio.pipe()).stdout(Stdio.capture(10)).stderr(Stdio.pipe()).timeout(java.time.Duration.ofSeconds(30)));
                child.stdin().close();
                child.stderr().readAllBytes();
                assertThat(child.waitFor().stdout().text()).isEqualTo("x\n");
                assertThat(child.toProcess().onExit().join().exitValue()).isZero();
                try {
                    launcher.spawn(Command.of("/nonexistent/forkline-warm-up"));
                } catch (SpawnException expected) {
                    assertThat(expected).hasMessageContaining("ENOENT");
                }
                // The JDK's SecureRandom, behind every temporary file's name (@TempDir too), keeps
                // /dev/random and /dev/urandom open from its first use.
                java.nio.file.Files.delete(java.nio.file.Files.createTempFile("forkline-warm-up", ""));
            } catch (Exception e) {
                throw new IllegalStateException("warm-up failed", e);
            }
            now();
            warmedUp = true;
        }
        return now();
    }

    static ProcessResources now() {
        return new ProcessResources(openFds(), countThreads(), zombieChildren(),
                Shim.liveChildStacks(), Shim.mappedBytes());
    }

    /**
     * Platform threads, less those the JDK keeps for itself once started: virtual-thread
     * carriers and their unblocker, common-pool workers ("ForkJoinPool..."), JFR's own threads, and
     * the reaper threads of ProcessBuilder (tests compare with the JDK; they idle for a minute
     * before they go). forkline's threads are all named after their launcher, so none of them is excluded.
     */
    static List<String> countThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getName)
                .filter(name -> !name.startsWith("ForkJoinPool") && !name.startsWith("VirtualThread-") && !name.startsWith("JFR ")
                        && !name.startsWith("process reaper"))
                .sorted()
                .toList();
    }

    static int openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count() - 1; // the directory stream's own fd
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What each open fd refers to, to say what leaked. */
    static List<String> openFdTargets() {
        List<String> targets = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    targets.add(fd.getFileName() + "->" + Files.readSymbolicLink(fd));
                } catch (IOException gone) {
                    // the directory stream's own fd, or one closed meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return targets;
    }

    /** Children of this JVM (of any of its threads) that have exited and not been reaped. */
    static List<Integer> zombieChildren() {
        List<Integer> zombies = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                String children;
                try {
                    children = Files.readString(task.resolve("children")).trim();
                } catch (IOException gone) {
                    continue; // the thread exited meanwhile
                }
                if (children.isEmpty()) continue;
                for (String pid : children.split("\\s+")) {
                    try {
                        String stat = Files.readString(Path.of("/proc", pid, "stat"));
                        if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) zombies.add(Integer.parseInt(pid));
                    } catch (IOException gone) {
                        // reaped meanwhile
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return zombies;
    }

    /**
     * Asserts nothing leaked since {@code before}. Threads that end asynchronously (a JDK
     * executor's worker, for instance) get a moment to go; counts never get a tolerance. A child
     * stack is lent only for the length of one spawn, so none may be out once the spawns are done.
     */
    void assertNothingLeakedSince(ProcessResources before) {
        ProcessResources after = this;
        long allowedStacks = before.childStacks;
        for (int attempt = 0; attempt < 50 && !after.sameAs(before, allowedStacks); attempt++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            after = now();
        }
        assertThat(after.fds()).as("open fds, now %s", openFdTargets()).isLessThanOrEqualTo(before.fds());
        assertThat(after.threads().size()).as("JVM threads %s, before %s", after.threads(), before.threads())
                .isLessThanOrEqualTo(before.threads().size());
        assertThat(after.zombies()).as("zombie children").isEmpty();
        assertThat(after.childStacks()).as("native child stacks lent").isLessThanOrEqualTo(allowedStacks);
        // Exact: the shim counts every byte it maps and unmaps; only event loops still open hold any.
        assertThat(after.nativeBytes()).as("bytes the shim has mapped").isLessThanOrEqualTo(before.nativeBytes());
    }

    private boolean sameAs(ProcessResources before, long allowedStacks) {
        return fds <= before.fds && threads.size() <= before.threads.size() && zombies.isEmpty() && childStacks <= allowedStacks
                && nativeBytes <= before.nativeBytes;
    }
}
