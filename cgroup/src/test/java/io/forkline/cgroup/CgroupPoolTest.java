package io.forkline.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.forkline.sys.shim.ExitRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CgroupPool} on the real kernel, in a tree of this test's own (TestTree) that is always
 * removed: the fast path makes no group, an empty pool takes the counted slow path and refills
 * after its delay, release empties and resets a group (stragglers, limits, accounting), a group
 * that cannot be reused is removed, and the crash sweep removes exactly the groups of dead owners.
 */
class CgroupPoolTest {
    private static final long MIB = 1 << 20;

    private TestTree tree;
    private long fdsBefore;

    @BeforeEach
    void createTree() throws Exception {
        fdsBefore = TestTree.openFds();
        tree = TestTree.create();
    }

    @AfterEach
    void removeTree() throws Exception {
        if (tree == null) return;
        tree.close();
        assertThat(tree.leftovers()).isEmpty();
        assertThat(TestTree.openFds()).isEqualTo(fdsBefore);
    }

    @Test
    void acquireTakesAReadyGroupAndMakesNone() throws Exception {
        try (CgroupPool pool = CgroupPool.builder(tree.root).capacity(4).build()) {
            Set<String> ready = Set.copyOf(tree.root.groupNames());
            assertThat(ready).hasSizeGreaterThanOrEqualTo(4);
            List<Cgroup> taken = new ArrayList<>();
            for (int i = 0; i < 4; i++) taken.add(pool.acquire());
            for (Cgroup g : taken) assertThat(ready).contains(g.name());
            assertThat(pool.slowPathCount()).isZero();
            for (Cgroup g : taken) pool.release(g);
            assertThat(pool.removedCount()).isZero();
        }
        assertThat(tree.root.groupNames()).isEmpty();
    }

    @Test
    void anEmptyPoolTakesTheCountedSlowPathAndRefillsAfterItsDelay() throws Exception {
        try (CgroupPool pool = CgroupPool.builder(tree.root).capacity(2).lowWaterMark(1)
                .refillDelay(Duration.ofMillis(100)).build()) {
            long filled = pool.refillCount();
            List<Cgroup> taken = new ArrayList<>();
            for (int i = 0; i < 2 + 3; i++) taken.add(pool.acquire());
            assertThat(pool.slowPathCount()).isGreaterThanOrEqualTo(1);
            assertThat(taken.stream().map(Cgroup::name).distinct()).hasSize(5);
            // The refill may fire while the acquires are still running (under emulation they take
            // longer than its 100 ms delay) and hand some of its groups to them, leaving the pool
            // at its low-water mark, which asks for no further refill. So what must hold in every
            // interleaving is: a refill ran, the pool is not below its low-water mark, and every
            // group made (by the fill, the refill or the slow path) was either taken or is idle.
            awaitTrue(() -> pool.refillCount() > filled && pool.idleCount() >= 1
                    && pool.refillCount() + pool.slowPathCount() == taken.size() + pool.idleCount(),
                    () -> "the refill after 100 ms (fill and refill made " + pool.refillCount() + ", of them "
                            + filled + " before the acquires; slow path " + pool.slowPathCount() + "; idle "
                            + pool.idleCount() + "; taken " + taken.size() + ")");
            assertThat(pool.idleCount()).isBetween(1, 2);
            for (Cgroup g : taken) pool.release(g);
        }
    }

    @Test
    void aGroupWithStragglersIsKilledRetiredAndReplaced() throws Exception {
        try (CgroupPool pool = readyPool(1)) {
            Cgroup group = pool.acquire();
            String name = group.name();
            try (TestChild shell = TestChild.shell(group, "sleep 100 & sleep 100 & echo started; wait")) {
                assertThat(shell.readLine()).isEqualTo("started");
                assertThat(group.pids()).hasSize(3);
                pool.release(group);
                ExitRecord exit = shell.waitFor(Duration.ofSeconds(10));
                assertThat(exit).isNotNull();
                assertThat(exit.status()).isEqualTo(9);
            }
            assertThat(pool.removedCount()).isEqualTo(1);
            for (Path dir : tree.groupDirs(name)) assertThat(dir).doesNotExist();
            Cgroup next = pool.acquire();
            assertThat(next.name()).isNotEqualTo(name);
            try (TestChild child = TestChild.spawn(next, "/bin/true", "true")) {
                ExitRecord exit = child.waitFor(Duration.ofSeconds(10));
                assertThat(exit.code()).isEqualTo(ExitRecord.CLD_EXITED);
                assertThat(exit.status()).isZero();
            }
            pool.release(next);
            assertThat(pool.removedCount()).isEqualTo(1);
        }
    }

