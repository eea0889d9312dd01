package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Child.toProcess() behaves as code written against java.lang.Process expects. */
class ProcessAdapterTest extends LeakCheckedTest {
    /**
     * Run by the child in the background: a grandchild that inherits stdout and stderr and
     * holds them open until the test writes a line to the fifo {@code $1/go}, then writes "late"
     * to both. The child writes the grandchild's pid to {@code $1/pid} before it exits.
     */
    private static final String GRANDCHILD_HOLDING_THE_PIPES =
            "sh -c 'read go < \"$0/go\"; echo late; echo late >&2' \"$1\" & echo $! > \"$1/pid\"";

    @TempDir
    Path dir;

    /** The kind of code that takes a Process: it knows nothing of forkline. */
    private static String talkTo(Process process, String input) throws Exception {
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            return out.readLine();
        }
    }

    @Test
    void streamsWaitForAndExitValue() throws Exception {
        Process process = launcher.spawn(Command.of("sh", "-c", "read x; echo \"hello $x\"; echo oops >&2; exit 3")
                .stdin(Stdio.pipe()).stdout(Stdio.pipe()).stderr(Stdio.pipe())).toProcess();
        assertThat(talkTo(process, "world\n")).isEqualTo("hello world");
        assertThat(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("oops\n");
        assertThat(process.waitFor()).isEqualTo(3);
        assertThat(process.exitValue()).isEqualTo(3);
        assertThat(process.isAlive()).isFalse();
        assertThat(process.waitFor(1, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void waitForWithTimeoutExitValueWhileRunningAndDestroy() throws Exception {
        Process process = launcher.spawn(Command.of("sleep", "30")).toProcess();
        assertThat(process.waitFor(50, TimeUnit.MILLISECONDS)).isFalse();
        assertThatThrownBy(process::exitValue).isInstanceOf(IllegalThreadStateException.class);
        assertThat(process.isAlive()).isTrue();
        assertThat(process.supportsNormalTermination()).isTrue();
        process.destroy();
        assertThat(process.waitFor()).as("128 + SIGTERM, as the JDK reports it").isEqualTo(143);
    }

    @Test
    void destroyForciblyAndOnExit() throws Exception {
        Process process = launcher.spawn(Command.of("sh", "-c", "trap '' TERM; sleep 30")).toProcess();
        assertThat(process.destroyForcibly()).isSameAs(process);
        Process exited = process.onExit().get(10, TimeUnit.SECONDS);
        assertThat(exited).isSameAs(process);
        assertThat(exited.exitValue()).isEqualTo(137);
    }

    @Test
    void pidAndHandle() throws Exception {
        Child child = launcher.spawn(Command.of("sleep", "30"));
        Process process = child.toProcess();
        assertThat(process.pid()).isEqualTo(child.pid());
        ProcessHandle handle = process.toHandle();
        assertThat(handle.pid()).isEqualTo(child.pid());
        assertThat(handle.isAlive()).isTrue();
        assertThat(handle.parent()).contains(ProcessHandle.current());
        assertThat(handle.info().command()).hasValueSatisfying(c -> assertThat(c).endsWith("sleep"));
        assertThat(handle.destroy()).isTrue();
        assertThat(handle.onExit().get(10, TimeUnit.SECONDS).pid()).isEqualTo(child.pid());
        assertThat(handle.isAlive()).isFalse();
        assertThat(handle.destroyForcibly()).as("nothing left to signal").isFalse();
    }

    @Test
    void redirectedStreamsAreEmptyLikeTheJdks() throws Exception {
        Process process = launcher.spawn(Command.of("/bin/true").stdout(Stdio.discard())).toProcess();
        assertThat(process.getInputStream().read()).isEqualTo(-1);
        assertThat(process.getErrorStream().read()).isEqualTo(-1);
        assertThat(process.waitFor()).isZero();
    }

    @Test
    void streamsEndAtTheExitWhileAGrandchildStillHoldsThePipes() throws Exception {
        Path fifo = makeFifo(dir.resolve("go"));
        Process process = launcher.spawn(Command.of("sh", "-c",
                "echo start; echo oops >&2; " + GRANDCHILD_HOLDING_THE_PIPES, "sh", dir.toString())
                .stdout(Stdio.pipe()).stderr(Stdio.pipe())).toProcess();
        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("start\n");
        assertThat(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("oops\n");
        long grandchild = grandchildPid();
        assertThat(Path.of("/proc", Long.toString(grandchild))).as("the grandchild holds the pipes still").exists();
        assertThat(process.waitFor()).isZero();
        // Let it go: its "late" meets a closed pipe, and it ends.
        Files.writeString(fifo, "go\n");
        awaitEnd(grandchild);
    }

    @Test
    void everythingWrittenBeforeTheExitArrivesAlthoughAGrandchildHoldsThePipes() throws Exception {
        makeFifo(dir.resolve("go"));
        String stdout = lines(1, 40_000);
        String stderr = lines(40_001, 80_000);
        Process process = launcher.spawn(Command.of("sh", "-c",
                "seq 1 40000; seq 40001 80000 >&2; " + GRANDCHILD_HOLDING_THE_PIPES, "sh", dir.toString())
                .stdout(Stdio.pipe()).stderr(Stdio.pipe())).toProcess();
        assertThat(process.waitFor()).isZero();
        long grandchild = grandchildPid();
        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(stdout);
        assertThat(new String(process.getErrorStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(stderr);
        Files.writeString(dir.resolve("go"), "go\n");
        awaitEnd(grandchild);
    }

    /**
     * Nobody reads until the child has exited, so the loop stops reading stdout past the high
     * water mark; what the child wrote after that waits in the pipe, and the end at the exit
     * must read it, paused or not.
     */
    @Test
    void theEndAtTheExitReadsAPausedPipeToo() throws Exception {
        int beyondHighWater = PipeInputStream.HIGH_WATER + 1;
        Process process = launcher.spawn(Command.of("sh", "-c",
                "head -c " + beyondHighWater + " /dev/zero; sleep 0.2; echo tail", "sh")
                .stdout(Stdio.pipe())).toProcess();
        assertThat(process.waitFor()).isZero();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(out).hasSize(beyondHighWater + "tail\n".length());
        assertThat(new String(out, beyondHighWater, 5, StandardCharsets.US_ASCII)).isEqualTo("tail\n");
    }

    @Test
    void adaptingAfterTheExitEndsTheStreamsAtOnce() throws Exception {
        makeFifo(dir.resolve("go"));
        Child child = launcher.spawn(Command.of("sh", "-c", "echo start; " + GRANDCHILD_HOLDING_THE_PIPES, "sh", dir.toString())
                .stdout(Stdio.pipe()).stderr(Stdio.pipe()));
        child.waitFor();
        long grandchild = grandchildPid();
        Process process = child.toProcess();
        assertThat(child.toProcess().getInputStream()).as("adapting twice gives the same streams").isSameAs(process.getInputStream());
        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("start\n");
        assertThat(process.getErrorStream().readAllBytes()).isEmpty();
        assertThat(Path.of("/proc", Long.toString(grandchild))).exists();
        Files.writeString(dir.resolve("go"), "go\n");
        awaitEnd(grandchild);
    }

    @Test
    void aChildThatWasNotAdaptedKeepsItsPipesUntilEveryWriterHasClosed() throws Exception {
        makeFifo(dir.resolve("go"));
        Child child = launcher.spawn(Command.of("sh", "-c", "echo start; " + GRANDCHILD_HOLDING_THE_PIPES, "sh", dir.toString())
                .stdout(Stdio.pipe()).stderr(Stdio.discard()));
        child.waitFor();
        long grandchild = grandchildPid();
        byte[] start = new byte[6];
        assertThat(child.stdout().readNBytes(start, 0, 6)).isEqualTo(6);
        Files.writeString(dir.resolve("go"), "go\n");
        assertThat(new String(child.stdout().readAllBytes(), StandardCharsets.UTF_8)).as("the grandchild's output").isEqualTo("late\n");
        awaitEnd(grandchild);
    }

    @Test
    void stdinIsClosedAtTheExitAsTheJdksIs() throws Exception {
        Process forkline = launcher.spawn(Command.of("true").stdin(Stdio.pipe())).toProcess();
        Process jdk = new ProcessBuilder("true").start();
        for (Process process : new Process[] {forkline, jdk}) {
            assertThat(process.waitFor()).isZero();
            OutputStream stdin = process.getOutputStream();
            assertThatThrownBy(() -> {
                // The JDK's stream is buffered: the write may only fail at the flush.
                stdin.write('x');
                stdin.flush();
            }).as("%s", process).isInstanceOf(IOException.class);
            process.getInputStream().close();
            process.getErrorStream().close();
        }
    }

    @Test
    void aRedirectedStdinRefusesWritesAsTheJdksDoes() throws Exception {
        Process process = launcher.spawn(Command.of("true")).toProcess();
        assertThatThrownBy(() -> process.getOutputStream().write('x')).isInstanceOf(IOException.class);
        assertThat(process.waitFor()).isZero();
    }

    /** A failed test may leave the grandchild blocked on its fifo: it goes before the leak check. */
    @AfterEach
    void endLeftoverGrandchild() throws Exception {
        if (!Files.exists(dir.resolve("pid"))) return;
        long pid = grandchildPid();
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        try {
            // Only the process this test started: its command line names the test's directory.
            if (!Files.readString(cmdline).contains(dir.toString())) return;
        } catch (IOException gone) {
            return;
        }
        ProcessHandle.of(pid).ifPresent(handle -> {
            handle.destroyForcibly();
            handle.onExit().join();
        });
    }

    private long grandchildPid() throws IOException {
        return Long.parseLong(Files.readString(dir.resolve("pid")).trim());
    }

    private Path makeFifo(Path path) throws Exception {
        assertThat(launcher.spawn(Command.of("mkfifo", path.toString())).waitFor().statusCode()).isZero();
        return path;
    }

    /** The grandchild is not ours to reap: init (or a subreaper) does, so watch /proc. */
    private static void awaitEnd(long pid) throws Exception {
        ProcessHandle.of(pid).ifPresent(handle -> handle.onExit().join());
    }

    private static String lines(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(Integer::toString).collect(Collectors.joining("\n", "", "\n"));
    }
}
