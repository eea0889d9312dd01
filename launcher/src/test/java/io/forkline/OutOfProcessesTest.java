package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Out of processes: a JVM in a pids cgroup spawns until clone3 fails with EAGAIN. The cgroup is
 * the test's own, under the v1 pids hierarchy of a hybrid host, and is removed afterwards; the
 * probe JVM is a process this test started, so moving it there is ours to do.
 */
class OutOfProcessesTest {
    private static final Path PIDS_V1 = Path.of("/sys/fs/cgroup/pids");

    @Test
    void spawnFailsWithEagainAtPidsMaxAndTheLauncherRecovers() throws Exception {
        Assumptions.assumeTrue(Files.isWritable(PIDS_V1.resolve("cgroup.procs")),
                "needs a writable v1 pids hierarchy at " + PIDS_V1 + " (a hybrid host, as root); "
                        + "full cgroup v2 hosts run this in the cgroup test tier");
        Path cgroup = Files.createDirectory(PIDS_V1.resolve("forkline-test-eagain-" + ProcessHandle.current().pid()
                + "-" + System.nanoTime()));
        try (Launcher launcher = Launcher.create()) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Child probe = launcher.spawn(Command.of(java, "-Xint", "-XX:+UseSerialGC", "-Xmx64m",
                            "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                            OutOfProcessesProbe.class.getName(), cgroup.toString())
                    .stdout(Stdio.capture(1 << 16)).stderr(Stdio.capture(1 << 16))
                    .timeout(Duration.ofMinutes(2)));
            Files.writeString(cgroup.resolve("cgroup.procs"), String.valueOf(probe.pid()));
            Exit exit = probe.waitFor();
            String out = exit.stdout().text();
            assertThat(exit.success()).as("probe output:\n%s\n%s", out, exit.stderr().text()).isTrue();
            assertThat(out).contains("syscall=clone3 errno=EAGAIN");
            assertThat(out).contains("message=clone3: EAGAIN (Resource temporarily unavailable): while starting [sleep 60]");
            assertThat(out).contains("recovered=true");
        } finally {
            removeCgroup(cgroup);
        }
    }

    private static void removeCgroup(Path cgroup) throws IOException, InterruptedException {
        for (int i = 0; i < 100; i++) {
            try {
                Files.delete(cgroup);
                return;
            } catch (java.nio.file.FileSystemException busy) {
                Thread.sleep(20); // the probe's last tasks are still being released
            }
        }
        Files.delete(cgroup);
    }
}
