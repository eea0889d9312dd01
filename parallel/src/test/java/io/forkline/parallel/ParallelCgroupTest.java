package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.forkline.cgroup.CgroupRoot;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.ControllerUnavailableException;
import io.forkline.cgroup.Limits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner's per-job cgroups, on whatever layout the host has: on the hybrid build host
 * through v1 pids, and in the full-cgroup-v2 VM tier with memory limits, OOM kills and
 * per-job peaks. A test of one layout's own behaviour skips on the other and says why.
 */
class ParallelCgroupTest {
    private static boolean available(Controller controller) throws Exception {
        CgroupRoot probe = CgroupRoot.forThisHost(ParallelRunnerTest.CGROUP_ROOT);
        try {
            return probe.controller(controller).available();
        } finally {
            probe.destroy(Duration.ofSeconds(5));
        }
    }

    @Test
    void withLimitsEveryJobHasACgroupOfItsOwnThatItsEndEmpties() throws Exception {
        assumeThat(available(Controller.PIDS)).as("the pids controller on v2 or a v1 hierarchy").isTrue();
        // The job says its v2 group and leaves a daemon behind in it.
        List<String> script = ParallelRunnerTest.sh("grep '^0::' /proc/self/cgroup; setsid sleep 1000 >/dev/null 2>&1 & echo $!");
        ParallelRunnerTest.Ran ran = ParallelRunnerTest.run(ParallelRunnerTest.jobs(script, List.of("1", "2", "3")).jobs(2).limits(Limits.builder().pidsMax(64).build(), false));
        assertThat(ran.summary().succeeded()).isEqualTo(3);
        assertThat(ran.summary().jobsWithStraysKilled()).isEqualTo(3);
        List<String> lines = ran.stdout().lines().toList();
        Set<String> groups = lines.stream().filter(l -> l.startsWith("0::")).collect(Collectors.toSet());
        assertThat(groups).allMatch(g -> g.contains("/" + ParallelRunnerTest.CGROUP_ROOT + "/job-"));
        for (String pid : lines.stream().filter(l -> !l.startsWith("0::")).toList()) {
            assertThat(ParallelRunnerTest.gone(Long.parseLong(pid))).as("daemon %s", pid).isTrue();
        }
        for (JobResult job : ran.jobs()) {
            assertThat(job.straysKilled()).isEqualTo(1);
            assertThat(job.forkFailures()).isZero();
        }
        assertThat(ParallelRunnerTest.leftoverCgroupRoots()).isEmpty();
    }

    @Test
    void aLimitTheHostCannotApplyIsRefusedBeforeAnyJobUnlessBestEffort(@TempDir Path dir) throws Exception {
        assumeThat(available(Controller.MEMORY)).as("a host where the memory controller cannot be driven (hybrid: it is on v1, which forkline never writes)")
                .isFalse();
        Limits limits = Limits.builder().memoryMax(64L << 20).pidsMax(32).build();
        List<String> touch = ParallelRunnerTest.sh("touch " + dir + "/ran-$1");
        assertThatThrownBy(() -> ParallelRunnerTest.run(ParallelRunnerTest.jobs(touch, List.of("1")).limits(limits, false)))
                .isInstanceOf(ControllerUnavailableException.class).hasMessageContaining("memory.max");
        assertThat(Files.exists(dir.resolve("ran-1"))).isFalse();
        assertThat(ParallelRunnerTest.leftoverCgroupRoots()).isEmpty();
        ParallelRunnerTest.Ran ran = ParallelRunnerTest.run(ParallelRunnerTest.jobs(touch, List.of("1")).limits(limits, true));
        assertThat(ran.summary().succeeded()).isEqualTo(1);
        assertThat(ran.summary().skippedLimits()).singleElement().satisfies(s -> assertThat(s.limit()).isEqualTo("memory.max"));
        assertThat(ParallelRunnerTest.leftoverCgroupRoots()).isEmpty();
    }


    /**
     * The kernel's own answer, asked on this boot rather than read off its version: cgroup_file_mode
     * makes memory.peak writable (0644) exactly where it has a write handler, the per-fd reset
     * (Linux 6.12 upstream; a distribution's build may differ).
     */
    static boolean kernelResetsMemoryPeak() throws Exception {
        CgroupRoot probe = CgroupRoot.forThisHost(ParallelRunnerTest.CGROUP_ROOT);
        try {
            Path peak = probe.create("memory-peak-probe").path().resolve("memory.peak");
            return Files.getPosixFilePermissions(peak).contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        } finally {
            probe.destroy(Duration.ofSeconds(5));
        }
    }

    @Test
    void withMemoryLimitsAJobPastItsLimitIsOomKilledAndEveryJobsPeakIsItsOwn() throws Exception {
        assumeThat(available(Controller.MEMORY)).as("the memory controller on cgroup v2 (the full-v2 VM tier; never on a hybrid host)").isTrue();
        // dd holds a buffer of bs bytes, touched: 48 MiB past memory.max 32 MiB, 4 MiB well under it.
        List<String> dd = ParallelRunnerTest.sh("exec dd if=/dev/zero of=/dev/null bs=$1 count=4 2>/dev/null");
        ParallelRunnerTest.Ran ran = ParallelRunnerTest.run(ParallelRunnerTest.jobs(dd, List.of("4M", "48M", "4M", "4M")).jobs(1)
                .limits(Limits.builder().memoryMax(32L << 20).memorySwapMax(0).build(), false));
        assertThat(ran.summary().oomKilled()).isEqualTo(1);
        assertThat(ran.summary().failed()).isEqualTo(1);
        JobResult big = ran.jobs().stream().filter(j -> j.seq() == 2).findFirst().orElseThrow();
        assertThat(big.oomKilled()).isTrue();
        assertThat(big.describe()).contains("out of memory");
        JobResult first = ran.jobs().stream().filter(j -> j.seq() == 1).findFirst().orElseThrow();
        assertThat(first.memorySource()).as("a fresh group's first job").isEqualTo(JobResult.MemorySource.CGROUP);
        assertThat(first.peakMemoryBytes()).isBetween(4L << 20, 24L << 20);
        boolean resetsPeaks = kernelResetsMemoryPeak();
        for (JobResult small : ran.jobs().stream().filter(j -> j.seq() > 2).toList()) {
            // A reused group: its job's own peak where the kernel resets memory.peak per fd, else unknown, never the last job's.
            if (resetsPeaks) {
                assertThat(small.memorySource()).as("job %d, memory.peak resettable", small.seq()).isEqualTo(JobResult.MemorySource.CGROUP);
                assertThat(small.peakMemoryBytes()).isBetween(4L << 20, 24L << 20);
            } else {
                assertThat(small.peakMemoryBytes()).as("job %d, memory.peak not resettable (no write handler)", small.seq()).isEqualTo(-1);
            }
        }
        assertThat(ParallelRunnerTest.leftoverCgroupRoots()).isEmpty();
    }
}