    /**
     * Whether a killed group can host the next job is the kernel's to say, so the pool asks the
     * probe, and so does this test: retired where children born into it would be SIGKILLed,
     * reused (and a program runs in it) where they would not.
     */
    @Test
    void anEmptiedKilledGroupIsReusedExactlyWhereTheKernelLetsItsNextChildLive() throws Exception {
        BirthAfterKill.Probe probe = tree.root.birthAfterKill();
        assertThat(probe.behaviour()).as("the probe CgroupRoot.birthAfterKill() could not tell: %s", probe)
                .isNotEqualTo(BirthAfterKill.UNKNOWN);
        try (CgroupPool pool = readyPool(1)) {
            Cgroup group = pool.acquire();
            group.kill();
            pool.release(group);
            Cgroup next = pool.acquire();
            if (probe.behaviour() == BirthAfterKill.KILLED) {
                assertThat(pool.removedCount()).as("retired: %s", probe).isEqualTo(1);
                assertThat(next.name()).isNotEqualTo(group.name());
            } else {
                assertThat(pool.removedCount()).as("reused: %s", probe).isZero();
                assertThat(next.name()).isEqualTo(group.name());
            }
            try (TestChild child = TestChild.spawn(next, "/bin/true", "true")) {
                ExitRecord exit = child.waitFor(Duration.ofSeconds(30));
                assertThat(exit.code()).as("the next job runs in the group it was handed").isEqualTo(ExitRecord.CLD_EXITED);
                assertThat(exit.status()).isZero();
            }
            pool.release(next);
        }
    }

    @Test
    void theNextJobsAccountingStartsAtZero() throws Exception {
        try (CgroupPool pool = readyPool(1)) {
            Cgroup group = pool.acquire();
            // About 0.2 s of CPU on the host, and some seconds under the VM tier's emulation.
            try (TestChild busy = TestChild.shell(group, "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done")) {
                assertThat(busy.waitFor(Duration.ofSeconds(60))).isNotNull();
            }
            long used = group.stats().cpu().usageMicros();
            assertThat(used).isGreaterThan(50_000);
            pool.release(group);
            Cgroup again = pool.acquire();
            assertThat(again.name()).isEqualTo(group.name());
            Stats fresh = again.stats();
            assertThat(fresh.cpu().usageMicros()).isLessThan(used / 10);
            assertThat(fresh.pids().forkFailures()).isZero();
            assertThat(fresh.pids().peak()).isEqualTo(-1); // unknown after reuse, never the last job's
            pool.release(again);
        }
    }

    @Test
    void aReusedGroupReportsItsJobsOwnMemoryPeakOrNone() throws Exception {
        if (!tree.root.controller(Controller.MEMORY).available()) {
            if (TestTree.IN_VM) throw new AssertionError("inside the VM memory is on v2: " + tree.root.controller(Controller.MEMORY));
            Assumptions.abort("needs the memory controller on v2 (" + tree.root.controller(Controller.MEMORY).reason()
                    + "); the full-cgroup-v2 VM tier (vmtest's FullV2TierTest) runs this test");
        }
        try (CgroupPool pool = readyPool(1)) {
            Cgroup group = pool.acquire();
            // The kernel's own answer, not forkline's: memory.peak is writable (0644) exactly where
            // it has a write handler, the per-fd reset of Linux 6.12 (cgroup_file_mode).
            boolean resettable = Files.getPosixFilePermissions(group.path().resolve("memory.peak"))
                    .contains(PosixFilePermission.OWNER_WRITE);
            assertThat(peakOfADd(group, 48 * MIB)).as("a fresh group's first job, a dd with a 48 MiB buffer")
                    .isGreaterThanOrEqualTo(48 * MIB);
            pool.release(group);
            CgroupRoot.PeakReset found = tree.root.memoryPeakReset();
            assertThat(found.works()).as("what the first reset found out: %s", found).isEqualTo(resettable);
            if (!resettable) {
                // Root (the test's and the VM's user) may open the 0444 file for writing; the write has no handler.
                assertThat(found.whyNot()).startsWith("write(").contains("EINVAL").contains(group.path().resolve("memory.peak").toString());
            }

            Cgroup again = pool.acquire();
            assertThat(again.name()).isEqualTo(group.name());
            long second = peakOfADd(again, 4 * MIB);
            if (resettable) {
                assertThat(second).as("the next job's own peak, a dd with a 4 MiB buffer, not the last job's 48 MiB")
                        .isBetween(4 * MIB, 24 * MIB);
            } else {
                assertThat(second).as("no reset on this kernel: unknown, never the last job's").isEqualTo(-1);
            }
            // The reset is made at every release, not only the first.
            pool.release(again);
            Cgroup third = pool.acquire();
            assertThat(third.name()).isEqualTo(group.name());
            assertThat(third.stats().memory().peakBytes()).as("before the third job ran")
                    .isBetween(resettable ? 0L : -1L, resettable ? 4 * MIB : -1L);
            pool.release(third);
        }
    }

