package io.forkline.vmtest.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.CgroupPlacement;
import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupPool;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.ControllerStatus;
import io.forkline.cgroup.Hierarchy;
import io.forkline.cgroup.Limits;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The launcher's per-job cgroups against real controllers: an OOM kill reported in {@link Exit},
 * and a {@link CgroupPool} that recycles its one group after jobs that set every limit this host
 * can apply (memory, cpu, pids and io on v2; cpu and pids in their v1 hierarchies on a hybrid
 * host), had forks refused, and were OOM-killed: the next job in the same group finds every limit
 * file back at its default and its counters at zero, and reports its own memory peak where the
 * kernel resets memory.peak per fd (Linux 6.12), none before.
 */
class LauncherJobsTest extends ControllerTest {
    private static final long MIB = 1 << 20;
    private static final Path SCRATCH_DISK = Path.of("/sys/block/vda/dev");
    /** A job that prints its v2 group and waits for its stdin to close (read fails at EOF), so the test can read its group's files. */
    private static final String REPORT_GROUP_AND_WAIT = "sed -n 's/^0:://p' /proc/self/cgroup; read ignored; exit 0";

    private static Command ddPast(long bufferBytes) {
        return Command.of("dd", "if=/dev/zero", "of=/dev/null", "bs=" + bufferBytes, "count=1")
                .stdout(Stdio.discard()).stderr(Stdio.discard()).timeout(WAIT);
    }

    @Test
    void anOomKillIsReportedInExitAsOne() throws Exception {
        require(Controller.MEMORY);
        Cgroup group = root.create("job", Limits.builder().memoryMax(32 * MIB).memorySwapMax(0).build());
        Child child = launcher.spawn(ddPast(96 * MIB).cgroup(group));
        assertThat(child.cgroupPlacement()).isEqualTo(CgroupPlacement.BORN_INTO);
        Exit exit = child.waitFor();
        assertThat(exit.oomKilled()).as(exit.describe()).isTrue();
        assertThat(exit.describe()).isEqualTo("killed by signal 9 (out of memory)");
        assertThat(exit.cgroupStats().memory().oomKills()).isEqualTo(1);
        assertThat(exit.cgroupStats().memory().peakBytes()).isBetween(1L, 32 * MIB);
    }

    @Test
    void aPooledGroupComesBackWithDefaultLimitsAndZeroCounters() throws Exception {
        Hierarchy cpu = require(Controller.CPU);
        Hierarchy pids = require(Controller.PIDS);
        boolean memory = root.controller(Controller.MEMORY).available();
        String device = root.controller(Controller.IO).available() && Files.exists(SCRATCH_DISK)
                ? Files.readString(SCRATCH_DISK).strip() : null;
        // Every limit this host can apply: memory and io are skipped, and reported, where they cannot be.
        Limits.Builder every = Limits.builder().cpuMax(50_000, 100_000).cpuWeight(50).pidsMax(16)
                .memoryMax(32 * MIB).memoryHigh(24 * MIB).memorySwapMax(0).optional(Controller.MEMORY, Controller.IO);
        if (device != null) every.ioMax(device, "wbps=1048576");

        Map<String, String> limited = new LinkedHashMap<>();
        Map<String, String> defaults = new LinkedHashMap<>();
        if (memory) {
            limited.putAll(Map.of("memory.max", Long.toString(32 * MIB), "memory.high", Long.toString(24 * MIB), "memory.swap.max", "0"));
            defaults.putAll(Map.of("memory.max", "max", "memory.high", "max", "memory.swap.max", "max"));
        }
        if (cpu == Hierarchy.V2) {
            limited.putAll(Map.of("cpu.max", "50000 100000", "cpu.weight", "50"));
            defaults.putAll(Map.of("cpu.max", "max 100000", "cpu.weight", "100"));
        } else {
            limited.putAll(Map.of("cpu.cfs_quota_us", "50000", "cpu.cfs_period_us", "100000", "cpu.shares", "512"));
            defaults.putAll(Map.of("cpu.cfs_quota_us", "-1", "cpu.cfs_period_us", "100000", "cpu.shares", "1024"));
        }
        limited.put("pids.max", "16");
        defaults.put("pids.max", "max");
        if (device != null) {
            limited.put("io.max", device + " rbps=max wbps=1048576 riops=max wiops=max");
            defaults.put("io.max", "");
        }

        try (CgroupPool pool = CgroupPool.builder(root).capacity(1).lowWaterMark(0).fillNow(false).build();
                Launcher pooled = Launcher.builder().cgroupPool(pool).build()) {
            awaitFirstFill(pool);
            JobView first = limitsSeenByAJob(pooled, every.build());
            assertThat(first.limitFiles()).as("a job with every limit, in %s", first.group()).isEqualTo(limited);

            // Counters for the reset to zero: CPU time (about 0.2 s of it on the host), and a fork
            // refused at pids.max 1 (sh itself is the one task; /bin/true is not the last command,
            // so sh forks for it).
            Exit refused = pooled.spawn(Command.of("sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; /bin/true; :")
                    .cgroupLimits(Limits.builder().pidsMax(1).build()).stdout(Stdio.discard()).stderr(Stdio.discard())).waitFor();
            assertThat(refused.cgroupStats().pids().forkFailures()).as("sh's fork for /bin/true under pids.max 1: %s",
                    refused.describe()).isPositive();
            assertThat(refused.cgroupStats().pids().hierarchy()).isEqualTo(pids);
            long busyMicros = refused.cgroupStats().cpu().usageMicros();

            JobView next = limitsSeenByAJob(pooled, Limits.NONE);
            assertThat(next.group()).as("one group served every job").isEqualTo(first.group());
            assertThat(pool.slowPathCount()).isZero();
            assertThat(pool.removedCount()).isZero();
            assertThat(next.limitFiles()).as("the next job in %s", next.group()).isEqualTo(defaults);
            assertThat(next.exit().cgroupStats().pids().forkFailures()).as("the refused forks were the last job's").isZero();
            assertThat(next.exit().cgroupStats().cpu().usageMicros()).isLessThan(busyMicros);
        }
    }

