package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupException;
import io.forkline.cgroup.CgroupRoot;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.ControllerStatus;
import io.forkline.cgroup.Hierarchy;
import io.forkline.cgroup.UnusableRootException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;

/**
 * The cgroup subtree one launcher test works in, {@code forkline-test-<pid>-<nanos>}, on whatever
 * layout this host has: {@link CgroupRoot#forThisHost(String)} finds the cgroup2 mount and makes
 * v1 twins only where the host drives pids and cpu on v1. On this project's hybrid hosts that is
 * /sys/fs/cgroup/unified plus /sys/fs/cgroup/pids and /sys/fs/cgroup/cpu; inside the
 * full-cgroup-v2 VM ({@code FullV2TierTest}) it is /sys/fs/cgroup alone. Nothing here touches a
 * v1 memory hierarchy: forkline never makes a twin there.
 */
final class TestCgroupTree {
    /** Set for the JVM that the full-cgroup-v2 VM tier runs inside the VM. */
    static final boolean IN_VM = Boolean.getBoolean("forkline.vm.guest");

    /** Where pids and cpu are driven, which is what the launcher's cgroup behaviour depends on. */
    enum Layout {
        /** cgroup2 beside v1 hierarchies: pids and cpu in v1 twins, which the child joins itself before exec. */
        HYBRID,
        /** pids and cpu on cgroup v2: no twins, the child's v2 group is all there is. */
        FULL_V2
    }

    final String name;
    final CgroupRoot root;

    private TestCgroupTree(String name, CgroupRoot root) {
        this.name = name;
        this.root = root;
    }

    /**
     * Makes the tree. Skips the test, saying why, where no cgroup tree can be made (not root and
     * nothing delegated); inside the VM, which is booted for these tests, that is a failure, and
     * so is any controller not on v2.
     */
    static TestCgroupTree create() throws CgroupException {
        String name = "forkline-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        CgroupRoot root;
        try {
            root = CgroupRoot.forThisHost(name);
        } catch (UnusableRootException e) {
            if (IN_VM) throw e;
            return Assumptions.abort("needs a cgroup tree of its own (root, or a delegated cgroup2 mount): " + e.getMessage());
        }
        TestCgroupTree tree = new TestCgroupTree(name, root);
        if (IN_VM) {
            for (ControllerStatus status : root.controllers().values()) {
                assertThat(status.hierarchy()).as("inside the VM every controller is on v2: %s", status).isEqualTo(Hierarchy.V2);
            }
            assertThat(root.v1Paths()).as("no v1 hierarchy inside the VM").isEmpty();
        }
        return tree;
    }

    /**
     * Skips the test where this host cannot drive {@code controller}, with the root's reason
     * (inside the VM every controller is on v2, which {@link #create()} checked).
     *
     * @return where it is driven here: v2, or v1 on a hybrid host (pids and cpu only)
     */
    Hierarchy require(Controller controller) {
        ControllerStatus status = root.controller(controller);
        Assumptions.assumeTrue(status.available(), () -> "needs the " + controller.kernelName() + " controller, which "
                + "this host does not offer forkline (" + status.reason() + ")");
        return status.hierarchy();
    }

    /** @return the directory that holds {@code controller}'s files for {@code group}: its v1 twin, or its v2 directory */
    static Path dirOf(Cgroup group, Controller controller) {
        return group.v1Paths().getOrDefault(controller, group.path());
    }

    /** @return this host's layout; skips the test, saying why, on a host that has neither */
    Layout layout() {
        Hierarchy pids = require(Controller.PIDS);
        Hierarchy cpu = require(Controller.CPU);
        if (pids == Hierarchy.V1 && cpu == Hierarchy.V1) return Layout.HYBRID;
        if (pids == Hierarchy.V2 && cpu == Hierarchy.V2) return Layout.FULL_V2;
        return Assumptions.abort("this host drives pids on " + pids + " and cpu on " + cpu + ": neither the hybrid layout "
                + "(both in v1 twins) nor full cgroup v2 (both on v2), which are the layouts this test knows");
    }

    /**
     * Destroys the tree through the API (kill, wait, remove every group, then the root), then,
     * as a safety net after a failed test, removes by path whatever group directories are left
     * in any of its hierarchies, and checks that none of them is.
     */
    void destroy() throws Exception {
        try {
            root.destroy(Duration.ofSeconds(5));
        } finally {
            for (Path dir : directories()) {
                if (!Files.isDirectory(dir)) continue;
                try (var groups = Files.list(dir)) {
                    for (Path group : groups.filter(Files::isDirectory).toList()) Files.delete(group);
                }
                Files.delete(dir);
            }
        }
        for (Path dir : directories()) assertThat(dir).as("the test's cgroup tree is removed").doesNotExist();
    }

    /** The tree's directory in every hierarchy it spans: v2, and the v1 twins (one per v1 mount). */
    private Set<Path> directories() {
        Set<Path> out = new LinkedHashSet<>();
        out.add(root.v2Path());
        out.addAll(root.v1Paths().values());
        return out;
    }
}
