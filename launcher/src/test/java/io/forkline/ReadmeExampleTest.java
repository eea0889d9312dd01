package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The API example in README.md, kept compiling and true. */
class ReadmeExampleTest {
    @Test
    void theReadmeExampleWorksAsItSays() throws IOException, InterruptedException {
        String printed;
        String catOutput;
        try (Launcher launcher = Launcher.create()) {
            Child child = launcher.spawn(Command.of("sh", "-c", "echo hi; echo oops >&2; exit 3")
                    .env("LANG", "C").cwd(Path.of("/tmp"))
                    .stdout(Stdio.capture(1 << 20))
                    .stderr(Stdio.mergeIntoStdout())
                    .timeout(Duration.ofSeconds(10))
                    .newProcessGroup()
                    .limit(ResourceLimit.NOFILE, 1024, 1024));
            Exit exit = child.waitFor();
            printed = exit.describe() + ": " + exit.stdout().text();

            Process process = launcher.spawn(Command.of("cat").stdin(Stdio.pipe()).stdout(Stdio.pipe())).toProcess();
            process.getOutputStream().write("to cat\n".getBytes());
            process.getOutputStream().close();
            catOutput = new String(process.getInputStream().readAllBytes());
        }
        assertThat(printed).isEqualTo("exited 3: hi\noops\n");
        assertThat(catOutput).isEqualTo("to cat\n");

        try (Launcher launcher = Launcher.create()) {
            launcher.spawn(Command.of("nope").env("PATH", "/usr/bin"));
        } catch (SpawnException e) {
            assertThat(e).hasMessage("execve(nope): ENOENT (No such file or directory): not found in PATH=/usr/bin: "
                    + "while starting [nope]");
            assertThat(e.syscall() + " " + e.errnoName() + " " + e.path()).isEqualTo("execve ENOENT nope");
        }
    }
}