    /** Runs a dd with a {@code buffer}-byte buffer in {@code group}, and returns the group's memory.peak once it is empty. */
    private static long peakOfADd(Cgroup group, long buffer) throws Exception {
        try (TestChild dd = TestChild.spawn(group, "/bin/dd", "dd", "if=/dev/zero", "of=/dev/null", "bs=" + buffer, "count=1")) {
            ExitRecord exit = dd.waitFor(Duration.ofSeconds(60));
            assertThat(exit.code()).isEqualTo(ExitRecord.CLD_EXITED);
            assertThat(exit.status()).isZero();
        }
        assertThat(group.awaitEmpty(Duration.ofSeconds(10))).isTrue();
        return group.stats().memory().peakBytes();
    }

    @Test
    void aJobsLimitsAreResetForTheNextJob() throws Exception {
        try (CgroupPool pool = readyPool(1)) {
            Limits limits = Limits.builder().pidsMax(5).cpuMax(20_000, 100_000).cpuWeight(50).build();
            Cgroup group = pool.acquire(limits);
            Path pids = TestTree.dirOf(group, Controller.PIDS);
            Path cpu = TestTree.dirOf(group, Controller.CPU);
            assertThat(Files.readString(pids.resolve("pids.max")).strip()).isEqualTo("5");
            if (tree.hybrid()) {
                assertThat(Files.readString(cpu.resolve("cpu.cfs_quota_us")).strip()).isEqualTo("20000");
            } else {
                assertThat(Files.readString(cpu.resolve("cpu.max")).strip()).isEqualTo("20000 100000");
                assertThat(Files.readString(cpu.resolve("cpu.weight")).strip()).isEqualTo("50");
            }
            pool.release(group);
            Cgroup again = pool.acquire();
            assertThat(again.name()).isEqualTo(group.name());
            assertThat(Files.readString(pids.resolve("pids.max")).strip()).isEqualTo("max");
            if (tree.hybrid()) {
                assertThat(Files.readString(cpu.resolve("cpu.cfs_quota_us")).strip()).isEqualTo("-1");
                assertThat(Files.readString(cpu.resolve("cpu.cfs_period_us")).strip()).isEqualTo("100000");
                assertThat(Files.readString(cpu.resolve("cpu.shares")).strip()).isEqualTo("1024");
            } else {
                assertThat(Files.readString(cpu.resolve("cpu.max")).strip()).isEqualTo("max 100000");
                assertThat(Files.readString(cpu.resolve("cpu.weight")).strip()).isEqualTo("100");
            }
            assertThat(again.limits().applied()).isEmpty();
            pool.release(again);
        }
    }

    @Test
    void aLimitThatCannotBeAppliedIsTypedAndTheGroupGoesBack() throws Exception {
        try (CgroupPool pool = readyPool(2)) {
            tree.assumeHybrid("no memory controller for forkline, so memory.max cannot be applied");
            Limits memory = Limits.builder().memoryMax(64L << 20).pidsMax(7).build();
            assertThrows(ControllerUnavailableException.class, () -> pool.acquire(memory));
            assertThat(pool.removedCount()).isZero();
            assertThat(pool.idleCount()).isEqualTo(2);
            for (String name : tree.root.groupNames()) {
                assertThat(Files.readString(tree.root.controller(Controller.PIDS).directory().resolve(name).resolve("pids.max")).strip())
                        .isEqualTo("max");
            }
        }
    }

