package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkline.sys.shim.Errno;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input named in the spawn engine issue: a typed error naming syscall, errno and path, and no leak. */
class SpawnErrorsTest extends LeakCheckedTest {
    @Override
    protected void beforeClose() throws Exception {
        // The launcher must still work after every failure.
        assertThat(launcher.spawn(Command.of("/bin/true")).waitFor().success()).isTrue();
    }

    private SpawnException spawnFails(Command command) {
        SpawnException e = org.junit.jupiter.api.Assertions.assertThrows(SpawnException.class, () -> launcher.spawn(command));
        assertThat(e.argv()).isEqualTo(command.argv());
        return e;
    }

    @Test
    void noSuchFile() {
        SpawnException e = spawnFails(Command.of("/nonexistent/forkline-test"));
        assertThat(e.syscall()).isEqualTo("execve");
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e.errnoName()).isEqualTo("ENOENT");
        assertThat(e.path()).isEqualTo("/nonexistent/forkline-test");
        assertThat(e).hasMessage("execve(/nonexistent/forkline-test): ENOENT (No such file or directory): "
                + "while starting [/nonexistent/forkline-test]");
    }

    @Test
    void noSuchProgramInPath() {
        SpawnException e = spawnFails(Command.of("forkline-no-such-program").env("PATH", "/usr/bin:/bin"));
        assertThat(e.syscall()).isEqualTo("execve");
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e).hasMessageContaining("not found in PATH=/usr/bin:/bin");
    }

    @Test
    void notExecutable(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "#!/bin/sh\necho no\n");
        SpawnException e = spawnFails(Command.of(file.toString()));
        assertThat(e.syscall()).isEqualTo("execve");
        assertThat(e.errno()).isEqualTo(Errno.EACCES);
        assertThat(e.path()).isEqualTo(file.toString());
    }

    @Test
    void notExecutableFoundThroughPathSaysEacces(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("forkline-plain"), "echo no\n");
        SpawnException e = spawnFails(Command.of("forkline-plain").env("PATH", dir.toString()));
        assertThat(e.errno()).isEqualTo(Errno.EACCES);
        assertThat(e).hasMessageContaining("found but not executable");
    }

    @Test
    void directoryIsNotExecutable(@TempDir Path dir) {
        SpawnException e = spawnFails(Command.of(dir.toString()));
        assertThat(e.syscall()).isEqualTo("execve");
        assertThat(e.errno()).isEqualTo(Errno.EACCES);
    }

    @Test
    void scriptWithoutShebang(@TempDir Path dir) throws IOException {
        Path script = Files.writeString(dir.resolve("script"), "echo I have no shebang\n");
        script.toFile().setExecutable(true);
        SpawnException e = spawnFails(Command.of(script.toString()));
        assertThat(e.syscall()).isEqualTo("execve");
        assertThat(e.errno()).isEqualTo(Errno.ENOEXEC);
        assertThat(e.errnoName()).isEqualTo("ENOEXEC");
        assertThat(e.path()).isEqualTo(script.toString());
    }

    /**
     * The C library's posix_spawn in its current version: glibc keeps an older posix_spawn for
     * old programs (GLIBC_2.2.5) that runs a script without a shebang with /bin/sh; the default
     * one (GLIBC_2.15) reports ENOEXEC, as clone3's execve does. The shim finds the functions by
     * reading the C library's symbols, so this is what says it took the right version.
     */
    @Test
    void scriptWithoutShebangThroughPosixSpawn(@TempDir Path dir) throws IOException {
        Path script = Files.writeString(dir.resolve("script"), "echo I have no shebang\n");
        script.toFile().setExecutable(true);
        SpawnException e = spawnFails(Command.of(script.toString()).usePosixSpawn());
        assertThat(e.syscall()).isEqualTo("posix_spawn");
        assertThat(e.errno()).isEqualTo(Errno.ENOEXEC);
        assertThat(e.path()).isEqualTo(script.toString());
    }

    @Test
    void posixSpawnWithACwdThatDoesNotExist(@TempDir Path dir) {
        Path missing = dir.resolve("missing");
        SpawnException e = spawnFails(Command.of("/bin/true").cwd(missing).usePosixSpawn());
        assertThat(e.syscall()).isEqualTo("posix_spawn");
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
    }

    @Test
    void cwdThatDoesNotExist(@TempDir Path dir) {
        Path missing = dir.resolve("missing");
        SpawnException e = spawnFails(Command.of("/bin/true").cwd(missing));
        assertThat(e.syscall()).isEqualTo("chdir");
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e.path()).isEqualTo(missing.toString());
    }

    @Test
    void cwdThatIsAFile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "");
        SpawnException e = spawnFails(Command.of("/bin/true").cwd(file));
        assertThat(e.syscall()).isEqualTo("chdir");
        assertThat(e.errno()).isEqualTo(Errno.ENOTDIR);
        assertThat(e.path()).isEqualTo(file.toString());
    }

    @Test
    void argvOverArgMax() {
        // ARG_MAX is a quarter of the 8 MiB stack limit: 2 MiB. 40 arguments of 100 KB exceed it
        // while each stays under MAX_ARG_STRLEN (128 KiB).
        List<String> argv = new ArrayList<>();
        argv.add("/bin/true");
        argv.addAll(Collections.nCopies(40, "x".repeat(100_000)));
        SpawnException e = spawnFails(Command.of(argv));
        assertThat(e.syscall()).isEqualTo("execve");
        assertThat(e.errno()).isEqualTo(Errno.E2BIG);
        assertThat(e.path()).isEqualTo("/bin/true");
        assertThat(e.getMessage()).hasSizeLessThan(600);
    }

    @Test
    void singleArgumentOverMaxArgStrlen() {
        SpawnException e = spawnFails(Command.of("/bin/true", "y".repeat(200_000)));
        assertThat(e.errno()).isEqualTo(Errno.E2BIG);
    }

    @Test
    void environmentOverArgMax() {
        Command command = Command.of("/bin/true");
        for (int i = 0; i < 40; i++) command.env("FORKLINE_BIG_" + i, "z".repeat(100_000));
        SpawnException e = spawnFails(command);
        assertThat(e.syscall()).isEqualTo("execve");
        assertThat(e.errno()).isEqualTo(Errno.E2BIG);
    }

    @Test
    void nulInsideAnArgumentOrEnvironmentEntry() {
        assertThatThrownBy(() -> Command.of("/bin/echo", "a\0b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argv[1] contains a NUL byte at index 1: C strings end there");
        assertThatThrownBy(() -> Command.of("/bin/true").env("NAME", "va\0lue"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("environment value of NAME contains a NUL byte at index 2: C strings end there");
        assertThatThrownBy(() -> Command.of("/bin/true").env("NA\0ME", "v"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("environment name contains a NUL byte at index 2: C strings end there");
        assertThatThrownBy(() -> Command.of("/bin/true").env("A=B", "v"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("environment name must be non-empty and contain no '=': \"A=B\"");
        assertThatThrownBy(() -> Command.of("/bin/true").cwd(Path.of("/tmp/a\0b")))
                .isInstanceOf(Exception.class); // Path.of itself refuses NUL
    }

    @Test
    void emptyArgv() {
        assertThatThrownBy(Command::of)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argv is empty: a command needs at least argv[0]");
        assertThatThrownBy(() -> Command.of(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argv is empty: a command needs at least argv[0]");
        assertThatThrownBy(() -> Command.of(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argv[0] is empty: nothing to execute");
    }

    @Test
    void badLimitsAndOptionsAreRefusedUpFront() {
        assertThatThrownBy(() -> Command.of("x").limit(ResourceLimit.NOFILE, 10, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("NOFILE: soft limit 10 is above hard limit 5");
        assertThatThrownBy(() -> Command.of("x").umask(01000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Command.of("x").passFd(3, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Command.of("x").stdin(Stdio.capture(10))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Command.of("x").stdout(Stdio.mergeIntoStdout())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Command.of("x").timeout(java.time.Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rlimitAboveTheHardLimitFailsInTheChild() {
        // Raising a hard limit needs CAP_SYS_RESOURCE, which root has; raising NOFILE above
        // fs.nr_open is refused to everyone with EPERM.
        SpawnException e = spawnFails(Command.of("/bin/true").limit(ResourceLimit.NOFILE, 1L << 40, 1L << 40));
        assertThat(e.syscall()).isEqualTo("prlimit64");
        assertThat(e.errno()).isEqualTo(Errno.EPERM);
    }

    @Test
    void missingStdinFileFailsBeforeTheClone(@TempDir Path dir) {
        Path missing = dir.resolve("no-input");
        SpawnException e = spawnFails(Command.of("/bin/cat").stdin(Stdio.readFrom(missing)).stdout(Stdio.capture(10)));
        assertThat(e.syscall()).isEqualTo("open");
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e.path()).isEqualTo(missing.toString());
    }

    @Test
    void passingAClosedFdFailsInTheChild() {
        SpawnException e = spawnFails(Command.of("/bin/true").passFd(19_999, 5));
        assertThat(e.syscall()).isEqualTo("dup3");
        assertThat(e.errno()).isEqualTo(Errno.EBADF);
    }

    @Test
    void outOfFileDescriptors(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("f"), "");
        List<FileChannel> hog = new ArrayList<>();
        SpawnException withPipe;
        SpawnException withPidfd;
        try {
            while (true) {
                try {
                    hog.add(FileChannel.open(file, StandardOpenOption.READ));
                } catch (IOException full) {
                    break; // EMFILE: the table is full
                }
            }
            // Make room for exactly one fd: a pipe needs two, and the pidfd alone fits.
            hog.removeLast().close();
            withPipe = spawnFails(Command.of("/bin/true").stdout(Stdio.capture(10)));
            // Take the last free slot, so not even the pidfd fits.
            hog.add(FileChannel.open(file, StandardOpenOption.READ));
            withPidfd = spawnFails(Command.of("/bin/true"));
        } finally {
            for (FileChannel channel : hog) channel.close();
        }
        assertThat(withPipe.syscall()).isEqualTo("pipe2");
        assertThat(withPipe.errno()).isEqualTo(Errno.EMFILE);
        assertThat(withPidfd.syscall()).isEqualTo("clone3");
        assertThat(withPidfd.errno()).isEqualTo(Errno.EMFILE);
        assertThat(withPidfd.errnoName()).isEqualTo("EMFILE");
    }

    @Test
    void fileInputStreamFdsOpenedWithoutCloexecDoNotPreventSpawn(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "data");
        try (FileInputStream in = new FileInputStream(file.toFile())) {
            assertThat(in.read()).isEqualTo('d');
            assertThat(launcher.spawn(Command.of("/bin/true")).waitFor().success()).isTrue();
        }
    }
}