    @Test
    void aPooledGroupComesBackResetAfterAnOomKill() throws Exception {
        require(Controller.MEMORY);
        // No memory.high here: the reclaim it forces before the OOM kill costs about 10 s under
        // emulation, and the test above shows memory.high reset already.
        Limits limits = Limits.builder().memoryMax(32 * MIB).memorySwapMax(0).build();
        try (CgroupPool pool = CgroupPool.builder(root).capacity(1).lowWaterMark(0).fillNow(false).build();
                Launcher pooled = Launcher.builder().cgroupPool(pool).build()) {
            awaitFirstFill(pool);
            Exit oom = pooled.spawn(ddPast(96 * MIB).cgroupLimits(limits)).waitFor();
            assertThat(oom.oomKilled()).as(oom.describe()).isTrue();
            assertThat(oom.cgroupStats().memory().oomKills()).isEqualTo(1);

            JobView next = limitsSeenByAJob(pooled, Limits.NONE);
            assertThat(pool.slowPathCount()).as("the OOM-killed job's group served the next job").isZero();
            assertThat(pool.removedCount()).isZero();
            assertThat(next.limitFiles()).containsEntry("memory.max", "max").containsEntry("memory.swap.max", "max");
            assertThat(next.exit().cgroupStats().memory().oomKills()).as("the OOM kill was the last job's").isZero();
            assertThat(next.exit().cgroupStats().memory().events()).containsEntry("max", 0L);
            long peak = next.exit().cgroupStats().memory().peakBytes();
            if (kernelResetsMemoryPeak(next.group())) {
                assertThat(peak).as("the next job's own peak (a shell), not the OOM-killed job's 32 MiB").isBetween(1L, 8 * MIB);
            } else {
                assertThat(peak).as("unknown after reuse, never the last job's").isEqualTo(-1);
            }
        }
    }

