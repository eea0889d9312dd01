package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.Controller;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Out of processes: a JVM in a pids cgroup spawns until clone3 fails with EAGAIN. The cgroup is
 * the test's own ({@link TestCgroupTree}), with pids in a v1 twin on a hybrid host or on v2 on a
 * full-v2 host, and is removed afterwards; the probe JVM is born in it (and joins its twin by
 * itself), so nothing is ever moved.
 */
class OutOfProcessesTest {
    @Test
    void spawnFailsWithEagainAtPidsMaxAndTheLauncherRecovers() throws Exception {
        TestCgroupTree tree = TestCgroupTree.create();
        try (Launcher launcher = Launcher.create()) {
            tree.require(Controller.PIDS);
            Cgroup group = tree.root.create("eagain");
            // The probe lowers pids.max where this host keeps it: the v1 twin, or the v2 group.
            Path pids = TestCgroupTree.dirOf(group, Controller.PIDS);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Child probe = launcher.spawn(Command.of(java, "-Xint", "-XX:+UseSerialGC", "-Xmx64m",
                            "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                            OutOfProcessesProbe.class.getName(), pids.toString())
                    .cgroup(group).stdout(Stdio.capture(1 << 16)).stderr(Stdio.capture(1 << 16))
                    .timeout(Duration.ofMinutes(2)));
            Exit exit = probe.waitFor();
            String out = exit.stdout().text();
            assertThat(exit.success()).as("probe output:\n%s\n%s", out, exit.stderr().text()).isTrue();
            assertThat(out).contains("syscall=clone3 errno=EAGAIN");
            assertThat(out).contains("message=clone3: EAGAIN (Resource temporarily unavailable): while starting [sleep 60]");
            assertThat(out).contains("recovered=true");
        } finally {
            tree.destroy();
        }
    }
}
