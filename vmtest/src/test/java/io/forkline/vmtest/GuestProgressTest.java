package io.forkline.vmtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * {@link GuestProgress} on a real JUnit Platform run of {@link Sample}: every test's start and
 * end reach the log as they happen, and a log cut short by a killed VM names the test that was running.
 */
class GuestProgressTest {

    @Test
    void aRunLogsEachTestsStartAndEnd(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("progress.log");
        var launcher = LauncherFactory.create(LauncherConfig.builder()
                .enableTestExecutionListenerAutoRegistration(false)
                .addTestExecutionListeners(new GuestProgress(log)).build());
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Sample.class)).build());

        GuestProgress.Summary summary = GuestProgress.read(log);
        assertThat(summary.ended()).isEqualTo(2);
        assertThat(summary.running()).isEmpty();
        assertThat(summary.lastEnded()).containsExactlyInAnyOrder(
                Sample.class.getName() + " > passes(): SUCCESSFUL",
                Sample.class.getName() + " > isAborted() aborted on purpose: ABORTED");
        assertThat(Files.readAllLines(log)).hasSize(4).allMatch(l -> l.matches("\\d+\t(start|end [A-Z]+)\t.+"));
    }

    @Test
    void aLogCutShortNamesTheTestThatWasRunning(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("progress.log");
        Files.writeString(log, "10\tstart\tA > one()\n20\tend SUCCESSFUL\tA > one()\n30\tstart\tA > two()\n"
                + "40\tstart\tB > three()\n50\tend FAILED\tB > three()\n61000\tstart\tC > hangs()\n61001\tend SUCC");
        GuestProgress.Summary summary = GuestProgress.read(log);
        assertThat(summary.ended()).isEqualTo(2);
        assertThat(summary.running()).containsOnlyKeys("A > two()", "C > hangs()");
        assertThat(summary.describe()).contains("C > hangs() (started at 61 s").contains("B > three(): FAILED");
    }

    /** Run only through {@link #aRunLogsEachTestsStartAndEnd}: Surefire does not run nested classes. */
    static class Sample {
        @Test
        void passes() {}

        @Test
        @org.junit.jupiter.api.DisplayName("aborted on purpose")
        void isAborted() {
            Assumptions.abort("on purpose");
        }
    }
}
