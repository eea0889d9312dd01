package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.CgroupRoot;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.ControllerUnavailableException;
import io.forkline.cgroup.Limits;
import io.forkline.sys.ffm.Errno;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Jobs in groups borrowed from a {@link CgroupPool} ({@link Command#cgroupLimits(Limits)}): each job
 * gets a group of its own, its stats start at zero although the groups are reused, what it
 * leaves running is killed when it ends, its limits do not outlive it, and a limit that cannot
 * be applied is a typed error that loses no group. Works in a subtree of its own under
 * /sys/fs/cgroup/unified, /pids and /cpu, always removed; never touches /sys/fs/cgroup/memory.
 */
class PooledJobTest {
    private static final List<Path> HIERARCHIES =
            List.of(Path.of("/sys/fs/cgroup/unified"), Path.of("/sys/fs/cgroup/pids"), Path.of("/sys/fs/cgroup/cpu"));

    private final String treeName = "forkline-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    private ProcessResources before;
    private CgroupRoot root;
    private CgroupPool pool;
    private Launcher launcher;

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(Files.isWritable(Path.of("/sys/fs/cgroup/unified/cgroup.procs"))
                        && Files.isDirectory(Path.of("/sys/fs/cgroup/pids")) && Files.isDirectory(Path.of("/sys/fs/cgroup/cpu")),
                "needs root on a hybrid cgroup host: cgroup2 at /sys/fs/cgroup/unified, v1 pids and cpu");
        before = ProcessResources.baseline();
        root = CgroupRoot.forThisHost(treeName);
        pool = CgroupPool.builder(root).capacity(4).refillDelay(Duration.ofMillis(10)).build();
        launcher = Launcher.builder().cgroupPool(pool).build();
    }

    @AfterEach
    void stop() throws Exception {
        if (root == null) return;
        try {
            launcher.close();
            pool.close();
            root.destroy(Duration.ofSeconds(5));
        } finally {
            for (Path h : HIERARCHIES) {
                Path left = h.resolve(treeName);
                if (Files.isDirectory(left)) {
                    try (var groups = Files.list(left)) {
                        for (Path g : groups.filter(Files::isDirectory).toList()) Files.delete(g);
                    }
                    Files.delete(left);
                }
            }
        }
        for (Path h : HIERARCHIES) assertThat(h.resolve(treeName)).doesNotExist();
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
        // The exit is reported once the job's group is empty.
        assertThat(deadOrZombie(Integer.parseInt(exit.stdout().text().strip()))).isTrue();
        // The group was emptied with cgroup.kill, which spends it: retired, and the next job runs.
        assertThat(pool.removedCount()).isEqualTo(1);
        for (int i = 0; i < 5; i++) {
            assertThat(launcher.spawn(Command.of("/bin/true").cgroupLimits(Limits.NONE)).waitFor().success()).isTrue();
        }
    }

    @Test
    void aJobsLimitsApplyToItAndNotToTheNextJob() throws Exception {
        String ownPidsMax = "cat /sys/fs/cgroup/pids$(grep ':pids:' /proc/self/cgroup | cut -d: -f3)/pids.max";
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
        Assumptions.assumeTrue(root.controller(Controller.MEMORY).hierarchy() == null,
                "this host drives memory on v2, so memory.max can be applied here");
        int idle = pool.idleCount();
        Limits memory = Limits.builder().memoryMax(64L << 20).build();
        SpawnException e = assertThrows(SpawnException.class,
                () -> launcher.spawn(Command.of("/bin/true").cgroupLimits(memory)));
        assertThat(e.errno()).isEqualTo(Errno.ENOTSUP);
        assertThat(e).hasRootCauseInstanceOf(ControllerUnavailableException.class);
        assertThat(e.getMessage()).contains("memory.max").contains("memory");
        assertThat(pool.removedCount()).isZero(); // the group went back, reset, not lost
        assertThat(pool.idleCount()).isGreaterThanOrEqualTo(Math.min(idle, 4));
        assertThat(launcher.liveChildren()).isZero();
        assertThat(launcher.spawn(Command.of("/bin/true").cgroupLimits(Limits.NONE)).waitFor().success()).isTrue();
    }

    @Test
    void killTreeKillsTheWholeJob() throws Exception {
        Child child = launcher.spawn(Command.of("sh", "-c", "setsid sleep 1000 & sleep 1000").cgroupLimits(Limits.NONE));
        Thread.sleep(100);
        assertThat(child.killTree()).isTrue();
        assertThat(child.waitFor().signal()).isEqualTo(9);
    }

    @Test
    void aTimeoutKillsTheWholeJobDaemonsIncluded() throws Exception {
        Exit exit = launcher.spawn(Command.of("sh", "-c", "setsid sleep 1000 >/dev/null 2>&1 & echo $!; exec sleep 1000")
                .cgroupLimits(Limits.NONE).stdout(Stdio.capture(1024))
                .timeout(Duration.ofMillis(300)).killGrace(Duration.ofMillis(100))).waitFor();
        assertThat(exit.timedOut()).isTrue();
        // The exit is reported once the job's group is empty: the daemon is dead (at most a
        // zombie that init has not reaped yet).
        assertThat(deadOrZombie(Integer.parseInt(exit.stdout().text().strip()))).isTrue();
        assertThat(exit.cgroupStats()).isNotNull();
    }

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
