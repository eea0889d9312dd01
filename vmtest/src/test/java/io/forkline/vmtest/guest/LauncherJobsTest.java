package io.forkline.vmtest.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.CgroupPlacement;
import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.Limits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The launcher's per-job cgroups against real v2 controllers: an OOM kill reported in
 * {@link Exit}, and a {@link CgroupPool} that recycles a group after a job that set memory, cpu,
 * pids (and io where the VM has its scratch disk) limits and was OOM-killed: the next job in
 * the same group finds every limit back at its default and its counters at zero.
 */
class LauncherJobsTest extends GuestTest {
    private static final long MIB = 1 << 20;
    /** What a job prints of its own group's limit files, one per line. */
    private static final String OWN_LIMITS = "g=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup); "
            + "for f in memory.max memory.high memory.swap.max cpu.max cpu.weight pids.max; do echo \"$f=$(cat $g/$f)\"; done; "
            + "echo \"io.max=$(cat $g/io.max)\"";

    private static Command ddPast(long bufferBytes) {
        return Command.of("dd", "if=/dev/zero", "of=/dev/null", "bs=" + bufferBytes, "count=1")
                .stdout(Stdio.discard()).stderr(Stdio.discard()).timeout(WAIT);
    }

    @Test
    void anOomKillIsReportedInExitAsOne() throws Exception {
        Cgroup group = root.create("job", Limits.builder().memoryMax(32 * MIB).memorySwapMax(0).build());
        Child child = launcher.spawn(ddPast(96 * MIB).cgroup(group));
        assertThat(child.cgroupPlacement()).isEqualTo(CgroupPlacement.BORN_INTO);
        assertThat(group.v1ProcsFiles()).as("no v1 groups to join on a full v2 host").isEmpty();
        Exit exit = child.waitFor();
        assertThat(exit.oomKilled()).as(exit.describe()).isTrue();
        assertThat(exit.describe()).isEqualTo("killed by signal 9 (out of memory)");
        assertThat(exit.cgroupStats().memory().oomKills()).isEqualTo(1);
        assertThat(exit.cgroupStats().memory().peakBytes()).isBetween(1L, 32 * MIB);
    }

    @Test
    void aPooledGroupComesBackWithDefaultLimitsAndZeroCountersAfterAnOomKill() throws Exception {
        boolean disk = Files.exists(Path.of("/sys/block/vda/dev"));
        String device = disk ? Files.readString(Path.of("/sys/block/vda/dev")).strip() : null;
        Limits.Builder limits = Limits.builder().memoryMax(32 * MIB).memoryHigh(24 * MIB).memorySwapMax(0)
                .cpuMax(50_000, 100_000).cpuWeight(50).pidsMax(16);
        if (disk) limits.ioMax(device, "wbps=1048576");
        try (CgroupPool pool = CgroupPool.builder(root).capacity(1).lowWaterMark(0).fillNow(false).build();
                Launcher pooled = Launcher.builder().cgroupPool(pool).build()) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (pool.idleCount() < 1) {
                if (System.nanoTime() > deadline) throw new AssertionError("the pool's first fill never came");
                Thread.sleep(10);
            }
            Exit limited = pooled.spawn(Command.of("sh", "-c", OWN_LIMITS).cgroupLimits(limits.build())
                    .stdout(Stdio.capture(4096))).waitFor();
            List<String> set = limited.stdout().text().lines().toList();
            assertThat(set).contains("memory.max=" + 32 * MIB, "memory.high=" + 24 * MIB, "memory.swap.max=0",
                    "cpu.max=50000 100000", "cpu.weight=50", "pids.max=16");
            if (disk) assertThat(set).anyMatch(l -> l.startsWith("io.max=" + device + " ") && l.contains("wbps=1048576"));

            Exit oom = pooled.spawn(ddPast(96 * MIB).cgroupLimits(limits.build())).waitFor();
            assertThat(oom.oomKilled()).as(oom.describe()).isTrue();
            assertThat(oom.cgroupStats().memory().oomKills()).isEqualTo(1);

            Exit next = pooled.spawn(Command.of("sh", "-c", OWN_LIMITS).cgroupLimits(Limits.NONE)
                    .stdout(Stdio.capture(4096))).waitFor();
            assertThat(pool.slowPathCount()).as("one group served all three jobs").isZero();
            assertThat(pool.removedCount()).isZero();
            assertThat(next.stdout().text().lines().toList()).contains("memory.max=max", "memory.high=max",
                    "memory.swap.max=max", "cpu.max=max 100000", "cpu.weight=100", "pids.max=max", "io.max=");
            assertThat(next.cgroupStats().memory().oomKills()).as("the OOM kill was the last job's").isZero();
            assertThat(next.cgroupStats().memory().events()).containsEntry("max", 0L);
            assertThat(next.cgroupStats().memory().peakBytes()).as("unknown after reuse, never the last job's").isEqualTo(-1);
        }
    }
}
