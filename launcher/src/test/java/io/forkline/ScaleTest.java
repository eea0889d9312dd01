package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Many children, many spawning threads, and children that exit before anyone looks. */
class ScaleTest {
    private static final boolean THOROUGH = Boolean.getBoolean("forkline.thorough");

    @Test
    void tenThousandLiveChildrenCostNoThreadEach() throws Exception {
        ProcessResources before = ProcessResources.baseline();
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        int children = 10_000;
        List<Child> live = new ArrayList<>(children);
        try (Launcher launcher = Launcher.create()) {
            Command sleep = Command.of("sleep", "600").stdin(Stdio.discard()).stdout(Stdio.discard()).stderr(Stdio.discard());
            for (int i = 0; i < children; i++) live.add(launcher.spawn(sleep));
            assertThat(launcher.liveChildren()).isEqualTo(children);
            int threadsDuring = ManagementFactory.getThreadMXBean().getThreadCount();
            assertThat(threadsDuring - threadsBefore).as("JVM threads above the baseline with %d live children", children)
                    .isLessThanOrEqualTo(10);
            assertThat(live.stream().mapToInt(Child::pid).distinct().count()).isEqualTo(children);
        } // close kills them all and waits until every one is reaped
        assertThat(live).allSatisfy(child -> {
            assertThat(child.isAlive()).isFalse();
            assertThat(child.waitFor().signal()).isEqualTo(Signals.KILL);
        });
        ProcessResources.now().assertNothingLeakedSince(before);
    }

    @Test
    void fastExitingChildrenAreNeverLost() throws Exception {
        ProcessResources before = ProcessResources.baseline();
        int iterations = THOROUGH ? 5000 : 500;
        try (Launcher launcher = Launcher.create()) {
            for (int i = 0; i < iterations; i++) {
                Child child = launcher.spawn(Command.of("/bin/sh", "-c", "exit " + (i % 256)));
                assertThat(child.waitFor().exitCode()).isEqualTo(i % 256);
            }
            // The same without waiting: every exit must still arrive, however fast it was.
            List<Child> unattended = new ArrayList<>();
            for (int i = 0; i < iterations; i++) unattended.add(launcher.spawn(Command.of("/bin/true")));
            for (Child child : unattended) assertThat(child.waitFor(Duration.ofSeconds(30))).hasValueSatisfying(e -> assertThat(e.success()).isTrue());
            assertThat(launcher.liveChildren()).isZero();
        }
        ProcessResources.now().assertNothingLeakedSince(before);
    }

    @Test
    void eightThreadsSpawningAtOnceLoseAndDuplicateNothing() throws Exception {
        ProcessResources before = ProcessResources.baseline();
        int threads = 8;
        int perThread = THOROUGH ? 1000 : 150;
        ConcurrentHashMap<Integer, Integer> expectedByPid = new ConcurrentHashMap<>();
        ConcurrentHashMap<Integer, Integer> exitsByPid = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        try (Launcher launcher = Launcher.create()) {
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> spawners = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                spawners.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        List<Child> mine = new ArrayList<>();
                        for (int i = 0; i < perThread; i++) {
                            int code = (thread * perThread + i) % 256;
                            Child child = launcher.spawn(Command.of("/bin/sh", "-c", "exit " + code).stdout(Stdio.capture(16)));
                            if (expectedByPid.put(child.pid(), code) != null) duplicates.incrementAndGet();
                            child.onExit().thenAccept(exit -> {
                                if (exitsByPid.put(exit.pid(), exit.exitCode()) != null) duplicates.incrementAndGet();
                            });
                            mine.add(child);
                        }
                        for (Child child : mine) child.waitFor();
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            go.countDown();
            for (Thread spawner : spawners) spawner.join();
        }
        assertThat(failures).isEmpty();
        assertThat(duplicates.get()).isZero();
        assertThat(exitsByPid).hasSize(threads * perThread).isEqualTo(expectedByPid);
        ProcessResources.now().assertNothingLeakedSince(before);
    }

    @Test
    void closeWhileThreadsSpawnLeavesNothingBehind() throws Exception {
        ProcessResources before = ProcessResources.baseline();
        Launcher launcher = Launcher.create();
        List<Throwable> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger refused = new AtomicInteger();
        List<Child> spawned = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> spawners = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            spawners.add(Thread.ofPlatform().start(() -> {
                while (true) {
                    try {
                        spawned.add(launcher.spawn(Command.of("sleep", "30").stdout(Stdio.capture(64))));
                    } catch (IllegalStateException closed) {
                        refused.incrementAndGet();
                        return;
                    } catch (Throwable e) {
                        unexpected.add(e);
                        return;
                    }
                }
            }));
        }
        Thread.sleep(300);
        launcher.close();
        for (Thread spawner : spawners) spawner.join();
        assertThat(unexpected).isEmpty();
        assertThat(refused.get()).isEqualTo(4);
        assertThat(spawned).isNotEmpty().allSatisfy(child -> assertThat(child.isAlive()).isFalse());
        ProcessResources.now().assertNothingLeakedSince(before);
    }

    @Test
    void spawnsFromManyThreadsShareTheChildStacksOfThePool() throws Exception {
        ProcessResources before = ProcessResources.baseline();
        long pooledBefore = io.forkline.sys.shim.Shim.pooledChildStacks();
        try (Launcher launcher = Launcher.create()) {
            // Five threads one after another: each spawn borrows the pool's first free stack, so
            // the pool grows by one stack at most, however many threads have spawned.
            for (int round = 0; round < 5; round++) {
                Thread t = Thread.ofPlatform().start(() -> {
                    try {
                        launcher.spawn(Command.of("/bin/true")).waitFor();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                t.join();
                assertThat(io.forkline.sys.shim.Shim.liveChildStacks()).as("stacks lent after the spawn").isZero();
            }
            assertThat(io.forkline.sys.shim.Shim.pooledChildStacks()).isLessThanOrEqualTo(Math.max(pooledBefore, 1));
            // Twenty at once from virtual threads: at most twenty more (and never more than the
            // pool's 64), all given back.
            try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 20; i++) {
                    executor.submit(() -> launcher.spawn(Command.of("/bin/true")).waitFor());
                }
            }
            assertThat(io.forkline.sys.shim.Shim.liveChildStacks()).isZero();
            assertThat(io.forkline.sys.shim.Shim.pooledChildStacks()).isBetween(1L, Math.max(pooledBefore, 1) + 20);
        }
        ProcessResources.now().assertNothingLeakedSince(before);
    }
}
