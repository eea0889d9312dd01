package io.forkline.vmtest.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.Child;
import io.forkline.Command;
import io.forkline.cgroup.AppliedLimit;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.Hierarchy;
import io.forkline.cgroup.Limits;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** cpu.max and cpu.weight on cgroup v2: a busy child under a 10 % quota is throttled, visibly in cpu.stat. */
class CpuLimitTest extends GuestTest {
    @Test
    void cpuMaxAndWeightAreWrittenOnV2() throws Exception {
        Cgroup group = root.create("job", Limits.builder().cpuMax(20_000, 50_000).cpuWeight(300).build());
        assertThat(read(group, "cpu.max")).isEqualTo("20000 50000");
        assertThat(read(group, "cpu.weight")).isEqualTo("300");
        assertThat(group.limits().applied()).extracting(AppliedLimit::hierarchy).containsOnly(Hierarchy.V2);
        group.apply(Limits.builder().set("cpu.max", "max").build()); // a period left out is the default 100 ms
        assertThat(read(group, "cpu.max")).isEqualTo("max 100000");
    }

    @Test
    void aBusyChildUnderCpuMaxIsThrottled() throws Exception {
        Cgroup group = root.create("job", Limits.builder().cpuMax(10_000, 100_000).build());
        Child child = spawnIn(group, Command.of("sh", "-c", "while :; do :; done"));
        long start = System.nanoTime();
        Thread.sleep(Duration.ofMillis(2000)); // the child needs wall time to run into its quota
        group.kill();
        assertThat(group.awaitEmpty(WAIT)).isTrue();
        long wallMicros = (System.nanoTime() - start) / 1000;
        assertThat(child.waitFor().signal()).isEqualTo(9);
        Map<String, Long> stat = keyed(group, "cpu.stat");
        // About 20 periods of 100 ms passed; a busy loop uses its 10 ms in each and is throttled
        // for the rest. Unthrottled it would use about all the wall time on one CPU.
        assertThat(stat.get("nr_throttled")).as("cpu.stat %s", stat).isGreaterThanOrEqualTo(5);
        assertThat(stat.get("throttled_usec")).as("cpu.stat %s", stat).isPositive();
        assertThat(stat.get("usage_usec")).as("cpu.stat %s after %d us of wall time", stat, wallMicros)
                .isLessThan(wallMicros * 35 / 100);
    }
}
