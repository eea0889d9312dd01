package io.forkline.vmtest.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Stdio;
import io.forkline.cgroup.AppliedLimit;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.Hierarchy;
import io.forkline.cgroup.Limits;
import io.forkline.cgroup.Stats;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * memory.max, memory.high and memory.peak on a kernel that has the memory controller on v2 (on a
 * hybrid host each test is skipped: forkline never writes to the v1 memory hierarchy). The
 * children are dd with one buffer of {@code bs} bytes, which read(2) from /dev/zero fills, so
 * their anonymous memory is known to within dd's own few hundred kilobytes. The VM has no swap.
 */
class MemoryLimitTest extends ControllerTest {
    private static final long MIB = 1 << 20;

    private static Command dd(long bufferBytes) {
        return Command.of("dd", "if=/dev/zero", "of=/dev/null", "bs=" + bufferBytes, "count=1")
                .stdout(Stdio.discard()).stderr(Stdio.capture(1 << 12));
    }

    @Test
    void memoryMaxIsWrittenOnV2AndReadsBack() throws Exception {
        require(Controller.MEMORY);
        Cgroup group = root.create("job", Limits.builder().memoryMax(32 * MIB).memorySwapMax(0).build());
        assertThat(read(group, Controller.MEMORY, "memory.max")).isEqualTo(Long.toString(32 * MIB));
        assertThat(read(group, Controller.MEMORY, "memory.swap.max")).isEqualTo("0");
        assertThat(group.limits().applied()).containsExactly(
                new AppliedLimit("memory.max", Long.toString(32 * MIB), Hierarchy.V2, group.path().resolve("memory.max"),
                        Long.toString(32 * MIB)),
                new AppliedLimit("memory.swap.max", "0", Hierarchy.V2, group.path().resolve("memory.swap.max"), "0"));
    }

    @Test
    void aChildPastMemoryMaxIsOomKilledAndCounted() throws Exception {
        require(Controller.MEMORY);
        Cgroup group = root.create("job", Limits.builder().memoryMax(32 * MIB).memorySwapMax(0).build());
        assertThat(keyed(group, Controller.MEMORY, "memory.events")).containsEntry("oom_kill", 0L);
        Exit exit = spawnIn(group, dd(96 * MIB).timeout(WAIT)).waitFor();
        assertOomKilledAtMemoryMax(group, exit, 32 * MIB);
    }

    /**
     * The tier's own check: a limit written to the wrong place must fail the test above. Here
     * memory.max goes to a sibling of the job's group (the right file name, the wrong file), and
     * the same assertions must throw.
     */
    @Test
    void theOomCheckFailsWhenMemoryMaxWentToTheWrongFile() throws Exception {
        require(Controller.MEMORY);
        root.create("sibling", Limits.builder().memoryMax(32 * MIB).memorySwapMax(0).build());
        Cgroup group = root.create("job");
        Exit exit = spawnIn(group, dd(96 * MIB).timeout(WAIT)).waitFor();
        assertThatThrownBy(() -> assertOomKilledAtMemoryMax(group, exit, 32 * MIB))
                .as("dd with a 96 MiB buffer in a group without memory.max: %s", exit.describe())
                .isInstanceOf(AssertionError.class);
    }

    private static void assertOomKilledAtMemoryMax(Cgroup group, Exit exit, long memoryMax) throws Exception {
        assertThat(exit.signal()).as("dd with a 96 MiB buffer under memory.max %d: %s, stderr %s", memoryMax, exit.describe(),
                exit.stderr().text()).isEqualTo(9);
        assertThat(exit.timedOut()).isFalse();
        assertThat(keyed(group, Controller.MEMORY, "memory.events")).containsEntry("oom_kill", 1L)
                .hasEntrySatisfying("oom", n -> assertThat(n).isPositive())
                .hasEntrySatisfying("max", n -> assertThat(n).isPositive());
        Stats.Memory memory = group.stats().memory();
        assertThat(memory.oomKills()).isEqualTo(1);
        assertThat(memory.peakBytes()).as("memory.peak never passes memory.max").isLessThanOrEqualTo(memoryMax);
    }

    @Test
    void memoryPeakIsTheChildsOwnPeakWithinATolerance() throws Exception {
        require(Controller.MEMORY);
        Cgroup group = root.create("job", Limits.builder().memoryMax(256 * MIB).build());
        Exit exit = spawnIn(group, dd(24 * MIB).timeout(WAIT)).waitFor();
        assertThat(exit.success()).as("%s: %s", exit.describe(), exit.stderr().text()).isTrue();
        long peak = group.stats().memory().peakBytes();
        // The buffer, plus dd's binary, libc pages first touched here, page tables and kernel
        // objects charged to the group: a few MiB at most.
        assertThat(peak).as("memory.peak of a dd with a 24 MiB buffer").isBetween(24 * MIB, 24 * MIB + 8 * MIB);
        assertThat(read(group, Controller.MEMORY, "memory.peak")).isEqualTo(Long.toString(peak));
    }

    @Test
    void aChildPastMemoryHighIsThrottledNotKilled() throws Exception {
        require(Controller.MEMORY);
        Cgroup group = root.create("job", Limits.builder().memoryHigh(16 * MIB).memorySwapMax(0).build());
        assertThat(read(group, Controller.MEMORY, "memory.high")).isEqualTo(Long.toString(16 * MIB));
        long start = System.nanoTime();
        Exit exit = spawnIn(group, dd(48 * MIB).timeout(WAIT)).waitFor();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(exit.success()).as("memory.high is not a hard limit: %s: %s", exit.describe(), exit.stderr().text()).isTrue();
        var events = keyed(group, Controller.MEMORY, "memory.events");
        assertThat(events.get("high")).as("memory.events high, after %s ms", took.toMillis()).isPositive();
        assertThat(events).containsEntry("oom_kill", 0L);
        assertThat(group.stats().memory().peakBytes()).as("memory.high let it pass").isGreaterThan(16 * MIB);
    }
}