    @Test
    void aGroupRemovedUnderneathIsDroppedAndThePoolKeepsWorking() throws Exception {
        try (CgroupPool pool = readyPool(1)) {
            Cgroup group = pool.acquire();
            String name = group.name();
            Files.delete(group.path()); // someone else's rmdir, while the job holds the group
            pool.release(group);
            assertThat(pool.removedCount()).isEqualTo(1);
            for (Path dir : tree.groupDirs(name)) assertThat(dir).doesNotExist();
            Cgroup next = pool.acquire();
            assertThat(next.name()).isNotEqualTo(name);
            pool.release(next);
        }
    }

    @Test
    void aGroupOfAnotherPoolOrAReleasedOneIsRefused() throws Exception {
        try (CgroupPool one = CgroupPool.builder(tree.root).capacity(1).build();
                CgroupPool two = CgroupPool.builder(tree.root).capacity(1).build()) {
            Cgroup group = one.acquire();
            assertThrows(IllegalArgumentException.class, () -> two.release(group));
            one.release(group);
            assertThrows(IllegalArgumentException.class, () -> one.release(group)); // twice
            assertThat(two.lastSweep().liveOwners()).isNotEmpty(); // one's groups: this JVM is alive
            assertThat(two.lastSweep().removed()).isEmpty();
        }
    }

    @Test
    void manyThreadsNeverHoldTheSameGroup() throws Exception {
        Set<String> held = ConcurrentHashMap.newKeySet();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (CgroupPool pool = CgroupPool.builder(tree.root).capacity(4).refillDelay(Duration.ofMillis(5)).build()) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 200; i++) {
                            Cgroup g = pool.acquire();
                            if (!held.add(g.name())) throw new AssertionError(g.name() + " handed out twice");
                            held.remove(g.name());
                            pool.release(g);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : threads) t.join();
            assertThat(failure.get()).isNull();
            assertThat(pool.removedCount()).isZero();
        }
    }

    @Test
    void theSweepRemovesACrashedOwnersGroupsAndKillsWhatRanInThem() throws Exception {
        try (PoolOwnerProbe.Handle probe = PoolOwnerProbe.Handle.start(tree.name)) {
            assertThat(tree.root.v2Path().resolve(probe.group)).isDirectory();
            CgroupPool.SweepReport whileAlive = CgroupPool.sweep(tree.root, "forkline-pool", Duration.ofSeconds(5));
            assertThat(whileAlive.liveOwners()).contains(probe.group);
            assertThat(whileAlive.removed()).isEmpty();
            assertThat(ProcessHandle.of(probe.sleeperPid)).isPresent();

            probe.crash(); // SIGKILL to the JVM we started; its sleep keeps running in the group
            assertThat(ProcessHandle.of(probe.sleeperPid).map(ProcessHandle::isAlive)).contains(true);

            try (CgroupPool next = CgroupPool.builder(tree.root).capacity(1).build()) {
                String owner = probe.group.substring(0, probe.group.lastIndexOf('-') + 1);
                assertThat(next.lastSweep().removed()).contains(probe.group).allMatch(name -> name.startsWith(owner));
                assertThat(next.lastSweep().failed()).isEmpty();
            }
            awaitTrue(() -> ProcessHandle.of(probe.sleeperPid).map(h -> !h.isAlive()).orElse(true), "the sleep to die");
            for (Path dir : tree.groupDirs(probe.group)) assertThat(dir).doesNotExist();
        }
    }

    @Test
    void closeRemovesEveryGroupIncludingOnesReleasedLater() throws Exception {
        CgroupPool pool = CgroupPool.builder(tree.root).capacity(3).build();
        Cgroup out = pool.acquire();
        pool.close();
        assertThat(tree.root.groupNames()).containsExactly(out.name());
        pool.release(out);
        assertThat(tree.root.groupNames()).isEmpty();
        for (Path dir : tree.dirs()) {
            try (var left = Files.list(dir)) {
                assertThat(left.filter(Files::isDirectory).toList()).isEmpty();
            }
        }
        assertThrows(IllegalStateException.class, pool::acquire);
    }

    /**
     * A pool whose first fill, on its refill thread, has finished, and which never refills again
     * (low-water mark 0): a released group is then the one the next acquire gets.
     */
    private CgroupPool readyPool(int capacity) throws Exception {
        CgroupPool pool = CgroupPool.builder(tree.root).capacity(capacity).lowWaterMark(0).fillNow(false).build();
        awaitTrue(() -> pool.idleCount() == capacity && pool.refillCount() == capacity, "the first fill");
        return pool;
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        awaitTrue(condition, () -> what);
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what.get());
            Thread.sleep(10);
        }
    }
}
