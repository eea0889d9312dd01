package io.forkline.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.ExitRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Groups on the real kernel, on both layouts: this project's hybrid hosts (v2 at
 * /sys/fs/cgroup/unified, pids and cpu on v1) and, in vmtest's full-cgroup-v2 VM, every
 * controller on v2. Most tests check the same behaviour on both; a test of one layout's own
 * behaviour says so and is skipped on the other, saying why. Each test works in its own subtree
 * ({@link TestTree}) and removes it, and leaks no fd.
 */
class CgroupTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private TestTree tree;
    private CgroupRoot root;
    private long fdsBefore;

    @BeforeEach
    void createTree() throws Exception {
        fdsBefore = TestTree.openFds();
        tree = TestTree.create();
        root = tree.root;
    }

    @AfterEach
    void removeTree() throws Exception {
        if (tree == null) return; // skipped before a tree was made: nothing to remove or count
        tree.close();
        assertThat(tree.leftovers()).as("groups left behind").isEmpty();
        assertThat(TestTree.openFds()).as("open fds").isEqualTo(fdsBefore);
    }

    private static String read(Path file) throws Exception {
        return Files.readString(file).strip();
    }

    @Test
    void createAndRemoveInEveryHierarchy() throws Exception {
        Cgroup group = root.create("job");
        assertThat(group.path()).isEqualTo(root.v2Path().resolve("job"));
        assertThat(group.v1Paths()).containsOnlyKeys(root.v1Paths().keySet());
        if (tree.hybrid()) {
            assertThat(group.v1Paths()).containsOnlyKeys(Controller.PIDS, Controller.CPU);
            assertThat(group.v1Paths().get(Controller.PIDS)).isEqualTo(Path.of("/sys/fs/cgroup/pids", tree.name, "job"));
        }
        List<Path> dirs = tree.groupDirs("job");
        assertThat(dirs).hasSize(tree.hybrid() ? 3 : 1);
        for (Path dir : dirs) assertThat(dir).isDirectory();
        assertThat(group.v2DirFd()).isGreaterThan(2);
        assertThat(group.populated()).isFalse();
        assertThatThrownBy(() -> root.create("job")).isInstanceOfSatisfying(CgroupSyscallException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
        group.remove();
        for (Path dir : dirs) assertThat(dir).doesNotExist();
        assertThatThrownBy(group::stats).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void pidsAndCpuLimitsAreWrittenInTheirV1HierarchiesAndSaySo() throws Exception {
        tree.assumeHybrid("pids and cpu limits translated for their v1 hierarchies");
        Limits limits = Limits.builder().pidsMax(5).cpuMax(50_000, 100_000).cpuWeight(200).build();
        Cgroup group = root.create("job", limits);
        Path pids = group.v1Paths().get(Controller.PIDS);
        Path cpu = group.v1Paths().get(Controller.CPU);
        assertThat(group.limits().applied()).containsExactly(
                new AppliedLimit("pids.max", "5", Hierarchy.V1, pids.resolve("pids.max"), "5"),
                new AppliedLimit("cpu.max", "50000 100000", Hierarchy.V1, cpu.resolve("cpu.cfs_period_us"), "100000"),
                new AppliedLimit("cpu.max", "50000 100000", Hierarchy.V1, cpu.resolve("cpu.cfs_quota_us"), "50000"),
                new AppliedLimit("cpu.weight", "200", Hierarchy.V1, cpu.resolve("cpu.shares"), "2048"));
        assertThat(group.limits().skipped()).isEmpty();
        assertThat(read(pids.resolve("pids.max"))).isEqualTo("5");
        assertThat(read(cpu.resolve("cpu.cfs_quota_us"))).isEqualTo("50000");
        assertThat(read(cpu.resolve("cpu.cfs_period_us"))).isEqualTo("100000");
        assertThat(read(cpu.resolve("cpu.shares"))).isEqualTo("2048");

        group.apply(Limits.builder().pidsMax(Limits.UNLIMITED).set("cpu.max", "max").build());
        assertThat(read(pids.resolve("pids.max"))).isEqualTo("max");
        assertThat(read(cpu.resolve("cpu.cfs_quota_us"))).isEqualTo("-1");
    }

    @Test
    void pidsAndCpuLimitsAreWrittenOnV2AsNamedAndSaySo() throws Exception {
        tree.assumeFullV2("pids and cpu limits written to the v2 files of their names");
        Limits limits = Limits.builder().pidsMax(5).cpuMax(50_000, 100_000).cpuWeight(200).build();
        Cgroup group = root.create("job", limits);
        Path dir = group.path();
        assertThat(group.limits().applied()).containsExactly(
                new AppliedLimit("pids.max", "5", Hierarchy.V2, dir.resolve("pids.max"), "5"),
                new AppliedLimit("cpu.max", "50000 100000", Hierarchy.V2, dir.resolve("cpu.max"), "50000 100000"),
                new AppliedLimit("cpu.weight", "200", Hierarchy.V2, dir.resolve("cpu.weight"), "200"));
        assertThat(read(dir.resolve("pids.max"))).isEqualTo("5");
        assertThat(read(dir.resolve("cpu.max"))).isEqualTo("50000 100000");
        assertThat(read(dir.resolve("cpu.weight"))).isEqualTo("200");

        group.apply(Limits.builder().pidsMax(Limits.UNLIMITED).set("cpu.max", "max").build());
        assertThat(read(dir.resolve("pids.max"))).isEqualTo("max");
        assertThat(read(dir.resolve("cpu.max"))).isEqualTo("max 100000");
    }

    @Test
    void memoryIsATypedErrorOnThisHostAndNothingIsCreated() throws Exception {
        tree.assumeHybrid("no memory or io controller for forkline");
        Limits limits = Limits.builder().pidsMax(5).memoryMax(64L << 20).build();
        assertThatThrownBy(() -> root.create("job", limits))
                .isInstanceOfSatisfying(ControllerUnavailableException.class, e -> {
                    assertThat(e.controller()).isEqualTo(Controller.MEMORY);
                    assertThat(e.limit()).isEqualTo("memory.max");
                })
                .hasMessageStartingWith("cannot apply memory.max: the memory controller is unavailable: cgroup v2: not in "
                        + root.v2Path().resolve("cgroup.controllers"))
                .hasMessageContaining("never writes to a v1 memory hierarchy");
        assertThat(root.v2Path().resolve("job")).doesNotExist();
        assertThat(Path.of("/sys/fs/cgroup/pids", tree.name, "job")).doesNotExist();

        Cgroup group = root.create("other", Limits.builder().pidsMax(7).build());
        assertThatThrownBy(() -> group.apply(Limits.builder().pidsMax(9).ioMax("8:0", "rbps=1048576").build()))
                .isInstanceOfSatisfying(ControllerUnavailableException.class,
                        e -> assertThat(e.controller()).isEqualTo(Controller.IO))
                .hasMessageContaining("forkline drives io only on cgroup v2");
        assertThat(read(group.v1Paths().get(Controller.PIDS).resolve("pids.max"))).isEqualTo("7");
    }

    @Test
    void anOptionalControllerIsAReportedSkip() throws Exception {
        tree.assumeHybrid("no memory or io controller for forkline");
        Limits limits = Limits.builder().memoryMax(64L << 20).memorySwapMax(0).ioMax("8:0", "wbps=1048576").pidsMax(10)
                .optional(Controller.MEMORY, Controller.IO).build();
        Cgroup group = root.create("job", limits);
        LimitReport report = group.limits();
        assertThat(report.applied()).extracting(AppliedLimit::limit).containsExactly("pids.max");
        assertThat(report.skipped()).extracting(SkippedLimit::limit).containsExactly("memory.max", "memory.swap.max", "io.max");
        assertThat(report.skipped().get(0).controller()).isEqualTo(Controller.MEMORY);
        assertThat(report.skipped().get(0).reason()).isEqualTo(root.controller(Controller.MEMORY).reason());
        assertThat(report.toString()).contains("memory.max=67108864 skipped: cgroup v2: not in");
    }

    @Test
    void anOptionalControllerThatIsThereIsApplied() throws Exception {
        tree.assumeFullV2("memory on v2");
        Limits limits = Limits.builder().memoryMax(64L << 20).memorySwapMax(0).pidsMax(10).optional(Controller.MEMORY).build();
        Cgroup group = root.create("job", limits);
        assertThat(group.limits().applied()).extracting(AppliedLimit::limit).containsExactly("memory.max", "memory.swap.max", "pids.max");
        assertThat(group.limits().skipped()).isEmpty();
        assertThat(read(group.path().resolve("memory.max"))).isEqualTo(Long.toString(64L << 20));
    }

    @Test
    void aValueTheKernelRefusesMidwayLeavesNothingHalfApplied() throws Exception {
        tree.assumeHybrid("v1's rule that a child's cfs quota may not exceed its parent's");
        // In v1, a child's cfs quota may not exceed its parent's: cap the test root at half a CPU.
        Path cpuRoot = root.v1Paths().get(Controller.CPU);
        Files.writeString(cpuRoot.resolve("cpu.cfs_quota_us"), "50000");
        try {
            Limits tooMuch = Limits.builder().pidsMax(7).cpuWeight(50).cpuMax(100_000, 100_000).build();
            assertThatThrownBy(() -> root.create("job", tooMuch))
                    .isInstanceOfSatisfying(LimitWriteException.class, e -> {
                        assertThat(e.file()).isEqualTo(cpuRoot.resolve("job/cpu.cfs_quota_us").toString());
                        assertThat(e.value()).isEqualTo("100000");
                        assertThat(e.errno()).isEqualTo(Errno.EINVAL);
                        assertThat(e.restored()).hasSize(3);
                    });
            assertThat(root.v2Path().resolve("job")).doesNotExist();
            assertThat(cpuRoot.resolve("job")).doesNotExist();

            Cgroup group = root.create("kept", Limits.builder().pidsMax(3).build());
            Path pids = group.v1Paths().get(Controller.PIDS);
            Path cpu = group.v1Paths().get(Controller.CPU);
            assertThatThrownBy(() -> group.apply(tooMuch))
                    .isInstanceOf(LimitWriteException.class)
                    .hasMessageStartingWith("cannot write 100000 to " + cpu.resolve("cpu.cfs_quota_us") + ": write(")
                    .hasMessageContaining("EINVAL")
                    .hasMessageEndingWith("; restored " + pids.resolve("pids.max") + "=3, " + cpu.resolve("cpu.shares")
                            + "=1024, " + cpu.resolve("cpu.cfs_period_us") + "=100000");
            assertThat(read(pids.resolve("pids.max"))).isEqualTo("3");
            assertThat(read(cpu.resolve("cpu.shares"))).isEqualTo("1024");
            assertThat(read(cpu.resolve("cpu.cfs_quota_us"))).isEqualTo("-1");
            assertThat(group.limits().applied()).extracting(AppliedLimit::written).containsExactly("3");
        } finally {
            Files.writeString(cpuRoot.resolve("cpu.cfs_quota_us"), "-1");
        }
    }

    @Test
    void aValueTheKernelRefusesMidwayOnV2LeavesNothingHalfApplied() throws Exception {
        tree.assumeFullV2("io.max refused by the kernel for a device that does not exist");
        // Limits checks io.max's syntax; only the kernel knows there is no block device 259:4095.
        Limits refused = Limits.builder().pidsMax(7).cpuWeight(50).ioMax("259:4095", "wbps=1048576").build();
        assertThatThrownBy(() -> root.create("job", refused))
                .isInstanceOfSatisfying(LimitWriteException.class, e -> {
                    assertThat(e.file()).isEqualTo(root.v2Path().resolve("job/io.max").toString());
                    assertThat(e.errno()).isEqualTo(Errno.ENODEV);
                    assertThat(e.restored()).hasSize(2);
                });
        assertThat(root.v2Path().resolve("job")).doesNotExist();

        Cgroup group = root.create("kept", Limits.builder().pidsMax(3).build());
        Path dir = group.path();
        assertThatThrownBy(() -> group.apply(refused))
                .isInstanceOf(LimitWriteException.class)
                .hasMessageStartingWith("cannot write 259:4095 wbps=1048576 to " + dir.resolve("io.max") + ": write(")
                .hasMessageContaining("ENODEV")
                .hasMessageEndingWith("; restored " + dir.resolve("pids.max") + "=3, " + dir.resolve("cpu.weight") + "=100");
        assertThat(read(dir.resolve("pids.max"))).isEqualTo("3");
        assertThat(read(dir.resolve("cpu.weight"))).isEqualTo("100");
        assertThat(read(dir.resolve("io.max"))).isEmpty();
        assertThat(group.limits().applied()).extracting(AppliedLimit::written).containsExactly("3");
    }

    @Test
    void statsCountCpuTimeAndTasks() throws Exception {
        Cgroup group = root.create("job");
        try (TestChild child = TestChild.shell(group, "read go; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; sleep 0.2 & wait")) {
            group.joinV1(child.pid); // a no-op where there are no v1 twins
            assertThat(group.pids()).containsExactly(child.pid);
            for (Path v1 : group.v1Paths().values()) {
                assertThat(read(v1.resolve("cgroup.procs"))).isEqualTo(String.valueOf(child.pid));
            }
            assertThat(group.stats().pids().current()).isEqualTo(1);
            child.write("go\n");
            ExitRecord exit = child.waitFor(WAIT);
            assertThat(exit.code()).isEqualTo(ExitRecord.CLD_EXITED);
            assertThat(exit.status()).isZero();
        }
        assertThat(group.awaitEmpty(WAIT)).isTrue();
        Stats stats = group.stats();
        assertThat(stats.cpu().hierarchy()).isEqualTo(Hierarchy.V2);
        assertThat(stats.cpu().usageMicros()).isGreaterThan(10_000);
        assertThat(stats.cpu().userMicros() + stats.cpu().systemMicros()).isGreaterThan(0);
        if (root.controller(Controller.MEMORY).available()) {
            assertThat(stats.memory().peakBytes()).as("memory.peak of a shell and a sleep").isPositive();
        } else {
            assertThat(stats.memory()).as("no memory controller on this host").isNull();
        }
        assertThat(stats.pids().hierarchy()).isEqualTo(tree.hybrid() ? Hierarchy.V1 : Hierarchy.V2);
        assertThat(stats.pids().current()).isZero();
        assertThat(stats.pids().peak()).isEqualTo(2);
        assertThat(stats.pids().forkFailures()).isZero();
    }

    @Test
    void freezeWaitsForFrozenAndThawResumes() throws Exception {
        Cgroup group = root.create("job");
        try (TestChild child = TestChild.shell(group, "read go; echo thawed")) {
            assertThat(group.freeze(WAIT)).isTrue();
            assertThat(group.frozen()).isTrue();
            assertThat(read(group.path().resolve("cgroup.events"))).contains("frozen 1");
            child.write("go\n");
            assertThat(child.waitFor(Duration.ofMillis(300))).as("a frozen child does not run").isNull();
            assertThat(group.thaw(WAIT)).isTrue();
            assertThat(group.frozen()).isFalse();
            assertThat(child.readLine()).isEqualTo("thawed");
            assertThat(child.waitFor(WAIT).status()).isZero();
        }
    }

    @Test
    void killTakesTheChildAndItsGrandchildren() throws Exception {
        Cgroup group = root.create("job");
        try (TestChild child = TestChild.shell(group,
                "sleep 60 & sleep 60 & sh -c 'sleep 60 & echo ready; wait' & wait")) {
            assertThat(child.readLine()).isEqualTo("ready");
            List<Integer> pids = group.pids();
            assertThat(pids).hasSize(5).contains(child.pid);
            group.kill();
            assertThat(group.awaitEmpty(WAIT)).isTrue();
            ExitRecord exit = child.waitFor(WAIT);
            assertThat(exit.code()).isEqualTo(ExitRecord.CLD_KILLED);
            assertThat(exit.status()).isEqualTo(9);
            for (int pid : pids) {
                Path stat = Path.of("/proc", String.valueOf(pid), "stat");
                String state = "gone";
                try {
                    state = Files.readString(stat).replaceAll("^.*\\) ", "").substring(0, 1);
                } catch (java.io.IOException gone) {
                    // reaped already
                }
                assertThat(state).as("pid %d", pid).isIn("gone", "Z");
            }
        }
        group.remove();
    }

    @Test
    void pidsMaxMakesTheJobsForksFail() throws Exception {
        Cgroup group = root.create("job", Limits.builder().pidsMax(5).build());
        try (TestChild child = TestChild.shell(group, "read go; for i in $(seq 50); do sleep 30 & done; wait")) {
            group.joinV1(child.pid); // on v2 it was born under the limit
            child.write("go\n");
            ExitRecord exit = child.waitFor(WAIT);
            assertThat(exit).as("the shell gives up when fork fails").isNotNull();
            assertThat(exit.status()).isNotZero();
            assertThat(child.stderrNow()).containsIgnoringCase("fork");
            Stats.Pids pids = group.stats().pids();
            assertThat(pids.forkFailures()).isGreaterThan(0);
            // pids.peak is newer than pids.max: asked of this kernel, not assumed.
            boolean hasPeak = Files.exists(root.controller(Controller.PIDS).directory().resolve("job").resolve("pids.peak"));
            assertThat(pids.peak()).as("pids.peak %s here", hasPeak ? "exists" : "does not exist").isEqualTo(hasPeak ? 5 : -1);
            assertThat(pids.current()).isEqualTo(4); // the sleeps that did start, now orphans in the group
            group.kill();
            assertThat(group.awaitEmpty(WAIT)).isTrue();
            // pids.current drops only when the orphans are reaped by their new parent, after populated 0.
        }
    }

    @Test
    void awaitEmptyWakesWhenTheLastProcessExits() throws Exception {
        Cgroup group = root.create("job");
        assertThat(group.awaitEmpty(Duration.ZERO)).as("an empty group").isTrue();
        try (TestChild child = TestChild.spawn(group, "/bin/sleep", "sleep", "0.3")) {
            assertThat(group.awaitEmpty(Duration.ofMillis(50))).as("still running").isFalse();
            long start = System.nanoTime();
            assertThat(group.awaitEmpty(WAIT)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            assertThat(child.waitFor(WAIT).status()).isZero();
        }
    }

    @Test
    void aChildIsBornInTheGroupThroughItsDirFd() throws Exception {
        Cgroup group = root.create("job");
        try (TestChild child = TestChild.spawn(group, "/bin/sleep", "sleep", "30")) {
            assertThat(group.pids()).containsExactly(child.pid);
            String v2 = Files.readAllLines(Path.of("/proc", String.valueOf(child.pid), "cgroup")).stream()
                    .filter(l -> l.startsWith("0::")).findFirst().orElseThrow();
            assertThat(v2).isEqualTo("0::/" + tree.name + "/job");
            group.kill();
            assertThat(group.awaitEmpty(WAIT)).isTrue();
            assertThat(child.waitFor(WAIT).status()).isEqualTo(9);
        }
    }

    @Test
    void aPopulatedGroupIsNotRemovedAndStaysWhole() throws Exception {
        Cgroup group = root.create("job");
        try (TestChild child = TestChild.spawn(group, "/bin/sleep", "sleep", "30")) {
            assertThatThrownBy(group::remove)
                    .isInstanceOfSatisfying(CgroupSyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY))
                    .hasMessageContaining("the group still has processes");
            for (Path dir : tree.groupDirs("job")) assertThat(dir).isDirectory();
            group.destroy(WAIT);
            assertThat(group.path()).doesNotExist();
            assertThat(child.waitFor(WAIT).status()).isEqualTo(9);
        }
    }

    @Test
    void aGroupRemovedBySomeoneElseIsATypedErrorOnTheNextOperation() throws Exception {
        Cgroup group = root.create("job", Limits.builder().pidsMax(5).build());
        for (Path dir : tree.groupDirs("job")) Files.delete(dir);
        assertThatThrownBy(group::stats)
                .isInstanceOfSatisfying(GroupRemovedException.class, e -> {
                    assertThat(e.group()).isEqualTo(group.path().toString());
                    assertThat(e.errno()).isEqualTo(Errno.ENOENT);
                })
                .hasMessageStartingWith("cgroup " + group.path() + " was removed while in use: ");
        assertThatThrownBy(group::kill).isInstanceOf(GroupRemovedException.class);
        assertThatThrownBy(() -> group.awaitEmpty(WAIT)).isInstanceOf(GroupRemovedException.class);
        assertThatThrownBy(() -> group.apply(Limits.builder().pidsMax(6).build())).isInstanceOf(GroupRemovedException.class);
        assertThatThrownBy(group::remove).isInstanceOf(GroupRemovedException.class);
        assertThat(root.groupNames()).isEmpty();
    }

    @Test
    void onlyOurOwnChildrenAreJoined() throws Exception {
        Cgroup group = root.create("job");
        assertThatThrownBy(() -> group.joinV1(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("forkline never moves a process it did not start");
        for (Path dir : tree.groupDirs("job")) assertThat(read(dir.resolve("cgroup.procs"))).isEmpty();
    }
}
