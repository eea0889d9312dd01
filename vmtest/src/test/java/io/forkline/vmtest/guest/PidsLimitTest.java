package io.forkline.vmtest.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkline.Child;
import io.forkline.Command;
import io.forkline.SpawnException;
import io.forkline.Stdio;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.ControllerStatus;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.Hierarchy;
import io.forkline.cgroup.Limits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** pids.max on cgroup v2: a fork bomb stays contained and cgroup.kill ends it; a spawn into a full group is EAGAIN. */
class PidsLimitTest extends GuestTest {
    @Test
    void everyControllerIsDrivenOnV2() {
        for (Controller c : new Controller[] {Controller.MEMORY, Controller.CPU, Controller.IO, Controller.PIDS}) {
            ControllerStatus status = root.controller(c);
            assertThat(status.hierarchy()).as("%s", status).isEqualTo(Hierarchy.V2);
            assertThat(status.directory()).isEqualTo(root.v2Path());
        }
        assertThat(root.v1Paths()).isEmpty();
    }

    @Test
    void aForkBombIsContainedByPidsMaxAndKilledByCgroupKill() throws Exception {
        Cgroup group = root.create("bomb", Limits.builder().pidsMax(8).build());
        assertThat(read(group, "pids.max")).isEqualTo("8");
        // Each f starts two more in the background and returns: the classic bomb, in sh.
        Child bomb = spawnIn(group, Command.of("sh", "-c", "f() { f & f & }; f; sleep 600")
                .stdout(Stdio.discard()).stderr(Stdio.discard()));
        long deadline = System.nanoTime() + WAIT.toNanos();
        // dash gives up in a subshell whose fork was refused, so how many refusals the bomb
        // makes before it dies out varies from run to run (4 or more were seen): one shows the limit.
        while (keyed(group, "pids.events").get("max") < 1 && System.nanoTime() < deadline) {
            assertThat(Long.parseLong(read(group, "pids.current"))).isLessThanOrEqualTo(8);
            Thread.sleep(50); // sampling a counter while the bomb runs into pids.max
        }
        assertThat(keyed(group, "pids.events").get("max")).as("forks refused at pids.max").isPositive();
        assertThat(Long.parseLong(read(group, "pids.current"))).isLessThanOrEqualTo(8);
        assertThat(group.populated()).isTrue();
        group.kill();
        assertThat(group.awaitEmpty(WAIT)).as("cgroup.kill takes every process, forks in flight included").isTrue();
        // The bomb's first shell is killed, or gave up already when its own fork for sleep was refused.
        assertThat(bomb.waitFor(WAIT)).isPresent();
    }

    @Test
    void aSpawnIntoAGroupAtPidsMaxIsEagainAndTheLauncherGoesOn() throws Exception {
        Cgroup group = root.create("full", Limits.builder().pidsMax(1).build());
        Child first = spawnIn(group, Command.of("sleep", "600"));
        assertThatThrownBy(() -> launcher.spawn(Command.of("sleep", "600").cgroup(group.path())))
                .isInstanceOfSatisfying(SpawnException.class, e -> {
                    assertThat(e.syscall()).startsWith("clone3");
                    assertThat(e.errnoName()).isEqualTo("EAGAIN");
                });
        assertThat(keyed(group, "pids.events").get("max")).isEqualTo(1);
        first.kill();
        assertThat(first.waitFor(Duration.ofSeconds(10))).isPresent();
        assertThat(group.awaitEmpty(WAIT)).isTrue();
        Child second = spawnIn(group, Command.of("true"));
        assertThat(second.waitFor().success()).isTrue();
        assertThat(Files.readString(Path.of("/proc/self/cgroup")).strip()).as("the JVM itself is in init's leaf").isEqualTo("0::/init");
    }
}
