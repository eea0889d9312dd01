package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StdioTest extends LeakCheckedTest {
    @Test
    void captureKeepsUpToTheLimitAndCountsTheRest() throws Exception {
        Exit exit = launcher.spawn(Command.of("sh", "-c", "head -c 100000 /dev/zero; echo err >&2")
                .stdout(Stdio.capture(1000)).stderr(Stdio.capture(1000))).waitFor();
        assertThat(exit.stdout().bytes()).hasSize(1000);
        assertThat(exit.stdout().totalBytes()).isEqualTo(100_000);
        assertThat(exit.stdout().truncated()).isTrue();
        assertThat(exit.stderr().text()).isEqualTo("err\n");
        assertThat(exit.stderr().truncated()).isFalse();
    }

    @Test
    void mergeSendsStderrWhereStdoutGoes() throws Exception {
        Exit exit = launcher.spawn(Command.of("sh", "-c", "echo out; echo err >&2; echo out2")
                .stdout(Stdio.capture(1000)).stderr(Stdio.mergeIntoStdout())).waitFor();
        assertThat(exit.stdout().text()).isEqualTo("out\nerr\nout2\n");
        assertThat(exit.stderr().totalBytes()).isZero();
    }

    @Test
    void filesCanBeReadWrittenAndAppended(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("in"), "from file\n");
        Path out = dir.resolve("out");
        launcher.spawn(Command.of("cat").stdin(Stdio.readFrom(in)).stdout(Stdio.writeTo(out))).waitFor();
        launcher.spawn(Command.of("sh", "-c", "echo appended; echo to-err >&2")
                .stdout(Stdio.appendTo(out)).stderr(Stdio.mergeIntoStdout())).waitFor();
        assertThat(Files.readString(out)).isEqualTo("from file\nappended\nto-err\n");
        launcher.spawn(Command.of("echo", "truncated").stdout(Stdio.writeTo(out))).waitFor();
        assertThat(Files.readString(out)).isEqualTo("truncated\n");
    }

    @Test
    void mergeSendsStderrToTheSameFileOnBothSpawnPaths(@TempDir Path dir) throws Exception {
        for (boolean posix : new boolean[] {false, true}) {
            // stdout inherited: the child's own fd 1 is the source of its fd 2.
            Command inherited = Command.of("sh", "-c",
                    "[ \"$(readlink /proc/$$/fd/1)\" = \"$(readlink /proc/$$/fd/2)\" ]").stderr(Stdio.mergeIntoStdout());
            if (posix) inherited.usePosixSpawn();
            assertThat(launcher.spawn(inherited).waitFor().exitCode()).as("fd 2 is fd 1 (posix=%s)", posix).isZero();

            Path out = dir.resolve("out-" + posix);
            Command command = Command.of("sh", "-c", "echo to-stderr >&2")
                    .stdout(Stdio.writeTo(out)).stderr(Stdio.mergeIntoStdout());
            if (posix) command.usePosixSpawn();
            assertThat(launcher.spawn(command).waitFor().success()).isTrue();
            assertThat(Files.readString(out)).isEqualTo("to-stderr\n");
        }
    }

    @Test
    void discardIsDevNull() throws Exception {
        Exit exit = launcher.spawn(Command.of("sh", "-c", "r=$(readlink /proc/$$/fd/0 /proc/$$/fd/1); echo \"$r\" >&2")
                .stdin(Stdio.discard()).stdout(Stdio.discard()).stderr(Stdio.capture(1000))).waitFor();
        assertThat(exit.stderr().text()).isEqualTo("/dev/null\n/dev/null\n");
    }

    @Test
    void pipesCarryMegabytesBothWaysWithBackPressure() throws Exception {
        // 8 MiB through cat: more than the pipe buffers and the 1 MiB read-ahead, so stdin
        // writes hit EAGAIN and the output pipe is paused and resumed along the way.
        byte[] data = new byte[8 << 20];
        new Random(42).nextBytes(data);
        Child child = launcher.spawn(Command.of("cat").stdin(Stdio.pipe()).stdout(Stdio.pipe()));
        CompletableFuture<byte[]> read = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try (InputStream out = child.stdout()) {
                Thread.sleep(300); // let the reader fall behind
                read.complete(out.readAllBytes());
            } catch (IOException | InterruptedException e) {
                read.completeExceptionally(e);
            }
        });
        try (OutputStream in = child.stdin()) {
            for (int off = 0; off < data.length; off += 100_000) {
                in.write(data, off, Math.min(100_000, data.length - off));
            }
        }
        assertThat(sha256(read.get())).isEqualTo(sha256(data));
        reader.join();
        assertThat(child.waitFor().success()).isTrue();
    }

    @Test
    void closingStdinEndsTheChildsInput() throws Exception {
        Child child = launcher.spawn(Command.of("wc", "-c").stdin(Stdio.pipe()).stdout(Stdio.capture(100)));
        child.stdin().write("12345".getBytes(StandardCharsets.UTF_8));
        child.stdin().close();
        child.stdin().close(); // idempotent
        assertThat(child.waitFor().stdout().text().trim()).isEqualTo("5");
        assertThatThrownBy(() -> child.stdin().write(1)).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void writingToAChildThatStoppedReadingFailsWithEpipe() throws Exception {
        Child child = launcher.spawn(Command.of("sh", "-c", "exec 0<&-; sleep 5").stdin(Stdio.pipe()));
        Thread.sleep(200);
        assertThatThrownBy(() -> child.stdin().write(new byte[1 << 20]))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("EPIPE");
        child.kill();
        child.waitFor();
    }

    @Test
    void listenersReceiveEveryChunkOnTheEventLoop() throws Exception {
        List<String> threads = new CopyOnWriteArrayList<>();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        Exit exit = launcher.spawn(Command.of("seq", "1", "20000").stdout(Stdio.stream(new OutputListener() {
            @Override
            public void onOutput(ByteBuffer chunk) {
                threads.add(Thread.currentThread().getName());
                byte[] bytes = new byte[chunk.remaining()];
                chunk.get(bytes);
                synchronized (received) {
                    received.writeBytes(bytes);
                }
            }

            @Override
            public void onEnd() {
                ended.complete(null);
            }
        }))).waitFor();
        // The exit is reported only after the listener has seen the end of the stream.
        assertThat(ended).isDone();
        assertThat(exit.success()).isTrue();
        String expected = Stream.iterate(1, i -> i + 1).limit(20000).map(String::valueOf).collect(Collectors.joining("\n", "", "\n"));
        synchronized (received) {
            assertThat(received.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
        }
        assertThat(Set.copyOf(threads)).allMatch(name -> name.endsWith("-reaper"));
    }

    @Test
    void aGrandchildHoldingAStreamedPipeDelaysTheExitOnlyByTheDrainTime() throws Exception {
        StringBuilder seen = new StringBuilder();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        long start = System.nanoTime();
        Child child = launcher.spawn(Command.of("sh", "-c", "sleep 5 & echo hi").stdout(Stdio.stream(new OutputListener() {
            @Override
            public void onOutput(ByteBuffer chunk) {
                synchronized (seen) {
                    seen.append(StandardCharsets.UTF_8.decode(chunk));
                }
            }

            @Override
            public void onEnd() {
                ended.complete(null);
            }
        })));
        Exit exit = child.waitFor();
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(ended).as("the listener saw its end before the exit was reported").isDone();
        String text;
        synchronized (seen) {
            text = seen.toString();
        }
        assertThat(text).isEqualTo("hi\n");
        // The grandchild (which ends by itself) holds the pipe for 5 s; the drain gives up after 1 s.
        assertThat(tookMillis).as("waited for the drain, not for the grandchild").isGreaterThanOrEqualTo(900).isLessThan(4_000);
        assertThat(exit.success()).isTrue();
    }

    @Test
    void childInheritsOnlyStdioAndWhatWasPassed(@TempDir Path dir) throws Exception {
        // A plain FileInputStream: the JDK opens it without O_CLOEXEC, so only close_range keeps it out.
        Path file = Files.writeString(dir.resolve("held-open"), "x");
        int[] passed = io.forkline.sys.shim.Shim.pipe();
        try (var held = new java.io.FileInputStream(file.toFile())) {
            assertThat(held.available()).isEqualTo(1);
            Child child = launcher.spawn(Command.of("ls", "-l", "/proc/self/fd/")
                    .passFd(passed[1], 7).stdout(Stdio.capture(10_000)));
            String listing = child.waitFor().stdout().text();
            // ls opens one fd of its own to read the directory; it is the one that points there.
            Set<Integer> fds = new TreeSet<>();
            for (String line : listing.split("\n")) {
                if (!line.contains(" -> ") || line.endsWith("/fd")) continue;
                String name = line.substring(0, line.indexOf(" -> "));
                fds.add(Integer.parseInt(name.substring(name.lastIndexOf(' ') + 1)));
            }
            assertThat(fds).as(listing).containsExactly(0, 1, 2, 7);
            assertThat(listing).contains("7 -> pipe:");
            assertThat(listing).doesNotContain(file.toString());
        } finally {
            io.forkline.sys.shim.Shim.close(passed[0]);
            io.forkline.sys.shim.Shim.close(passed[1]);
        }
    }

    @Test
    void aJvmWithThousandsOfFdsOpenSpawnsWithoutCopyingThem(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "");
        List<java.nio.channels.FileChannel> crowd = new java.util.ArrayList<>();
        int[] passed = io.forkline.sys.shim.Shim.pipe();
        try {
            for (int i = 0; i < 3000; i++) crowd.add(java.nio.channels.FileChannel.open(file));
            long sharedBefore = launcher.sharedFdTableSpawnCount();
            // No pipeline: while building one the shell holds pipe fds of its own.
            Child child = launcher.spawn(Command.of("sh", "-c", "echo out; echo err >&2; ls /proc/$$/fd")
                    .stdin(Stdio.pipe()).stdout(Stdio.capture(1000)).stderr(Stdio.capture(1000)).passFd(passed[1], 9));
            child.stdin().close();
            Exit exit = child.waitFor();
            assertThat(exit.stderr().text()).isEqualTo("err\n");
            // ls lists the waiting shell's fds (not its own): 0-2 and the passed 9.
            assertThat(exit.stdout().text()).isEqualTo("out\n0\n1\n2\n9\n");
            assertThat(launcher.sharedFdTableSpawnCount()).isEqualTo(sharedBefore + 1);
        } finally {
            for (java.nio.channels.FileChannel channel : crowd) channel.close();
            io.forkline.sys.shim.Shim.close(passed[0]);
            io.forkline.sys.shim.Shim.close(passed[1]);
        }
    }

    @Test
    void aLiveChildHoldsOnlyItsOwnFds() throws Exception {
        Child child = launcher.spawn(Command.of("sleep", "30").stdout(Stdio.discard()));
        try {
            Path fdDir = Path.of("/proc", String.valueOf(child.pid()), "fd");
            Set<String> fds = Set.of();
            for (int i = 0; i < 100; i++) { // sleep's loader may hold libc open for a moment
                try (Stream<Path> entries = Files.list(fdDir)) {
                    fds = entries.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
                }
                if (fds.equals(Set.of("0", "1", "2"))) break;
                Thread.sleep(10);
            }
            assertThat(fds).containsExactlyInAnyOrder("0", "1", "2");
        } finally {
            child.kill();
            child.waitFor();
        }
    }

    @Test
    void anUnreadPipeIsReleasedWhenTheLauncherCloses() throws Exception {
        Child child = launcher.spawn(Command.of("sh", "-c", "echo never read").stdout(Stdio.pipe()).stderr(Stdio.pipe()));
        child.waitFor();
        // the test's @AfterEach closes the launcher and checks that no fd stays open
    }

    @Test
    void stdoutAccessorsSayWhatTheStreamIs() throws Exception {
        Child child = launcher.spawn(Command.of("/bin/true"));
        assertThatThrownBy(child::stdout).isInstanceOf(IllegalStateException.class).hasMessageContaining("is not Stdio.pipe()");
        assertThatThrownBy(child::stdin).isInstanceOf(IllegalStateException.class);
        child.waitFor();
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
