package io.forkline.vmtest.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkline.Child;
import io.forkline.Command;
import io.forkline.SpawnException;
import io.forkline.Stdio;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.Limits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * pids.max: a fork bomb stays contained and cgroup.kill ends it, on v2 or in a hybrid host's v1
 * pids hierarchy (the files have the same names there); on v2 a spawn into a full group is EAGAIN.
 */
class PidsLimitTest extends ControllerTest {
    @Test
    void aForkBombIsContainedByPidsMaxAndKilledByCgroupKill() throws Exception {
        require(Controller.PIDS);
        Cgroup group = root.create("bomb", Limits.builder().pidsMax(8).build());
        assertThat(read(group, Controller.PIDS, "pids.max")).isEqualTo("8");
        // Before a bomb runs here, make sure a child is counted where the limit is: on a hybrid
        // host an unjoined v1 twin would leave the bomb loose on the build machine.
        Child probe = spawnIn(group, Command.of("sleep", "600"));
        assertThat(read(group, Controller.PIDS, "pids.current")).as("the probe counts in %s", dirOf(group, Controller.PIDS))
                .isEqualTo("1");
        probe.kill();
        assertThat(probe.waitFor(WAIT)).isPresent();

        // Each f starts two more in the background and returns: the classic bomb, in sh, started
        // from a subshell. dash gives up in a shell whose fork was refused, so the bomb may die
        // out by itself; the job's first shell needs no fork after it (it execs sleep) and stays.
        Child bomb = spawnIn(group, Command.of("sh", "-c", "(f() { f & f & }; f); exec sleep 600")
                .stdout(Stdio.discard()).stderr(Stdio.discard()));
        long deadline = System.nanoTime() + WAIT.toNanos();
        try {
            // How many refusals the bomb makes before it dies out varies from run to run (4 or
            // more were seen): one shows the limit.
            while (keyed(group, Controller.PIDS, "pids.events").get("max") < 1 && System.nanoTime() < deadline) {
                assertThat(Long.parseLong(read(group, Controller.PIDS, "pids.current"))).isLessThanOrEqualTo(8);
                Thread.sleep(50); // sampling a counter while the bomb runs into pids.max
            }
            assertThat(keyed(group, Controller.PIDS, "pids.events").get("max")).as("forks refused at pids.max").isPositive();
            assertThat(Long.parseLong(read(group, Controller.PIDS, "pids.current"))).isLessThanOrEqualTo(8);
            assertThat(group.populated()).isTrue();
        } finally {
            group.kill();
        }
        assertThat(group.awaitEmpty(WAIT)).as("cgroup.kill takes every process, forks in flight included").isTrue();
        assertThat(bomb.waitFor(WAIT)).hasValueSatisfying(exit -> assertThat(exit.signal()).as(exit.describe()).isEqualTo(9));
        // A killed task leaves pids.current only when it has been reaped, and the bomb's orphans
        // are reaped by whoever adopted them: wait for it.
        while (!read(group, Controller.PIDS, "pids.current").equals("0") && System.nanoTime() < deadline) {
            Thread.sleep(10); // nothing to wait on: the reaper is not ours
        }
        assertThat(read(group, Controller.PIDS, "pids.current")).as("every task of the bomb is gone").isEqualTo("0");
    }

    @Test
    void aSpawnIntoAGroupAtPidsMaxIsEagainAndTheLauncherGoesOn() throws Exception {
        requireV2(Controller.PIDS, "a child joins its pids group by migration, which pids.max does not refuse "
                + "(its forks are refused instead: CgroupTest.pidsMaxInTheV1GroupMakesForksFail)");
        Cgroup group = root.create("full", Limits.builder().pidsMax(1).build());
        Child first = spawnIn(group, Command.of("sleep", "600"));
        assertThatThrownBy(() -> launcher.spawn(Command.of("sleep", "600").cgroup(group.path())))
                .isInstanceOfSatisfying(SpawnException.class, e -> {
                    assertThat(e.syscall()).startsWith("clone3");
                    assertThat(e.errnoName()).isEqualTo("EAGAIN");
                });
        assertThat(keyed(group, Controller.PIDS, "pids.events").get("max")).isEqualTo(1);
        first.kill();
        assertThat(first.waitFor(Duration.ofSeconds(10))).isPresent();
        assertThat(group.awaitEmpty(WAIT)).isTrue();
        Child second = spawnIn(group, Command.of("true"));
        assertThat(second.waitFor().success()).isTrue();
        if (IN_VM) {
            assertThat(Files.readString(Path.of("/proc/self/cgroup")).strip()).as("the JVM itself is in init's leaf").isEqualTo("0::/init");
        }
    }
}
