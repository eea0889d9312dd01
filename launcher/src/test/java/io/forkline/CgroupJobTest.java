package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.forkline.TestCgroupTree.Layout;
import io.forkline.cgroup.BirthAfterKill;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupRoot;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.Hierarchy;
import io.forkline.cgroup.Limits;
import io.forkline.sys.shim.Errno;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Children started in a {@link Cgroup} of the cgroup module ({@link Command#cgroup(Cgroup)}): born
 * in its v2 directory, joined by themselves to its v1 pids and cpu twins where the host has them
 * (a hybrid host), limits that hold, cgroup.kill of the whole tree, the stats in {@link Exit}, and
 * the errors when a group is removed underneath. Every test works in a tree of its own
 * ({@link TestCgroupTree}), on the hybrid host through v1 twins and in the full-cgroup-v2 VM tier
 * on v2 alone, and removes it; none touches /sys/fs/cgroup/memory.
 */
class CgroupJobTest {
    private ProcessResources before;
    private TestCgroupTree tree;
    private CgroupRoot root;
    private Launcher launcher;

    @BeforeEach
    void start() throws Exception {
        before = ProcessResources.baseline();
        tree = TestCgroupTree.create();
        root = tree.root;
        launcher = Launcher.create();
    }

    @AfterEach
    void stop() throws Exception {
        if (tree == null) return; // skipped: no cgroup tree can be made here
        try {
            if (launcher != null) launcher.close();
        } finally {
            tree.destroy();
        }
        ProcessResources.now().assertNothingLeakedSince(before);
    }

    @Test
    void theExitIsReportedEvenWhenTheGroupCannotBeReadAtTheReap() throws Exception {
        Cgroup job = root.create("job");
        Child child = launcher.spawn(Command.of("sleep", "0.3").cgroup(job));
        // The caller's mistake: the group is closed while its job runs, so the reap cannot read
        // its stats. The exit must still come (it once never did, and waitFor blocked for ever).
        job.close();
        Exit exit = child.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS); // reaped by the event loop
        assertThat(exit.success()).isTrue();
        assertThat(exit.cgroupStats()).as("no stats from a closed group").isNull();
        root.open("job").remove();
    }

    @Test
    void childIsBornInTheGroupAndJoinsItsV1TwinsBeforeExecWhereTheHostHasThem() throws Exception {
        Layout layout = tree.layout();
        Cgroup job = root.create("job");
        Exit exit = launcher.spawn(Command.of("cat", "/proc/self/cgroup").cgroup(job).stdout(Stdio.capture(1 << 16)))
                .waitFor();
        assertThat(exit.success()).isTrue();
        List<String> lines = exit.stdout().text().lines().toList();
        // "0::/path" is the v2 line; "N:pids:/path" and "N:cpu,cpuacct:/path" the v1 ones.
        String jobPath = "/" + tree.name + "/job";
        assertThat(lines).contains("0::" + jobPath);
        if (layout == Layout.HYBRID) {
            assertThat(lines).anyMatch(l -> l.matches("\\d+:pids:" + jobPath));
            assertThat(lines).anyMatch(l -> l.matches("\\d+:[a-z,]*\\bcpu\\b[a-z,]*:" + jobPath));
        } else {
            // No v1 pids or cpu hierarchy on full v2: the v2 group is the child's only placement.
            assertThat(lines).noneMatch(l -> l.matches("\\d+:[a-z,]*\\b(pids|cpu)\\b[a-z,]*:.*"));
        }
        assertThat(launcher.migratedSpawnCount()).isZero();

        assertThat(exit.cgroupStats()).isNotNull();
        assertThat(exit.cgroupStats().pids().hierarchy()).isEqualTo(layout == Layout.HYBRID ? Hierarchy.V1 : Hierarchy.V2);
        assertThat(exit.cgroupStats().cpu().usageMicros()).isPositive();
    }

    @Test
    void aPidsLimitHoldsForTheJobAndTheLauncherKeepsWorking() throws Exception {
        // pids.max has the same name and meaning in a v1 twin and on v2: this runs on both.
        Layout layout = tree.layout();
        Cgroup job = root.create("job", Limits.builder().pidsMax(3).build());
        Path pidsDir = TestCgroupTree.dirOf(job, Controller.PIDS);
        assertThat(job.limits().applied()).anyMatch(a -> a.hierarchy() == (layout == Layout.HYBRID ? Hierarchy.V1 : Hierarchy.V2)
                && a.file().equals(pidsDir.resolve("pids.max")));
        // The shell is task 1; of its six background sleeps two fit under pids.max 3, and the
        // third fork fails with EAGAIN, which dash reports ("Cannot fork") and dies of.
        Exit exit = launcher.spawn(Command.of("sh", "-c", "for i in 1 2 3 4 5 6; do sleep 30 >/dev/null 2>&1 & done")
                .cgroup(job).stderr(Stdio.capture(1 << 16))).waitFor();
        assertThat(exit.success()).isFalse();
        assertThat(exit.stderr().text()).containsIgnoringCase("fork");
        assertThat(exit.cgroupStats().pids().forkFailures()).isPositive();
        assertThat(job.pids()).hasSize(2);
        job.kill(); // the sleeps that fitted
        assertThat(job.awaitEmpty(Duration.ofSeconds(5))).isTrue();

        assertThat(launcher.spawn(Command.of("/bin/true")).waitFor().success()).isTrue();
    }

    @Test
    void killTreeReachesDaemonsThatLeftTheProcessGroup() throws Exception {
        Cgroup job = root.create("job");
        // setsid puts the inner sleep in a session of its own: no process-group signal reaches it.
        Child child = launcher.spawn(Command.of("sh", "-c", "setsid sleep 1000 & sleep 1000").cgroup(job).newProcessGroup());
        awaitTasks(job, 3);
        assertThat(child.killTree()).isTrue();
        assertThat(child.waitFor().signal()).isEqualTo(9);
        assertThat(job.awaitEmpty(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void aTimeoutInAGroupTheCallerOwnsKillsTheChildNotTheGroup() throws Exception {
        Cgroup job = root.create("job");
        Child bystander = launcher.spawn(Command.of("sleep", "1000").cgroup(job));
        Exit exit = launcher.spawn(Command.of("sleep", "1000").cgroup(job).timeout(Duration.ofMillis(200))
                .killGrace(Duration.ZERO)).waitFor();
        assertThat(exit.timedOut()).isTrue();
        assertThat(bystander.isAlive()).isTrue();
        assertThat(job.pids()).containsExactly(bystander.pid());
        bystander.kill();
        bystander.waitFor();
    }

    /**
     * Some kernel builds SIGKILL every child born into a group after cgroup.kill, some do not
     * (BirthAfterKill), so the test asks the probe first and holds the launcher to the contract
     * for what it found: a typed spawn error naming the group, or a child that runs there.
     */
    @Test
    void aChildBornIntoAKilledGroupIsASpawnErrorNamingTheGroupWhereTheKernelKillsItElseItRuns() throws Exception {
        BirthAfterKill.Probe probe = root.birthAfterKill();
        assertThat(probe.behaviour()).as("the probe CgroupRoot.birthAfterKill() could not tell: %s", probe)
                .isNotEqualTo(BirthAfterKill.UNKNOWN);
        Cgroup job = root.create("job");
        assertThat(launcher.spawn(Command.of("/bin/true").cgroup(job)).waitFor().success()).isTrue();
        job.kill();
        Command again = Command.of("sh", "-c", "grep '^0::' /proc/self/cgroup").cgroup(job).stdout(Stdio.capture(4096));
        if (probe.behaviour() == BirthAfterKill.KILLED) {
            SpawnException e = assertThrows(SpawnException.class, () -> launcher.spawn(again), probe::toString);
            assertThat(e.syscall()).isEqualTo("clone3(CLONE_INTO_CGROUP)");
            assertThat(e.errno()).isEqualTo(Errno.ESRCH);
            assertThat(e.path()).isEqualTo(job.path().toString());
            assertThat(e.getMessage()).contains("SIGKILLed before it ran").contains("birthAfterKill");
            assertThat(launcher.liveChildren()).isZero();
        } else {
            Exit exit = launcher.spawn(again).waitFor();
            assertThat(exit.success()).as("%s; %s", exit.describe(), probe).isTrue();
            assertThat(exit.stdout().text().strip()).as("born in the killed group").endsWith("/" + job.name());
        }
        assertThat(launcher.spawn(Command.of("/bin/true").cgroup(root.create("fresh"))).waitFor().success()).isTrue();
    }

    @Test
    void aV1GroupRemovedUnderneathIsATypedErrorNamingIt() throws Exception {
        Assumptions.assumeTrue(tree.layout() == Layout.HYBRID, "a full cgroup v2 host makes no v1 twins, so there is no "
                + "v1 group to remove underneath; aV2GroupRemovedUnderneathIsATypedErrorNamingIt covers the group itself");
        Cgroup job = root.create("job");
        assertThat(launcher.spawn(Command.of("/bin/true").cgroup(job)).waitFor().success()).isTrue();
        Path pidsGroup = job.v1Paths().get(Controller.PIDS);
        Files.delete(pidsGroup); // rmdir: someone else removed it while the job's fds are open
        SpawnException e = assertThrows(SpawnException.class, () -> launcher.spawn(Command.of("/bin/true").cgroup(job)));
        assertThat(e.syscall()).isEqualTo("write(cgroup.procs)");
        assertThat(e.errno()).isEqualTo(Errno.ENODEV);
        assertThat(e.path()).isEqualTo(pidsGroup.resolve("cgroup.procs").toString());
        assertThat(launcher.liveChildren()).isZero();
        assertThat(launcher.spawn(Command.of("/bin/true")).waitFor().success()).isTrue();
    }

    @Test
    void aV2GroupRemovedUnderneathIsATypedErrorNamingIt() throws Exception {
        Cgroup job = root.create("job");
        List<Path> v1 = new ArrayList<>(job.v1Paths().values()); // none on full v2
        Files.delete(job.path());
        SpawnException e = assertThrows(SpawnException.class, () -> launcher.spawn(Command.of("/bin/true").cgroup(job)));
        assertThat(e.syscall()).isEqualTo("clone3(CLONE_INTO_CGROUP)");
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e.path()).isEqualTo(job.path().toString());
        assertThat(launcher.liveChildren()).isZero();
        for (Path dir : v1) assertThat(Files.readString(dir.resolve("cgroup.procs"))).isEmpty();
    }

    @Test
    void posixSpawnJoinsAfterTheSpawnAndSaysSo() throws Exception {
        Layout layout = tree.layout();
        Cgroup job = root.create("job");
        Child child = launcher.spawn(Command.of("sleep", "30").cgroup(job).usePosixSpawn());
        assertThat(child.cgroupPlacement()).isEqualTo(CgroupPlacement.MIGRATED);
        assertThat(job.pids()).containsExactly(child.pid());
        assertThat(job.v1Paths().keySet()).isEqualTo(layout == Layout.HYBRID ? Set.of(Controller.PIDS, Controller.CPU) : Set.of());
        for (Path dir : job.v1Paths().values()) {
            assertThat(Files.readString(dir.resolve("cgroup.procs")).strip()).isEqualTo(String.valueOf(child.pid()));
        }
        child.kill();
        child.waitFor();
    }

    private static void awaitTasks(Cgroup group, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (group.pids().size() < count) {
            if (System.nanoTime() > deadline) throw new AssertionError("the group never had " + count + " tasks: " + group.pids());
            Thread.sleep(10);
        }
    }
}