    @Test
    void aPooledJobReportsItsOwnMemoryPeakWhereTheKernelCanResetIt() throws Exception {
        require(Controller.MEMORY);
        try (CgroupPool pool = CgroupPool.builder(root).capacity(1).lowWaterMark(0).fillNow(false).build();
                Launcher pooled = Launcher.builder().cgroupPool(pool).build()) {
            awaitFirstFill(pool);
            JobPeak a = peakOfAPooledDd(pooled, 48 * MIB);
            assertThat(a.peak()).as("job A, a dd with a 48 MiB buffer, in a fresh group").isGreaterThanOrEqualTo(48 * MIB);

            JobPeak b = peakOfAPooledDd(pooled, 4 * MIB);
            assertThat(b.group()).as("job B reuses job A's group").isEqualTo(a.group());
            if (kernelResetsMemoryPeak(b.group())) {
                assertThat(b.peak()).as("job B's own peak, a dd with a 4 MiB buffer, well under job A's 48 MiB")
                        .isBetween(4 * MIB, 24 * MIB);
            } else {
                assertThat(b.peak()).as("no per-fd reset of memory.peak before Linux 6.12: unknown, never job A's").isEqualTo(-1);
            }
            assertThat(b.pidsPeak()).as("no kernel resets pids.peak").isEqualTo(-1);
            assertThat(pool.slowPathCount()).isZero();
            assertThat(pool.removedCount()).isZero();
        }
    }

    private record JobPeak(String group, long peak, long pidsPeak) {}

    /** A pooled job that prints its v2 group, then becomes a dd with a {@code buffer}-byte buffer. */
    private static JobPeak peakOfAPooledDd(Launcher pooled, long buffer) throws Exception {
        Exit exit = pooled.spawn(Command.of("sh", "-c", "sed -n 's/^0:://p' /proc/self/cgroup; "
                        + "exec dd if=/dev/zero of=/dev/null bs=" + buffer + " count=1 2>/dev/null")
                .cgroupLimits(Limits.NONE).stdout(Stdio.capture(4096)).timeout(WAIT)).waitFor();
        assertThat(exit.success()).as(exit.describe()).isTrue();
        String group = Path.of(exit.stdout().text().strip()).getFileName().toString();
        return new JobPeak(group, exit.cgroupStats().memory().peakBytes(), exit.cgroupStats().pids().peak());
    }

    /**
     * The kernel's own answer, independent of forkline's detection: cgroup_file_mode makes
     * memory.peak writable (0644) exactly where it has a write handler, the per-fd reset of Linux 6.12.
     */
    private boolean kernelResetsMemoryPeak(String group) throws Exception {
        Path peak = root.controller(Controller.MEMORY).directory().resolve(group).resolve("memory.peak");
        return Files.getPosixFilePermissions(peak).contains(PosixFilePermission.OWNER_WRITE);
    }

    /** What a job saw of its own group: the group's name, its limit files while the job ran, and how it ended. */
    private record JobView(String group, Map<String, String> limitFiles, Exit exit) {}

    private JobView limitsSeenByAJob(Launcher pooled, Limits limits) throws Exception {
        Child job = pooled.spawn(Command.of("sh", "-c", REPORT_GROUP_AND_WAIT).cgroupLimits(limits)
                .stdin(Stdio.pipe()).stdout(Stdio.pipe()));
        String line = new BufferedReader(new InputStreamReader(job.stdout(), StandardCharsets.UTF_8)).readLine();
        assertThat(line).as("the job's v2 group").isNotNull().startsWith("/");
        String group = Path.of(line).getFileName().toString();
        Map<String, String> files = limitFiles(group);
        job.stdin().close();
        Exit exit = job.waitFor();
        assertThat(exit.success()).as(exit.describe()).isTrue();
        return new JobView(group, files, exit);
    }

    /** The limit files of group {@code name}, in every hierarchy this host drives a controller on. */
    private Map<String, String> limitFiles(String name) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        for (Controller c : List.of(Controller.MEMORY, Controller.CPU, Controller.PIDS, Controller.IO)) {
            ControllerStatus status = root.controller(c);
            if (!status.available()) continue;
            List<String> files = switch (c) {
                case MEMORY -> List.of("memory.max", "memory.high", "memory.swap.max");
                case CPU -> status.hierarchy() == Hierarchy.V2 ? List.of("cpu.max", "cpu.weight")
                        : List.of("cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares");
                case PIDS -> List.of("pids.max");
                case IO -> Files.exists(SCRATCH_DISK) ? List.of("io.max") : List.of();
            };
            for (String f : files) out.put(f, Files.readString(status.directory().resolve(name).resolve(f)).strip());
        }
        return out;
    }

    private static void awaitFirstFill(CgroupPool pool) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (pool.idleCount() < 1) {
            if (System.nanoTime() > deadline) throw new AssertionError("the pool's first fill never came");
            Thread.sleep(10); // the pool's own filler thread makes the group; there is nothing to wait on
        }
    }
}
