package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where argv[0] is looked up. */
class CommandTest extends LeakCheckedTest {
    /**
     * Prints the PATH the shell was given, or "no PATH": dash sets a PATH of its own when its
     * environment has none, so {@code $PATH} cannot tell.
     */
    private static final String GIVEN_PATH = "tr '\\0' '\\n' < /proc/$$/environ | grep '^PATH=' || echo no PATH";
    private static final Map<String, String> JVM_WITH_PATH = Map.of("PATH", "/jvm/bin", "HOME", "/root");

    @TempDir
    Path dir;

    // ---- PATH lookup --------------------------------------------------------------------------

    @Test
    void aPathTheCommandSetsIsSearched() {
        assertThat(Command.of("tool").env("PATH", "/own/bin").searchPath(JVM_WITH_PATH)).isEqualTo("/own/bin");
        assertThat(Command.of("tool").clearEnvironment().env("PATH", "/own/bin").searchPath(JVM_WITH_PATH)).isEqualTo("/own/bin");
        assertThat(Command.of("tool").env("PATH", "/own/bin").searchPath(Map.of())).isEqualTo("/own/bin");
    }

    @Test
    void aChildWithoutPathHasArgv0LookedUpInTheJvmsPathAsTheJdkDoes() {
        assertThat(Command.of("tool").searchPath(JVM_WITH_PATH)).isEqualTo("/jvm/bin");
        assertThat(Command.of("tool").clearEnvironment().searchPath(JVM_WITH_PATH)).isEqualTo("/jvm/bin");
        assertThat(Command.of("tool").removeEnv("PATH").searchPath(JVM_WITH_PATH)).isEqualTo("/jvm/bin");
        assertThat(Command.of("tool").env("PATH", "/own/bin").removeEnv("PATH").searchPath(JVM_WITH_PATH)).isEqualTo("/jvm/bin");
        assertThat(Command.of("tool").env("PATH", "/own/bin").clearEnvironment().searchPath(JVM_WITH_PATH)).isEqualTo("/jvm/bin");
    }

    @Test
    void withoutPathInTheJvmEitherTheDefaultIsSearched() throws Exception {
        assertThat(Command.of("sh").clearEnvironment().searchPath(Map.of("HOME", "/root"))).isNull();
        assertThat(ExecutableResolver.resolve("sh", null, null)).isIn("/bin/sh", "/usr/bin/sh");
    }

    @Test
    void aRealSpawnFindsArgv0InTheJvmsPathWhenTheChildHasNone() throws Exception {
        Path jvmBin = script(dir.resolve("jvm-bin"), "tool", "echo \"jvm's tool, $(" + GIVEN_PATH + ")\"");
        Path ownBin = script(dir.resolve("own-bin"), "tool", "echo \"own tool, $(" + GIVEN_PATH + ")\"");
        String ownPath = ownBin + ":/usr/bin:/bin"; // where the script finds tr and grep
        try (Launcher withPath = Launcher.builder().jvmEnvironment(Map.of("PATH", jvmBin.toString())).build()) {
            assertThat(output(withPath, Command.of("tool").clearEnvironment())).isEqualTo("jvm's tool, no PATH\n");
            assertThat(output(withPath, Command.of("tool").removeEnv("PATH"))).isEqualTo("jvm's tool, no PATH\n");
            assertThat(output(withPath, Command.of("tool").clearEnvironment().env("PATH", ownPath)))
                    .isEqualTo("own tool, PATH=" + ownPath + "\n");
        }
        try (Launcher withoutPath = Launcher.builder().jvmEnvironment(Map.of()).build()) {
            assertThat(output(withoutPath, Command.of("sh", "-c", GIVEN_PATH).clearEnvironment()))
                    .as("sh found in /bin:/usr/bin").isEqualTo("no PATH\n");
            assertThatThrownBy(() -> withoutPath.spawn(Command.of("tool").clearEnvironment()))
                    .isInstanceOf(SpawnException.class).hasMessageContaining("ENOENT").hasMessageContaining("/bin:/usr/bin");
        }
        // The JVM's own PATH, as the launcher reads it.
        assertThat(output(launcher, Command.of("sh", "-c", GIVEN_PATH).clearEnvironment())).isEqualTo("no PATH\n");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static Path script(Path directory, String name, String body) throws IOException {
        Files.createDirectories(directory);
        Path file = directory.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return directory;
    }

    private static String output(Launcher launcher, Command command) throws Exception {
        Exit exit = launcher.spawn(command.stdout(Stdio.capture(4096))).waitFor();
        assertThat(exit.statusCode()).isZero();
        return exit.stdout().text();
    }
}
