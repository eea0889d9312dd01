package io.forkline;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where argv[0] is looked up, and {@link Command#from(ProcessBuilder)}: every check of the
 * latter runs the same builder through forkline and through {@code builder.start()}.
 */
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

    // ---- Command.from(ProcessBuilder) ---------------------------------------------------------

    @Test
    void fromCarriesEveryEnvironmentEntryVerbatimAsTheJdkDoes() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("cat", "/proc/self/environ");
        builder.environment().clear();
        builder.environment().put("", "empty name");
        builder.environment().put("EQUALS", "a=b");
        builder.environment().put("EMPTY", "");
        assertThatThrownBy(() -> Command.of("cat").env("", "empty name"))
                .as("Command.env keeps its rule").isInstanceOf(IllegalArgumentException.class);

        Set<String> forkline = environ(forkline(builder).stdout);
        assertThat(forkline).containsExactlyInAnyOrder("=empty name", "EQUALS=a=b", "EMPTY=");
        assertThat(forkline).isEqualTo(environ(jdk(builder).stdout));
    }

    @Test
    void fromInheritsAnUntouchedEnvironmentAndCarriesAChangedOne() throws Exception {
        ProcessBuilder untouched = new ProcessBuilder("cat", "/proc/self/environ");
        assertThat(Command.from(untouched).inheritsEnvironmentUnchanged()).isTrue();
        assertThat(environ(forkline(untouched).stdout)).isEqualTo(environ(jdk(untouched).stdout));

        ProcessBuilder changed = new ProcessBuilder("cat", "/proc/self/environ");
        changed.environment().put("FORKLINE_FROM", "1");
        changed.environment().remove("HOME");
        assertThat(Command.from(changed).inheritsEnvironmentUnchanged()).isFalse();
        Set<String> forkline = environ(forkline(changed).stdout);
        assertThat(forkline).contains("FORKLINE_FROM=1").noneMatch(entry -> entry.startsWith("HOME="));
        assertThat(forkline).isEqualTo(environ(jdk(changed).stdout));
    }

    @Test
    void fromLooksArgv0UpInTheJvmsPathNotTheBuildersAsTheJdkDoes() throws Exception {
        Path bin = script(dir.resolve("bin"), "forkline-only-here", "echo found");
        ProcessBuilder builder = new ProcessBuilder("forkline-only-here");
        builder.environment().put("PATH", bin.toString());
        assertThatThrownBy(builder::start).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> launcher.spawn(Command.from(builder)))
                .isInstanceOf(SpawnException.class).hasMessageContaining("ENOENT");
        assertThat(forkline(new ProcessBuilder("sh", "-c", "echo $PATH").directory(dir.toFile())).stdout)
                .isEqualTo(System.getenv("PATH") + "\n");
    }

    @Test
    void fromKeepsCommandAndDirectory() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", "pwd; echo \"$0 $1\"; exit 7", "zero", "one").directory(dir.toFile());
        Outcome forkline = forkline(builder);
        assertThat(forkline).isEqualTo(new Outcome(dir.toRealPath() + "\nzero one\n", "", 7));
        assertThat(forkline).isEqualTo(jdk(builder));
    }

    @Test
    void fromPipes() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", "read x; echo \"out $x\"; echo err >&2");
        for (Process process : new Process[] {launcher.spawn(Command.from(builder)).toProcess(), builder.start()}) {
            try (var stdin = process.getOutputStream()) {
                stdin.write("in\n".getBytes(UTF_8));
            }
            assertThat(Outcome.of(process)).as("%s", process).isEqualTo(new Outcome("out in\n", "err\n", 0));
        }
    }

    @Test
    void fromInherits() throws Exception {
        // What the shell's fds 0 and 1 are, told on stderr, the one stream left to the test; read
        // in a command substitution, as dash applies a command's own >&2 to the shell itself.
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", "fds=$(readlink /proc/$$/fd/0 /proc/$$/fd/1); echo \"$fds\" >&2")
                .redirectInput(Redirect.INHERIT).redirectOutput(Redirect.INHERIT);
        String jvms = Files.readSymbolicLink(Path.of("/proc/self/fd/0")) + "\n" + Files.readSymbolicLink(Path.of("/proc/self/fd/1")) + "\n";
        Outcome forkline = forkline(builder);
        assertThat(forkline).isEqualTo(new Outcome("", jvms, 0));
        assertThat(forkline).isEqualTo(jdk(builder));
    }

    @Test
    void fromDiscards() throws Exception {
        // Each shell tells on its other stream where the discarded one goes (see fromInherits).
        ProcessBuilder stdout = new ProcessBuilder("sh", "-c", "fd=$(readlink /proc/$$/fd/1); echo \"$fd\" >&2").redirectOutput(Redirect.DISCARD);
        assertThat(forkline(stdout)).isEqualTo(new Outcome("", "/dev/null\n", 0)).isEqualTo(jdk(stdout));
        ProcessBuilder stderr = new ProcessBuilder("sh", "-c", "readlink /proc/$$/fd/2").redirectError(Redirect.DISCARD);
        assertThat(forkline(stderr)).isEqualTo(new Outcome("/dev/null\n", "", 0)).isEqualTo(jdk(stderr));
    }

    @Test
    void fromReadsStdinFromAFile() throws Exception {
        Path input = Files.writeString(dir.resolve("input"), "from the file\n");
        ProcessBuilder builder = new ProcessBuilder("cat").redirectInput(Redirect.from(input.toFile()));
        for (Process process : new Process[] {launcher.spawn(Command.from(builder)).toProcess(), builder.start()}) {
            assertThatThrownBy(() -> process.getOutputStream().write('x')).as("%s", process).isInstanceOf(IOException.class);
            assertThat(Outcome.of(process)).as("%s", process).isEqualTo(new Outcome("from the file\n", "", 0));
        }
        ProcessBuilder missing = new ProcessBuilder("cat").redirectInput(Redirect.from(dir.resolve("missing").toFile()));
        assertThatThrownBy(missing::start).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> launcher.spawn(Command.from(missing))).isInstanceOf(IOException.class).hasMessageContaining("ENOENT");
    }

    @Test
    void fromWritesAndAppendsToFiles() throws Exception {
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", "echo new; echo new err >&2")
                .redirectOutput(Redirect.to(out.toFile())).redirectError(Redirect.appendTo(err.toFile()));
        for (boolean viaForkline : new boolean[] {true, false}) {
            Files.writeString(out, "old content, longer than the new\n");
            Files.writeString(err, "old err\n");
            Outcome outcome = viaForkline ? forkline(builder) : jdk(builder);
            assertThat(outcome).as(viaForkline ? "forkline" : "jdk").isEqualTo(new Outcome("", "", 0));
            assertThat(Files.readString(out)).as("truncated").isEqualTo("new\n");
            assertThat(Files.readString(err)).as("appended").isEqualTo("old err\nnew err\n");
        }
        Files.delete(out);
        Files.delete(err);
        assertThat(forkline(builder)).isEqualTo(new Outcome("", "", 0));
        assertThat(Files.readString(out)).as("created").isEqualTo("new\n");
        assertThat(Files.readString(err)).as("created").isEqualTo("new err\n");
    }

    @Test
    void fromMergesTheErrorStream() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", "echo out; echo err >&2").redirectErrorStream(true);
        Outcome forkline = forkline(builder);
        assertThat(forkline).isEqualTo(new Outcome("out\nerr\n", "", 0));
        assertThat(forkline).isEqualTo(jdk(builder));

        Path out = dir.resolve("merged");
        Path ignored = dir.resolve("ignored");
        ProcessBuilder intoFile = new ProcessBuilder("sh", "-c", "echo out; echo err >&2")
                .redirectErrorStream(true).redirectOutput(Redirect.to(out.toFile())).redirectError(Redirect.to(ignored.toFile()));
        assertThat(forkline(intoFile)).isEqualTo(new Outcome("", "", 0));
        assertThat(Files.readString(out)).isEqualTo("out\nerr\n");
        // The JDK creates it, empty, though its javadoc says the error redirect has no effect.
        assertThat(ignored).as("the error redirect has no effect").doesNotExist();
    }

    @Test
    void fromReadsTheBuilderOnce() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("echo", "before");
        Command command = Command.from(builder);
        builder.command("echo", "after").redirectOutput(Redirect.DISCARD);
        assertThat(command.argv()).containsExactly("echo", "before");
        assertThat(command.stdout()).isEqualTo(Stdio.pipe());
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** What a Process gave: stdout, stderr, exit value. */
    private record Outcome(String stdout, String stderr, int exitValue) {
        /** Reads stdout, then stderr, then waits: the outputs here are small, so no pipe fills. */
        static Outcome of(Process process) throws Exception {
            String out = new String(process.getInputStream().readAllBytes(), UTF_8);
            String err = new String(process.getErrorStream().readAllBytes(), UTF_8);
            return new Outcome(out, err, process.waitFor());
        }
    }

    private Outcome forkline(ProcessBuilder builder) throws Exception {
        return Outcome.of(launcher.spawn(Command.from(builder)).toProcess());
    }

    private static Outcome jdk(ProcessBuilder builder) throws Exception {
        return Outcome.of(builder.start());
    }

    private static Set<String> environ(String procSelfEnviron) {
        return Arrays.stream(procSelfEnviron.split("\0")).filter(entry -> !entry.isEmpty()).collect(Collectors.toSet());
    }

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
