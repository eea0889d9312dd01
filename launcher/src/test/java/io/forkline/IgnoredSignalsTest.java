package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a job inherits of the signals its JVM ignores. An ignored disposition survives execve,
 * so a native library that makes the JVM ignore SIGPIPE would make every job deaf to a closed
 * pipe: forkline's child sets SIGPIPE and SIGCHLD back to SIG_DFL, as the JDK's child does since
 * JDK-8364611 (25.0.3), and leaves every other ignored signal ignored, as under nohup. The
 * posix_spawn path resets every signal but glibc's internal ones to its default.
 * Checked in a JVM of its own (IgnoredSignalsProbe), so that this test's JVM keeps its signals.
 */
class IgnoredSignalsTest {
    private static final long HUP = 1L << (Signals.HUP - 1);
    private static final long PIPE = 1L << (Signals.PIPE - 1);
    private static final long CHLD = 1L << (17 - 1);

    @Test
    void aJobGetsSigpipeAndSigchldAtTheirDefaultsAndKeepsTheOtherSignalsItsJvmIgnores() throws Exception {
        ProcessResources before = ProcessResources.baseline();
        Map<String, String> report = new HashMap<>();
        try (Launcher launcher = Launcher.create()) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Exit exit = launcher.spawn(Command.of(java, "-XX:+UseSerialGC", "-Xmx64m", "--enable-native-access=ALL-UNNAMED",
                            "-cp", System.getProperty("java.class.path"), IgnoredSignalsProbe.class.getName())
                    .stdout(Stdio.capture(1 << 16)).stderr(Stdio.capture(1 << 16)).timeout(Duration.ofMinutes(2))).waitFor();
            assertThat(exit.success()).as("probe: %s\n%s", exit.stdout().text(), exit.stderr().text()).isTrue();
            exit.stdout().text().lines().forEach(l -> report.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        }
        long jvm = Long.parseUnsignedLong(report.get("jvm"), 16);
        assertThat(jvm & (HUP | PIPE | CHLD)).as("the probe JVM ignores SIGHUP, SIGPIPE and SIGCHLD: %s", report).isEqualTo(HUP | PIPE | CHLD);
        // The JDK itself sets SIGCHLD back to SIG_DFL in its process when ProcessHandle starts
        // (so that waitpid works), which the launcher uses; SIGPIPE and SIGHUP stay ignored.
        long after = Long.parseUnsignedLong(report.get("jvm.after"), 16);
        assertThat(after & (HUP | PIPE)).as("%s", report).isEqualTo(HUP | PIPE);
        long clone3 = Long.parseUnsignedLong(report.get("clone3"), 16);
        assertThat(clone3 & (PIPE | CHLD)).as("SIGPIPE and SIGCHLD at their defaults: %s", report).isZero();
        assertThat(clone3 & HUP).as("SIGHUP still ignored, as under nohup: %s", report).isEqualTo(HUP);
        long posix = Long.parseUnsignedLong(report.get("posix_spawn"), 16);
        assertThat(posix & (HUP | PIPE | CHLD)).as("posix_spawn resets every signal but the C library's own: %s", report).isZero();
        assertThat(report.get("pipeline")).as("yes dies of SIGPIPE when head is done, without a word")
                .isEqualTo("exited 0 stderr=[]");
        ProcessResources.now().assertNothingLeakedSince(before);
    }
}
