package io.forkline.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.ExitRecord;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CgroupRoot#birthAfterKill()} against what a real program meets: the probe's answer must
 * be what happens to a shell born into a killed group on this boot, whichever answer it is. The
 * build runs this on the host (6.18) and in the VM tier on each guest kernel, which between them
 * show both behaviours.
 */
class BirthAfterKillTest {
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
    void theProbesAnswerIsWhatAProgramBornIntoAKilledGroupMeets() throws Exception {
        BirthAfterKill.Probe probe = tree.root.birthAfterKill();
        System.out.println("BirthAfterKill on Linux " + System.getProperty("os.version") + ": " + probe);
        assertThat(probe.behaviour()).as("the probe could not tell: %s", probe).isNotEqualTo(BirthAfterKill.UNKNOWN);
        // The VM tier's boot of a build pinned for one behaviour says which (FullV2TierTest).
        String expected = System.getProperty("forkline.vm.expect.birthAfterKill");
        if (expected != null) {
            assertThat(probe.behaviour()).as("this build was pinned for birthAfterKill=%s (vmtest/pom.xml); the probe found %s",
                    expected, probe).isEqualTo(BirthAfterKill.valueOf(expected));
        }
        try (var entries = java.nio.file.Files.list(tree.root.v2Path())) {
            assertThat(entries.map(p -> p.getFileName().toString())).as("the probe's own group is gone")
                    .noneMatch(n -> n.startsWith("forkline-probe-"));
        }

        Cgroup group = tree.root.create("killed"); // removed with the tree
        group.kill();
        if (probe.behaviour() == BirthAfterKill.KILLED) {
            SyscallException e = assertThrows(SyscallException.class, () -> TestChild.shell(group, "exit 7"));
            assertThat(e.syscall()).isEqualTo("clone3");
            assertThat(e.errno()).isEqualTo(Errno.ESRCH);
        } else {
            try (TestChild child = TestChild.shell(group, "exit 7")) {
                ExitRecord exit = child.waitFor(Duration.ofSeconds(30));
                assertThat(exit.code()).isEqualTo(ExitRecord.CLD_EXITED);
                assertThat(exit.status()).isEqualTo(7);
            }
        }
    }

    @Test
    void theProbeIsMadeOncePerJvm() throws Exception {
        BirthAfterKill.Probe first = tree.root.birthAfterKill();
        try (TestTree other = TestTree.create()) {
            assertThat(other.root.birthAfterKill()).isSameAs(first);
        }
    }
}
