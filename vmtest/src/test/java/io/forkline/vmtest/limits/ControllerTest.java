package io.forkline.vmtest.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.CgroupPlacement;
import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Launcher;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupRoot;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.ControllerStatus;
import io.forkline.cgroup.Hierarchy;
import io.forkline.cgroup.UnusableRootException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/**
 * The base of the limit tests: real limits on real controllers, on whatever layout the host has.
 * They run twice in every build: inside the full-cgroup-v2 VM ({@code FullV2TierTest}), where
 * cgroup2 is at /sys/fs/cgroup with cpu, io, memory and pids for its children, and on the build
 * host itself, which on this project's machines is hybrid: there cpu and pids are driven in their
 * v1 hierarchies, and memory and io cannot be driven at all.
 *
 * <p>Each test gets its own subtree, {@code forkline-vmtest-<pid>-<nanos>}, made with
 * {@link CgroupRoot#forThisHost(String)} (with its v1 twins where the host has them), and a
 * {@link Launcher}; both are destroyed after it, even when it fails.
 *
 * <p>The gates: a test names the controllers it needs with {@link #require(Controller)}, which
 * says where this host drives it. On the host, a controller forkline cannot drive here skips the
 * test with the root's own reason. Inside the VM ({@code -Dforkline.vm.guest=true}) every
 * controller must be on v2, so no gate can hide a missing controller there.
 */
abstract class ControllerTest {
    static final boolean IN_VM = Boolean.getBoolean("forkline.vm.guest");
    static final Duration WAIT = Duration.ofSeconds(30);

    CgroupRoot root;
    Launcher launcher;

    @BeforeEach
    void openTree() throws Exception {
        String name = "forkline-vmtest-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try {
            root = CgroupRoot.forThisHost(name);
        } catch (UnusableRootException e) {
            if (IN_VM) throw e;
            Assumptions.abort("needs a cgroup tree of its own (root, or a delegated cgroup2 mount): " + e.getMessage());
        }
        if (IN_VM) {
            for (ControllerStatus status : root.controllers().values()) {
                Assertions.assertEquals(Hierarchy.V2, status.hierarchy(), "inside the VM every controller is on v2: " + status);
            }
            assertThat(root.v1Paths()).as("no v1 hierarchy inside the VM").isEmpty();
        }
        launcher = Launcher.create();
    }

    @AfterEach
    void destroyTree() throws Exception {
        try {
            if (launcher != null) launcher.close();
        } finally {
            if (root != null) root.destroy(WAIT);
        }
        if (root != null) {
            assertThat(root.v2Path()).as("the test's subtree is removed").doesNotExist();
            for (Path v1 : root.v1Paths().values()) assertThat(v1).as("the test's v1 twin is removed").doesNotExist();
        }
    }

    /**
     * Skips the test where this host cannot drive {@code controller}, saying why.
     *
     * @return the hierarchy it is driven on here: v2, or v1 on a hybrid host (cpu and pids only)
     */
    Hierarchy require(Controller controller) {
        ControllerStatus status = root.controller(controller);
        Assumptions.assumeTrue(status.available(), () -> "needs the " + controller.kernelName() + " controller, which "
                + "this host does not offer forkline (" + status.reason() + "); the full-cgroup-v2 VM tier "
                + "(FullV2TierTest) runs this test");
        return status.hierarchy();
    }

    /** Skips the test unless {@code controller} is on v2 here: for behaviour v1 does not have, said in {@code v1Differs}. */
    void requireV2(Controller controller, String v1Differs) {
        if (require(controller) != Hierarchy.V2) {
            Assumptions.abort("tests cgroup v2 behaviour, and this host drives " + controller.kernelName() + " on v1, "
                    + "where " + v1Differs + "; the full-cgroup-v2 VM tier (FullV2TierTest) runs this test");
        }
    }

    /** Starts {@code command} born in {@code group} (clone3 CLONE_INTO_CGROUP, and its v1 twins joined), and checks it was. */
    Child spawnIn(Cgroup group, Command command) throws IOException {
        Child child = launcher.spawn(command.cgroup(group));
        assertThat(child.cgroupPlacement()).isEqualTo(CgroupPlacement.BORN_INTO);
        return child;
    }

    /** @return the directory that holds {@code controller}'s files for {@code group}: its v1 twin, or its v2 directory */
    static Path dirOf(Cgroup group, Controller controller) {
        return group.v1Paths().getOrDefault(controller, group.path());
    }

    /** @return the file {@code file} of {@code controller} for {@code group}, stripped */
    static String read(Cgroup group, Controller controller, String file) throws IOException {
        return Files.readString(dirOf(group, controller).resolve(file)).strip();
    }

    /** A flat keyed file such as memory.events or cpu.stat, as numbers. */
    static Map<String, Long> keyed(Cgroup group, Controller controller, String file) throws IOException {
        Map<String, Long> out = new HashMap<>();
        for (String line : Files.readAllLines(dirOf(group, controller).resolve(file))) {
            String[] kv = line.strip().split(" ");
            if (kv.length == 2) out.put(kv[0], Long.parseLong(kv[1]));
        }
        return out;
    }
}
