package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignalsTest extends LeakCheckedTest {
    @Test
    void timeoutSendsTermFirst() throws Exception {
        Exit exit = launcher.spawn(Command.of("sleep", "30").timeout(Duration.ofMillis(100))).waitFor();
        assertThat(exit.timedOut()).isTrue();
        assertThat(exit.signal()).isEqualTo(Signals.TERM);
        assertThat(exit.describe()).isEqualTo("killed by signal 15 after timeout");
    }

    @Test
    void timeoutEscalatesToKillAfterTheGrace() throws Exception {
        Child child = launcher.spawn(Command.of("sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done")
                .stdout(Stdio.pipe()).timeout(Duration.ofMillis(300)).killGrace(Duration.ofMillis(200)));
        assertThat(new String(child.stdout().readNBytes(6))).isEqualTo("ready\n");
        Exit exit = child.waitFor();
        assertThat(exit.timedOut()).isTrue();
        assertThat(exit.signal()).isEqualTo(Signals.KILL);
    }

    @Test
    void aChildThatFinishesInTimeIsNotMarked() throws Exception {
        Exit exit = launcher.spawn(Command.of("/bin/true").timeout(Duration.ofSeconds(30))).waitFor();
        assertThat(exit.timedOut()).isFalse();
        assertThat(exit.success()).isTrue();
    }

    @Test
    void timeoutKillsTheWholeProcessGroup() throws Exception {
        Child child = launcher.spawn(Command.of("sh", "-c", "sleep 30 & echo $!; sleep 30 & echo $!; wait")
                .newProcessGroup().stdout(Stdio.pipe()).timeout(Duration.ofMillis(300)).killGrace(Duration.ZERO));
        List<Long> grandchildren = readPids(child, 2);
        Exit exit = child.waitFor();
        assertThat(exit.signal()).isEqualTo(Signals.KILL);
        for (long pid : grandchildren) assertGone(pid);
    }

    @Test
    void killReachesTheGroupOfASessionLeader() throws Exception {
        Child child = launcher.spawn(Command.of("sh", "-c", "sleep 30 & echo $!; wait").newSession().stdout(Stdio.pipe()));
        List<Long> grandchildren = readPids(child, 1);
        assertThat(child.kill()).isTrue();
        assertThat(child.waitFor().signal()).isEqualTo(Signals.KILL);
        assertGone(grandchildren.getFirst());
    }

    @Test
    void signalReachesOnlyTheChild() throws Exception {
        Child child = launcher.spawn(Command.of("sh", "-c", "trap 'echo got USR1; exit 7' USR1; echo ready; while :; do sleep 0.05; done")
                .stdout(Stdio.pipe()));
        assertThat(new String(child.stdout().readNBytes(6))).isEqualTo("ready\n");
        assertThat(child.signal(Signals.USR1)).isTrue();
        assertThat(new String(child.stdout().readAllBytes())).isEqualTo("got USR1\n");
        assertThat(child.waitFor().exitCode()).isEqualTo(7);
        assertThat(child.signal(Signals.USR1)).isFalse();
    }

    @Test
    void signalGroupNeedsAGroup() throws Exception {
        Child child = launcher.spawn(Command.of("sleep", "30"));
        assertThatThrownBy(() -> child.signalGroup(Signals.TERM))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not lead a process group");
        child.kill();
        child.waitFor();
    }

    @Test
    void closeWithKillPolicyEndsLiveChildren() throws Exception {
        Launcher own = Launcher.create();
        Child child = own.spawn(Command.of("sleep", "30"));
        own.close();
        assertThat(child.onExit()).isCompleted();
        assertThat(child.waitFor().signal()).isEqualTo(Signals.KILL);
        assertThatThrownBy(() -> own.spawn(Command.of("/bin/true")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
    }

    @Test
    void closeWithWaitPolicyLetsChildrenFinish() throws Exception {
        Launcher own = Launcher.builder().shutdownPolicy(ShutdownPolicy.WAIT).build();
        Child child = own.spawn(Command.of("sh", "-c", "sleep 0.3; exit 5"));
        own.close();
        assertThat(child.waitFor().exitCode()).isEqualTo(5);
    }

    private static List<Long> readPids(Child child, int count) throws Exception {
        StringBuilder text = new StringBuilder();
        while (text.chars().filter(c -> c == '\n').count() < count) {
            int b = child.stdout().read();
            if (b < 0) break;
            text.append((char) b);
        }
        return Arrays.stream(text.toString().trim().split("\n")).map(Long::parseLong).toList();
    }

    /** The grandchild was reparented and reaped by init (or its subreaper), or is a zombie there. */
    private static void assertGone(long pid) throws Exception {
        Path stat = Path.of("/proc", String.valueOf(pid), "stat");
        for (int i = 0; i < 200; i++) {
            if (!Files.exists(stat)) return;
            String text;
            try {
                text = Files.readString(stat);
            } catch (java.io.IOException gone) {
                return;
            }
            if (text.substring(text.lastIndexOf(')') + 2).startsWith("Z")) return;
            Thread.sleep(10);
        }
        throw new AssertionError("pid " + pid + " is still running");
    }
}
