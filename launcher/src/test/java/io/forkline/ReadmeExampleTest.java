package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.CgroupRoot;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.Limits;
import io.forkline.cgroup.Stats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
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

    @Test
    void theReadmeCgroupExampleWorksAsItSays() throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isWritable(Path.of("/sys/fs/cgroup/unified/cgroup.procs"))
                || Files.isWritable(Path.of("/sys/fs/cgroup/cgroup.procs")), "needs a writable cgroup2 mount (root)");
        String name = "forkline-test-readme-" + ProcessHandle.current().pid();
        String printed;
        CgroupRoot root = CgroupRoot.forThisHost(name);
        try {
            try (CgroupPool pool = CgroupPool.builder(root).capacity(32).build();
                    Launcher launcher = Launcher.builder().cgroupPool(pool).build()) {
                Limits limits = Limits.builder().pidsMax(64).cpuMax(50_000, 100_000).memoryMax(512L << 20)
                        .optional(Controller.MEMORY).build();
                Exit exit = launcher.spawn(Command.of("sh", "-c", "true").cgroupLimits(limits)).waitFor();
                Stats used = exit.cgroupStats();
                printed = used.cpu().usageMicros() + " us, " + used.pids().forkFailures() + " forks refused";
            }
        } finally {
            root.destroy(Duration.ofSeconds(5));
        }
        assertThat(printed).matches("\\d+ us, 0 forks refused");
    }
}
