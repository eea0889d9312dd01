package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpawnTest extends LeakCheckedTest {
    private Exit run(Command command) throws Exception {
        return launcher.spawn(command).waitFor();
    }

    @Test
    void exitStatusAndRusageComeBack() throws Exception {
        Exit exit = run(Command.of("sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 42"));
        assertThat(exit.exitCode()).isEqualTo(42);
        assertThat(exit.signal()).isZero();
        assertThat(exit.success()).isFalse();
        assertThat(exit.statusCode()).isEqualTo(42);
        assertThat(exit.userCpu().plus(exit.systemCpu())).isPositive();
        assertThat(exit.maxRssBytes()).isPositive();
    }

    @Test
    void pathLookupFindsProgramsLikeExecvp() throws Exception {
        Exit exit = run(Command.of("sh", "-c", "echo $0").stdout(Stdio.capture(100)));
        assertThat(exit.stdout().text()).isEqualTo("sh\n");
    }

    @Test
    void pathLookupUsesTheChildsPath(@TempDir Path dir) throws Exception {
        Path tool = dir.resolve("forkline-test-tool");
        Files.writeString(tool, "#!/bin/sh\necho found me\n");
        tool.toFile().setExecutable(true);
        Exit exit = run(Command.of("forkline-test-tool").env("PATH", "/nonexistent:" + dir).stdout(Stdio.capture(100)));
        assertThat(exit.stdout().text()).isEqualTo("found me\n");
    }

    @Test
    void environmentCanBeSetRemovedAndCleared() throws Exception {
        Exit set = run(Command.of("sh", "-c", "echo \"$FORKLINE_A:$HOME\"").env("FORKLINE_A", "x y").removeEnv("HOME")
                .stdout(Stdio.capture(100)));
        assertThat(set.stdout().text()).isEqualTo("x y:\n");
        Exit cleared = run(Command.of("/usr/bin/env").clearEnvironment().env("ONLY", "1").stdout(Stdio.capture(1000)));
        assertThat(cleared.stdout().text()).isEqualTo("ONLY=1\n");
    }

    @Test
    void inheritedEnvironmentIsTheJvms() throws Exception {
        Exit exit = run(Command.of("sh", "-c", "echo \"$PATH\"").stdout(Stdio.capture(10_000)));
        assertThat(exit.stdout().text()).isEqualTo(System.getenv("PATH") + "\n");
    }

    @Test
    void cwdIsApplied(@TempDir Path dir) throws Exception {
        Exit exit = run(Command.of("pwd").cwd(dir).stdout(Stdio.capture(1000)));
        assertThat(exit.stdout().text()).isEqualTo(dir.toRealPath() + "\n");
    }

    @Test
    void umaskAndRlimitsAreApplied() throws Exception {
        Exit exit = run(Command.of("sh", "-c", "umask; ulimit -n; ulimit -c")
                .umask(0027)
                .limit(ResourceLimit.NOFILE, 123, 456)
                .limit(ResourceLimit.CORE, 0, 0)
                .stdout(Stdio.capture(1000)));
        assertThat(exit.stdout().text()).isEqualTo("0027\n123\n0\n");
    }

    @Test
    void newSessionAndProcessGroup() throws Exception {
        Child session = launcher.spawn(Command.of("sh", "-c", "ps -o pid=,pgid=,sid= -p $$").newSession().stdout(Stdio.capture(1000)));
        String[] ids = session.waitFor().stdout().text().trim().split("\\s+");
        assertThat(ids).containsOnly(String.valueOf(session.pid()));
        assertThat(session.leadsProcessGroup()).isTrue();

        Child group = launcher.spawn(Command.of("sh", "-c", "ps -o pid=,pgid=,sid= -p $$").newProcessGroup().stdout(Stdio.capture(1000)));
        String[] groupIds = group.waitFor().stdout().text().trim().split("\\s+");
        assertThat(groupIds[0]).isEqualTo(groupIds[1]).isEqualTo(String.valueOf(group.pid()));
        assertThat(groupIds[2]).isNotEqualTo(groupIds[0]);
    }

    @Test
    void parentDeathSignalIsSetInTheChild() throws Exception {
        // prctl(PR_GET_PDEATHSIG) answers only for the caller, so the child asks: perl's syscall()
        // passes the packed int by address. 157 is SYS_prctl and 2 is PR_GET_PDEATHSIG on x86_64.
        Assumptions.assumeTrue(System.getProperty("os.arch").equals("amd64"), "the syscall number is x86_64's");
        String script = "my $v = pack('i', 0); syscall(157, 2, $v) == 0 or die $!; print unpack('i', $v)";
        Exit exit = run(Command.of("perl", "-e", script).parentDeathSignal(Signals.TERM).stdout(Stdio.capture(100)));
        assertThat(exit.stdout().text()).isEqualTo(String.valueOf(Signals.TERM));
        Exit without = run(Command.of("perl", "-e", script).stdout(Stdio.capture(100)));
        assertThat(without.stdout().text()).isEqualTo("0");
    }

    @Test
    void aChildThatExitsBeforeAnyoneWaitsIsStillReported() throws Exception {
        Child child = launcher.spawn(Command.of("/bin/true"));
        Thread.sleep(200);
        assertThat(child.onExit()).isCompleted();
        assertThat(child.waitFor().success()).isTrue();
        assertThat(child.isAlive()).isFalse();
        assertThat(child.signal(Signals.TERM)).as("signal after reaping is a no-op").isFalse();
    }

    @Test
    void waitForWithATimeoutReturnsEmptyWhileRunning() throws Exception {
        Child child = launcher.spawn(Command.of("sleep", "30"));
        assertThat(child.waitFor(Duration.ofMillis(50))).isEmpty();
        assertThat(child.isAlive()).isTrue();
        child.kill();
        assertThat(child.waitFor(Duration.ofSeconds(10))).hasValueSatisfying(e -> assertThat(e.signal()).isEqualTo(Signals.KILL));
    }

    @Test
    void waitForOnAPlatformThreadCanBeInterrupted() throws Exception {
        Child child = launcher.spawn(Command.of("sleep", "30"));
        java.util.concurrent.CompletableFuture<Throwable> outcome = new java.util.concurrent.CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                child.waitFor();
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        Thread.sleep(150);
        waiter.interrupt();
        assertThat(outcome.get(5, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        waiter.join();
        assertThat(child.isAlive()).isTrue();
        child.kill();
        assertThat(child.waitFor().signal()).isEqualTo(Signals.KILL);
    }

    @Test
    void manyPlatformThreadsWaitingOnOneChildAllSeeTheSameExit() throws Exception {
        Child child = launcher.spawn(Command.of("sh", "-c", "sleep 0.2; exit 9"));
        java.util.List<java.util.concurrent.CompletableFuture<Exit>> seen = new java.util.ArrayList<>();
        java.util.List<Thread> waiters = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            java.util.concurrent.CompletableFuture<Exit> result = new java.util.concurrent.CompletableFuture<>();
            seen.add(result);
            waiters.add(Thread.ofPlatform().start(() -> {
                try {
                    result.complete(child.waitFor());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            }));
        }
        for (Thread waiter : waiters) waiter.join();
        assertThat(seen).allSatisfy(f -> assertThat(f.get()).isSameAs(seen.getFirst().get()));
        assertThat(seen.getFirst().get().exitCode()).isEqualTo(9);
    }

    @Test
    void aCoreDumpIsReported(@TempDir Path dir) throws Exception {
        String pattern = Files.readString(Path.of("/proc/sys/kernel/core_pattern")).trim();
        Assumptions.assumeFalse(pattern.startsWith("|"),
                "core_pattern pipes cores to " + pattern + ", whose success this test cannot control");
        Exit exit = run(Command.of("sh", "-c", "kill -SEGV $$").cwd(dir)
                .limit(ResourceLimit.CORE, ResourceLimit.UNLIMITED, ResourceLimit.UNLIMITED));
        assertThat(exit.signal()).isEqualTo(Signals.SEGV);
        assertThat(exit.coreDumped()).isTrue();
        assertThat(exit.describe()).isEqualTo("killed by signal 11 (core dumped)");
        Exit noCore = run(Command.of("sh", "-c", "kill -SEGV $$").cwd(dir).limit(ResourceLimit.CORE, 0, 0));
        assertThat(noCore.coreDumped()).isFalse();
    }

    @Test
    void aChildKilledBySignalReportsTheSignal() throws Exception {
        Exit exit = run(Command.of("sh", "-c", "kill -KILL $$"));
        assertThat(exit.exitCode()).isEqualTo(-1);
        assertThat(exit.signal()).isEqualTo(Signals.KILL);
        assertThat(exit.statusCode()).isEqualTo(137);
        assertThat(exit.describe()).isEqualTo("killed by signal 9");
    }

    @Test
    void posixSpawnFallbackWorksAndIsCounted() throws Exception {
        Child child = launcher.spawn(Command.of("sh", "-c", "echo fallback; exit 3").usePosixSpawn().stdout(Stdio.capture(100)));
        Exit exit = child.waitFor();
        assertThat(child.spawnMethod()).isEqualTo(SpawnMethod.POSIX_SPAWN);
        assertThat(exit.exitCode()).isEqualTo(3);
        assertThat(exit.stdout().text()).isEqualTo("fallback\n");
        assertThat(launcher.fallbackSpawnCount()).isEqualTo(1);
    }

    @Test
    void posixSpawnFallbackRefusesWhatItCannotDo() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> launcher.spawn(Command.of("/bin/true").usePosixSpawn().umask(022)))
                .isInstanceOf(SpawnException.class)
                .hasMessageContaining("Operation not supported")
                .hasMessageContaining("cannot apply rlimits, a umask");
    }

    @Test
    void everySpawnIsAJfrEvent() throws Exception {
        Path file = Files.createTempFile("forkline-spawn", ".jfr");
        try (jdk.jfr.Recording recording = new jdk.jfr.Recording()) {
            recording.enable("io.forkline.Spawn");
            recording.start();
            Child child = launcher.spawn(Command.of("/bin/true"));
            child.waitFor();
            try {
                launcher.spawn(Command.of("/nonexistent/forkline"));
            } catch (SpawnException expected) {
                // recorded with its failure
            }
            recording.stop();
            recording.dump(file);
            java.util.List<jdk.jfr.consumer.RecordedEvent> events = jdk.jfr.consumer.RecordingFile.readAllEvents(file);
            assertThat(events).anySatisfy(e -> {
                assertThat(e.getEventType().getName()).isEqualTo("io.forkline.Spawn");
                assertThat(e.getInt("pid")).isEqualTo(child.pid());
                assertThat(e.getString("executable")).isEqualTo("/bin/true");
            });
            assertThat(events).anySatisfy(e -> assertThat(e.getString("failure")).contains("ENOENT"));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * clone3 where nothing stands in its way, else the clone(2) fallback, and the launcher says
     * which. What stands in the way is read off this process, not assumed: a seccomp filter
     * (the Seccomp line of /proc/self/status) may refuse clone3; the kernel itself has it since
     * 5.3, older than forkline supports (5.9). Clone3RefusedTest installs such a filter.
     */
    @Test
    void clone3IsUsedWhereNoSeccompFilterCanRefuseItAndTheMethodIsReported() throws Exception {
        String seccomp = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Seccomp:")).map(l -> l.substring(8).strip()).findFirst().orElse("none");
        Child child = launcher.spawn(Command.of("/bin/true"));
        child.waitFor();
        if (seccomp.equals("0") || seccomp.equals("none")) {
            assertThat(Launcher.clone3Usable()).as("no seccomp filter here (Seccomp: %s)", seccomp).isTrue();
        }
        assertThat(child.spawnMethod()).isEqualTo(Launcher.clone3Usable() ? SpawnMethod.CLONE3 : SpawnMethod.CLONE);
    }
}
