package io.forkline.vmtest.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.Child;
import io.forkline.Command;
import io.forkline.cgroup.AppliedLimit;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.Hierarchy;
import io.forkline.cgroup.Limits;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * cpu.max and cpu.weight: a busy child under a 10 % quota is throttled, visibly in cpu.stat. On v2
 * the files are cpu.max and cpu.weight; on a hybrid host's v1 cpu hierarchy they are
 * cpu.cfs_period_us, cpu.cfs_quota_us and cpu.shares, and cpu.stat counts throttled time in
 * nanoseconds ({@code throttled_time}) instead of microseconds ({@code throttled_usec}).
 */
class CpuLimitTest extends ControllerTest {
    @Test
    void cpuMaxAndWeightAreWrittenWhereTheHostDrivesCpu() throws Exception {
        Hierarchy hierarchy = require(Controller.CPU);
        Cgroup group = root.create("job", Limits.builder().cpuMax(20_000, 50_000).cpuWeight(300).build());
        if (hierarchy == Hierarchy.V2) {
            assertThat(read(group, Controller.CPU, "cpu.max")).isEqualTo("20000 50000");
            assertThat(read(group, Controller.CPU, "cpu.weight")).isEqualTo("300");
        } else {
            assertThat(read(group, Controller.CPU, "cpu.cfs_quota_us")).isEqualTo("20000");
            assertThat(read(group, Controller.CPU, "cpu.cfs_period_us")).isEqualTo("50000");
            assertThat(read(group, Controller.CPU, "cpu.shares")).as("weight 300 of 100 is 3 times the default 1024").isEqualTo("3072");
        }
        for (AppliedLimit applied : group.limits().applied()) {
            assertThat(applied.hierarchy()).isEqualTo(hierarchy);
            assertThat(Files.readString(applied.file()).strip()).as("%s", applied).isEqualTo(applied.written());
        }

        group.apply(Limits.builder().set("cpu.max", "max").build()); // a period left out is the default 100 ms
        if (hierarchy == Hierarchy.V2) {
            assertThat(read(group, Controller.CPU, "cpu.max")).isEqualTo("max 100000");
        } else {
            assertThat(read(group, Controller.CPU, "cpu.cfs_quota_us")).isEqualTo("-1");
            assertThat(read(group, Controller.CPU, "cpu.cfs_period_us")).isEqualTo("100000");
        }
    }

    @Test
    void aBusyChildUnderCpuMaxIsThrottled() throws Exception {
        Hierarchy hierarchy = require(Controller.CPU);
        Cgroup group = root.create("job", Limits.builder().cpuMax(10_000, 100_000).build());
        Child child = spawnIn(group, Command.of("sh", "-c", "while :; do :; done"));
        long start = System.nanoTime();
        Thread.sleep(Duration.ofMillis(2000)); // the child needs wall time to run into its quota
        group.kill();
        assertThat(group.awaitEmpty(WAIT)).isTrue();
        long wallMicros = (System.nanoTime() - start) / 1000;
        assertThat(child.waitFor().signal()).isEqualTo(9);
        Map<String, Long> stat = keyed(group, Controller.CPU, "cpu.stat");
        long throttledMicros = hierarchy == Hierarchy.V2 ? stat.get("throttled_usec") : stat.get("throttled_time") / 1000;
        // About 20 periods of 100 ms passed; a busy loop uses its 10 ms in each and is throttled
        // for the rest. Unthrottled it would use about all the wall time on one CPU.
        assertThat(stat.get("nr_throttled")).as("cpu.stat %s", stat).isGreaterThanOrEqualTo(5);
        assertThat(throttledMicros).as("cpu.stat %s", stat).isPositive();
        // CPU time always comes from v2's cpu.stat, which counts it on every layout.
        long usedMicros = group.stats().cpu().usageMicros();
        assertThat(usedMicros).as("CPU time after %d us of wall time (cpu.stat %s)", wallMicros, stat)
                .isPositive().isLessThan(wallMicros * 35 / 100);
    }
}
