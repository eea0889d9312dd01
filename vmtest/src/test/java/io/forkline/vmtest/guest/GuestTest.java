package io.forkline.vmtest.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.CgroupPlacement;
import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Launcher;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * The base of the tests that run inside the full-cgroup-v2 VM ({@code FullV2TierTest}): cgroup2
 * at /sys/fs/cgroup with cpu, io, memory and pids for its children. Each test gets its own
 * subtree, {@code forkline-vmtest-<pid>-<nanos>}, made with {@link CgroupRoot#forThisHost(String)},
 * and a {@link Launcher}; both are destroyed after it, even when it fails.
 *
 * <p>The gate: on a host without those controllers the tests are skipped and say why. Inside
 * the VM ({@code -Dforkline.vm.guest=true}) a missing controller is a failure, so the gate can
 * never hide one there.
 */
@Tag("full-v2")
abstract class GuestTest {
    static final Path CGROUP = Path.of("/sys/fs/cgroup");
    static final Set<String> NEEDED = Set.of("cpu", "io", "memory", "pids");
    static final Duration WAIT = Duration.ofSeconds(30);

    CgroupRoot root;
    Launcher launcher;

    @BeforeEach
    void openTree() throws Exception {
        String offered = offeredControllers();
        boolean full = List.of(offered.split(" ")).containsAll(NEEDED);
        String why = "needs cgroup v2 at " + CGROUP + " with " + NEEDED + " (the full-cgroup-v2 VM tier runs this: "
                + "FullV2TierTest); here cgroup.controllers is \"" + offered + "\"";
        if (Boolean.getBoolean("forkline.vm.guest")) Assertions.assertTrue(full, "inside the VM: " + why);
        else Assumptions.assumeTrue(full, why);
        root = CgroupRoot.forThisHost("forkline-vmtest-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        launcher = Launcher.create();
    }

    @AfterEach
    void destroyTree() throws Exception {
        try {
            if (launcher != null) launcher.close();
        } finally {
            if (root != null) root.destroy(WAIT);
        }
        if (root != null) assertThat(root.v2Path()).as("the test's subtree is removed").doesNotExist();
    }

    private static String offeredControllers() {
        try {
            boolean v2 = Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                    .anyMatch(l -> l.split(" ").length > 2 && l.split(" ")[1].equals(CGROUP.toString()) && l.split(" ")[2].equals("cgroup2"));
            return v2 ? Files.readString(CGROUP.resolve("cgroup.controllers")).strip() : "(no cgroup2 mount at " + CGROUP + ")";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Starts {@code argv} born in {@code group} (clone3 CLONE_INTO_CGROUP), and checks it was. */
    Child spawnIn(Cgroup group, Command command) throws IOException {
        Child child = launcher.spawn(command.cgroup(group.path()));
        assertThat(child.cgroupPlacement()).isEqualTo(CgroupPlacement.BORN_INTO);
        return child;
    }

    static String read(Cgroup group, String file) throws IOException {
        return Files.readString(group.path().resolve(file)).strip();
    }

    /** A flat keyed file such as memory.events or cpu.stat, as numbers. */
    static Map<String, Long> keyed(Cgroup group, String file) throws IOException {
        Map<String, Long> out = new HashMap<>();
        for (String line : Files.readAllLines(group.path().resolve(file))) {
            String[] kv = line.strip().split(" ");
            if (kv.length == 2) out.put(kv[0], Long.parseLong(kv[1]));
        }
        return out;
    }
}
