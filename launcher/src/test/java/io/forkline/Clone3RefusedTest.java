package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.sys.shim.Errno;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * clone3 refused by a seccomp filter (ENOSYS, or EPERM, under which glibc's own posix_spawn fails
 * too): spawns fall back to clone(2), visibly, with every feature but CLONE_INTO_CGROUP.
 */
class Clone3RefusedTest {
    @ParameterizedTest
    @ValueSource(ints = {Errno.ENOSYS, Errno.EPERM})
    void spawnsFallBackToCloneAndSaySo(int errno) throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.arch").equals("amd64"), "the BPF program uses x86_64 syscall numbers");
        ProcessResources before = ProcessResources.baseline();
        try (Launcher launcher = Launcher.create()) {
            // The probe installs its filter through FFM, so it runs on the build's JDK whatever runs this test.
            String java = System.getProperty("forkline.build.java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
            Exit exit = launcher.spawn(Command.of(java, "-Xint", "-XX:+UseSerialGC", "-Xmx64m",
                            "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                            "io.forkline.SeccompProbe", String.valueOf(errno))
                    .stdout(Stdio.capture(1 << 16)).stderr(Stdio.capture(1 << 16)).timeout(Duration.ofMinutes(2)))
                    .waitFor();
            String out = exit.stdout().text();
            assertThat(exit.success()).as("probe output:\n%s\n%s", out, exit.stderr().text()).isTrue();
            assertThat(out).contains("before=clone3");
            assertThat(out).contains("method=CLONE fallbacks=1 exit=4 out=ran");
            assertThat(out).contains("after=fallback");
            assertThat(out).contains("full=0027 77");
        }
        ProcessResources.now().assertNothingLeakedSince(before);
    }
}
