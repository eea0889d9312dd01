package io.forkline.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening roots: what is a usable cgroup root, and what this host offers, hybrid or full v2. */
class CgroupRootTest {
    private long fdsBefore;

    @BeforeEach
    void countFds() throws Exception {
        fdsBefore = TestTree.openFds();
    }

    @AfterEach
    void noFdLeaked() throws Exception {
        // The JDK closes a finished Process's pipes on its reaper thread, and an earlier test
        // class's pool may still be refilling: a moment for either, and no tolerance on the count.
        for (int i = 0; i < 50 && TestTree.openFds() != fdsBefore; i++) Thread.sleep(50);
        assertThat(TestTree.openFds()).as("open fds: %s", TestTree.openFdTargets()).isEqualTo(fdsBefore);
    }

    @Test
    void aDirectoryThatIsNotACgroupIsATypedError(@TempDir Path plain) {
        assertThatThrownBy(() -> CgroupRoot.open(plain))
                .isInstanceOfSatisfying(UnusableRootException.class, e -> assertThat(e.path()).isEqualTo(plain.toString()))
                .hasMessageContaining("not a cgroup v2 directory: its filesystem is ")
                .hasMessageContaining("expected cgroup2 (0x63677270)");
    }

    @Test
    void aMissingRootIsATypedError(@TempDir Path plain) {
        Path missing = plain.resolve("missing");
        assertThatThrownBy(() -> CgroupRoot.open(missing))
                .isInstanceOf(UnusableRootException.class)
                .hasMessage(missing + " cannot be a forkline cgroup root: openat(" + missing + "): ENOENT (No such file or directory)");
    }

    @Test
    void aV1HierarchyIsNotAV2Root() {
        Path pids = Path.of("/sys/fs/cgroup/pids");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(pids), "needs a v1 pids hierarchy");
        assertThatThrownBy(() -> CgroupRoot.open(pids))
                .isInstanceOf(UnusableRootException.class)
                .hasMessage(pids + " cannot be a forkline cgroup root: not a cgroup v2 directory: its filesystem is "
                        + "cgroup v1 (0x27e0eb), expected cgroup2 (0x63677270)");
    }

    @Test
    void aV1DirectoryOfTheWrongControllerIsATypedError() throws Exception {
        try (TestTree tree = TestTree.create()) {
            tree.assumeHybrid("a v1 cpu directory given as the pids one");
            Path cpu = Path.of("/sys/fs/cgroup/cpu", tree.name);
            assertThatThrownBy(() -> CgroupRoot.open(tree.root.v2Path(), Map.of(Controller.PIDS, cpu)))
                    .isInstanceOf(UnusableRootException.class)
                    .hasMessage(cpu + " cannot be a forkline cgroup root: not in the v1 pids hierarchy: it has no pids.max");
        }
    }

    @Test
    void memoryAndIoAreNeverDrivenOnV1() throws Exception {
        try (TestTree tree = TestTree.create()) {
            assertThatThrownBy(() -> CgroupRoot.open(tree.root.v2Path(), Map.of(Controller.MEMORY, Path.of("/sys/fs/cgroup/memory"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("forkline drives memory only on cgroup v2, never on a v1 hierarchy");
        }
    }

    @Test
    void thisHybridHostDrivesPidsAndCpuOnV1AndHasNoMemoryOrIo() throws Exception {
        try (TestTree tree = TestTree.create()) {
            tree.assumeHybrid("this project's hosts: v2 at /sys/fs/cgroup/unified, pids and cpu on v1");
            CgroupRoot root = tree.root;
            assertThat(root.v2Path()).isEqualTo(Path.of("/sys/fs/cgroup/unified", tree.name));
            assertThat(root.controller(Controller.PIDS)).isEqualTo(new ControllerStatus(Controller.PIDS, Hierarchy.V1,
                    Path.of("/sys/fs/cgroup/pids", tree.name), root.controller(Controller.PIDS).reason()));
            assertThat(root.controller(Controller.CPU).hierarchy()).isEqualTo(Hierarchy.V1);
            assertThat(root.controller(Controller.CPU).directory()).isEqualTo(Path.of("/sys/fs/cgroup/cpu", tree.name));
            assertThat(root.controller(Controller.MEMORY).available()).isFalse();
            assertThat(root.controller(Controller.MEMORY).reason())
                    .contains("not in " + root.v2Path().resolve("cgroup.controllers"))
                    .contains("never writes to a v1 memory hierarchy");
            assertThat(root.controller(Controller.IO).available()).isFalse();
            assertThat(root.v1Paths()).containsOnlyKeys(Controller.PIDS, Controller.CPU);
            assertThat(tree.leftovers()).hasSize(3);
        }
    }

    @Test
    void aFullV2HostDrivesEveryControllerOnV2() throws Exception {
        try (TestTree tree = TestTree.create()) {
            tree.assumeFullV2("every controller enabled in the root's subtree_control, no v1 twin");
            CgroupRoot root = tree.root;
            for (Controller c : Controller.values()) {
                ControllerStatus status = root.controller(c);
                assertThat(status.hierarchy()).as("%s", status).isEqualTo(Hierarchy.V2);
                assertThat(status.directory()).isEqualTo(root.v2Path());
                assertThat(status.reason()).isEqualTo("enabled in " + root.v2Path().resolve("cgroup.subtree_control"));
            }
            assertThat(root.v1Paths()).isEmpty();
            assertThat(Files.readString(root.v2Path().resolve("cgroup.subtree_control")).strip().split(" "))
                    .contains("cpu", "io", "memory", "pids");
            assertThat(tree.leftovers()).containsExactly(root.v2Path());
        }
    }

    @Test
    void forThisHostRemovesWhatItCreated() throws Exception {
        TestTree tree = TestTree.create();
        tree.root.create("a");
        tree.close();
        assertThat(tree.leftovers()).isEmpty();
    }

    @Test
    void namesAreSinglePathComponents() throws Exception {
        try (TestTree tree = TestTree.create()) {
            for (String bad : new String[] {"", ".", "..", "a/b", "../escape", "/abs"}) {
                assertThatThrownBy(() -> tree.root.create(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    @Test
    void aRootOnAReadOnlyMountIsATypedError() throws Exception {
        try (TestTree tree = TestTree.create()) {
            ReadOnlyProbe.Result result = ReadOnlyProbe.run(tree.root.v2Path());
            assertThat(result.output()).contains("UnusableRootException: " + tree.root.v2Path()
                    + " cannot be a forkline cgroup root: not writable: mounted read-only");
            assertThat(result.exitCode()).isEqualTo(0);
        }
    }
}
