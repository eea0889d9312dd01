package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A runtime without JFR (a jlink image may leave jdk.jfr out, as slim container images do): the
 * launcher, which records a JFR event per spawn where JFR runs, must still spawn there. The
 * runtime is made here with the test JDK's own jlink, holding java.base alone.
 */
class NoJfrTest {
    @TempDir
    Path dir;

    @Test
    void aRuntimeWithoutJfrSpawns() throws Exception {
        Path home = Path.of(System.getProperty("java.home"));
        Path image = dir.resolve("java-base-only");
        String jlinked = run(List.of(home.resolve("bin/jlink").toString(), "--add-modules", "java.base", "--output", image.toString()));
        assertThat(Files.isExecutable(image.resolve("bin/java"))).as("jlink said: %s", jlinked).isTrue();
        String out = run(List.of(image.resolve("bin/java").toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), NoJfrProbe.class.getName()));
        assertThat(out).contains("jdk.jfr present: false").contains("exited 0: spawned");
    }

    private static String run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output;
        try (var in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).as(output).isTrue();
        assertThat(process.exitValue()).as("%s: %s", command, output).isZero();
        return output;
    }
}
