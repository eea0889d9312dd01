package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.forkline.TestCgroupTree.Layout;
import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.BirthAfterKill;
import io.forkline.cgroup.CgroupRoot;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.ControllerUnavailableException;
import io.forkline.cgroup.LimitWriteException;
import io.forkline.cgroup.Limits;
import io.forkline.sys.shim.Errno;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Jobs in groups borrowed from a {@link CgroupPool} ({@link Command#cgroupLimits(Limits)}): each job
 * gets a group of its own, its stats start at zero although the groups are reused, what it
 * leaves running is killed when it ends, its limits do not outlive it, and a limit that cannot
 * be applied is a typed error that loses no group. Works in a tree of its own
 * ({@link TestCgroupTree}: on the hybrid host with v1 pids and cpu twins, in the full-cgroup-v2
 * VM tier on v2 alone), always removed; never touches /sys/fs/cgroup/memory.
 */
class PooledJobTest {
    private ProcessResources before;
    private TestCgroupTree tree;
    private CgroupRoot root;
    private CgroupPool pool;
    private Launcher launcher;

    @BeforeEach
    void start() throws Exception {
        before = ProcessResources.baseline();
        tree = TestCgroupTree.create();
        root = tree.root;
        pool = CgroupPool.builder(root).capacity(4).refillDelay(Duration.ofMillis(10)).build();
        launcher = Launcher.builder().cgroupPool(pool).build();
    }

    @AfterEach
    void stop() throws Exception {
        if (tree == null) return; // skipped: no cgroup tree can be made here
        try {
            if (launcher != null) launcher.close();
            if (pool != null) pool.close();
        } finally {
            tree.destroy();
        }
        ProcessResources.now().assertNothingLeakedSince(before);
    }

    @Test
    void eachJobsStatsStartAtZeroAlthoughTheGroupsAreReused() throws Exception {
        Exit busy = launcher.spawn(Command.of("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
                .cgroupLimits(Limits.NONE)).waitFor();
        long busyMicros = busy.cgroupStats().cpu().usageMicros();
        assertThat(busyMicros).isGreaterThan(20_000);
        // Four groups, eight jobs: every group is reused, the busy job's one among them.
        for (int i = 0; i < 8; i++) {
            Exit exit = launcher.spawn(Command.of("/bin/true").cgroupLimits(Limits.NONE)).waitFor();
            assertThat(exit.success()).isTrue();
            assertThat(exit.cgroupStats().cpu().usageMicros()).isLessThan(busyMicros / 2);
        }
        assertThat(pool.slowPathCount()).isZero();
    }

    @Test
    void whatAJobLeavesRunningIsKilledWhenItEnds() throws Exception {
        Exit exit = launcher.spawn(Command.of("sh", "-c", "setsid sleep 1000 >/dev/null 2>&1 & echo $!")
                .cgroupLimits(Limits.NONE).stdout(Stdio.capture(1024))).waitFor();
        // The exit is reported once the job's group is empty, and says what it killed there.
        assertThat(deadOrZombie(Integer.parseInt(exit.stdout().text().strip()))).isTrue();
        assertThat(exit.straysKilled()).isEqualTo(1);
        assertThat(launcher.spawn(Command.of("/bin/true").cgroupLimits(Limits.NONE)).waitFor().straysKilled()).isZero();
        // The group was emptied with cgroup.kill: retired where that spends it, else reused.
        BirthAfterKill.Probe probe = root.birthAfterKill();
        assertThat(probe.behaviour()).as("the probe CgroupRoot.birthAfterKill() could not tell: %s", probe)
                .isNotEqualTo(BirthAfterKill.UNKNOWN);
        assertThat(pool.removedCount()).as("%s", probe).isEqualTo(probe.behaviour() == BirthAfterKill.KILLED ? 1 : 0);
        for (int i = 0; i < 5; i++) {
            assertThat(launcher.spawn(Command.of("/bin/true").cgroupLimits(Limits.NONE)).waitFor().success()).isTrue();
        }
    }

    @Test
    void aJobsLimitsApplyToItAndNotToTheNextJob() throws Exception {
        // The job reads its own pids.max where the host drives pids: in its v1 twin on a hybrid
        // host ("N:pids:/path" in /proc/self/cgroup), in its v2 group on full v2 ("0::/path").
        String ownPidsMax = switch (tree.layout()) {
            case HYBRID -> "cat " + root.v1Paths().get(Controller.PIDS).getParent()
                    + "$(grep ':pids:' /proc/self/cgroup | cut -d: -f3)/pids.max";
            case FULL_V2 -> "cat " + root.v2Path().getParent() + "$(grep '^0::' /proc/self/cgroup | cut -d: -f3)/pids.max";
        };
        Limits five = Limits.builder().pidsMax(5).build();
        for (int i = 0; i < 6; i++) {
            Exit limited = launcher.spawn(Command.of("sh", "-c", ownPidsMax).cgroupLimits(five).stdout(Stdio.capture(64)))
                    .waitFor();
            assertThat(limited.stdout().text().strip()).isEqualTo("5");
            Exit free = launcher.spawn(Command.of("sh", "-c", ownPidsMax).cgroupLimits(Limits.NONE).stdout(Stdio.capture(64)))
                    .waitFor();
            assertThat(free.stdout().text().strip()).isEqualTo("max");
        }
    }

    @Test
    void aLimitThatCannotBeAppliedHereIsATypedSpawnErrorAndNoGroupIsLost() throws Exception {
        int idle = pool.idleCount();
        if (!root.controller(Controller.MEMORY).available()) {
            // memory cannot be driven here (on a hybrid host forkline never writes to the v1
            // memory hierarchy), so memory.max is refused before anything is written.
            Limits memory = Limits.builder().memoryMax(64L << 20).build();
            SpawnException e = assertThrows(SpawnException.class,
                    () -> launcher.spawn(Command.of("/bin/true").cgroupLimits(memory)));
            assertThat(e.errno()).isEqualTo(Errno.ENOTSUP);
            assertThat(e).hasRootCauseInstanceOf(ControllerUnavailableException.class);
            assertThat(e.getMessage()).contains("memory.max").contains("memory");
        } else {
            // memory.max can be applied here (full v2). What cannot is a value the kernel
            // refuses: io.max for a device this host does not have (ENODEV). pids.max, written
            // before it, must be set back, so that the group's next job does not inherit it.
            tree.require(Controller.IO);
            Assumptions.assumeTrue(tree.layout() == Layout.FULL_V2, "memory is on v2 here, but pids and cpu are in v1 "
                    + "twins: a mixed layout this test does not know");
            Limits refused = Limits.builder().pidsMax(5).ioMax(NO_SUCH_BLOCK_DEVICE, "wbps=1048576").build();
            SpawnException e = assertThrows(SpawnException.class,
                    () -> launcher.spawn(Command.of("/bin/true").cgroupLimits(refused)));
            assertThat(e.syscall()).isEqualTo("write");
            assertThat(e.errno()).isEqualTo(Errno.ENODEV);
            Path group = Path.of(e.path()).getParent();
            assertThat(e.path()).isEqualTo(group.resolve("io.max").toString());
            assertThat(group.getParent()).isEqualTo(root.v2Path());
            // The cgroup module's typed refusal is in the cause chain (under the syscall's own error).
            LimitWriteException refusal = Stream.iterate((Throwable) e, Objects::nonNull, Throwable::getCause)
                    .filter(LimitWriteException.class::isInstance).map(LimitWriteException.class::cast).findFirst()
                    .orElseThrow(() -> new AssertionError("no LimitWriteException in the cause chain of " + e, e));
            assertThat(refusal.file()).isEqualTo(e.path());
            assertThat(refusal.restored()).containsExactly(group.resolve("pids.max") + "=max");
            assertThat(e.getMessage()).as("the syscall's own message once, then what the cgroup module adds")
                    .startsWith("write(" + e.path() + "): ENODEV").containsOnlyOnce("ENODEV")
                    .contains("): cannot write " + NO_SUCH_BLOCK_DEVICE + " wbps=1048576 to " + e.path() + "; restored "
                            + group.resolve("pids.max") + "=max");
            assertThat(Files.readString(group.resolve("pids.max")).strip()).isEqualTo("max");
        }
        assertThat(pool.removedCount()).isZero(); // the group went back, reset, not lost
        assertThat(pool.idleCount()).isGreaterThanOrEqualTo(Math.min(idle, 4));
        assertThat(launcher.liveChildren()).isZero();
        assertThat(launcher.spawn(Command.of("/bin/true").cgroupLimits(Limits.NONE)).waitFor().success()).isTrue();
    }

    @Test
    void aLateKillTreeOfAnEndedJobLeavesTheNextJobInItsGroupAlone() throws Exception {
        // No background refill: a group it made would go on top of the pool's stack after the
        // first job's group came back, and be handed out before it.
        launcher.close();
        pool.close();
        pool = CgroupPool.builder(root).capacity(4).refillDelay(Duration.ofHours(1)).build();
        launcher = Launcher.builder().cgroupPool(pool).build();
        String ownGroup = "grep '^0::' /proc/self/cgroup";
        Child first = launcher.spawn(Command.of("sh", "-c", ownGroup).cgroupLimits(Limits.NONE).stdout(Stdio.capture(256)));
        Exit ended = first.waitFor();
        String firstGroup = ended.stdout().text().strip();
        // The group goes back to the pool once emptied and reset, on the launcher's release
        // thread, after the exit is reported: wait for the pool to be full again, then the next
        // job gets the group released last.
        for (int i = 0; i < 1000 && pool.idleCount() < 4; i++) Thread.sleep(10);
        assertThat(pool.idleCount()).as("groups ready once the first job's came back (removed: %d)", pool.removedCount())
                .isEqualTo(4);
        Child next = launcher.spawn(Command.of("sh", "-c", ownGroup + "; exec sleep 1000").cgroupLimits(Limits.NONE)
                .stdout(Stdio.pipe()));
        String group = new java.io.BufferedReader(new java.io.InputStreamReader(next.stdout())).readLine();
        assertThat(group).as("the next job's group").isEqualTo(firstGroup);
        try {
            // The first job's group is the next job's now: a kill meant for the first (a killTree
            // after its exit, or a timeout that fired as it exited) must not reach it.
            assertThat(first.killTree()).as("the first job was reaped already").isFalse();
            assertThat(next.waitFor(Duration.ofMillis(500))).as("the next job, after the late killTree").isEmpty();
        } finally {
            next.kill();
        }
        assertThat(next.waitFor().signal()).isEqualTo(9);
    }

    @Test
    void killTreeKillsTheWholeJob() throws Exception {
        // The job says its daemon's pid once the daemon exists, so killTree finds it there on any host.
        Child child = launcher.spawn(Command.of("sh", "-c", "setsid sleep 1000 >/dev/null 2>&1 & echo $!; exec sleep 1000")
                .cgroupLimits(Limits.NONE).stdout(Stdio.pipe()));
        String daemon = new java.io.BufferedReader(new java.io.InputStreamReader(child.stdout())).readLine();
        assertThat(child.killTree()).isTrue();
        assertThat(child.waitFor().signal()).isEqualTo(9);
        assertThat(deadOrZombie(Integer.parseInt(daemon.strip()))).as("the setsid daemon").isTrue();
    }

    @Test
    void aTimeoutKillsTheWholeJobDaemonsIncluded() throws Exception {
        // The shell must have started its daemon and said its pid before the timeout; under the
        // VM tier's emulation process creation is about 45x slower, so it gets longer there.
        Duration timeout = TestCgroupTree.IN_VM ? Duration.ofSeconds(3) : Duration.ofMillis(300);
        Exit exit = launcher.spawn(Command.of("sh", "-c", "setsid sleep 1000 >/dev/null 2>&1 & echo $!; exec sleep 1000")
                .cgroupLimits(Limits.NONE).stdout(Stdio.capture(1024))
                .timeout(timeout).killGrace(Duration.ofMillis(100))).waitFor();
        assertThat(exit.timedOut()).isTrue();
        // The exit is reported once the job's group is empty: the daemon is dead (at most a
        // zombie that init has not reaped yet).
        assertThat(deadOrZombie(Integer.parseInt(exit.stdout().text().strip()))).isTrue();
        assertThat(exit.cgroupStats()).isNotNull();
    }

    /**
     * A block device number no host has, so that the kernel refuses io.max for it with ENODEV:
     * major 4095 is the largest a dev_t holds, and block drivers get majors below 512
     * (BLKDEV_MAJOR_MAX in block/genhd.c).
     */
    private static final String NO_SUCH_BLOCK_DEVICE = "4095:1048575";

    private static boolean deadOrZombie(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException gone) {
            return true;
        }
    }

    @Test
    void aLauncherWithoutAPoolSaysWhyItCannotApplyLimits() throws Exception {
        try (Launcher plain = Launcher.create()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> plain.spawn(Command.of("/bin/true").cgroupLimits(Limits.NONE)));
            assertThat(e.getMessage()).contains("cgroupPool");
        }
    }
}
