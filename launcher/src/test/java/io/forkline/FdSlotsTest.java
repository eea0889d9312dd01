package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.sys.shim.Shim;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FdSlotsTest {
    @Test
    void sourcesMoveIntoSlotsAndBackAndExhaustionLeavesTheMapAlone() throws Exception {
        ProcessResources.baseline(); // loads what the assertions below need, so its fds are not counted
        int before = ProcessResources.openFds();
        int[] pipe = Shim.pipe();
        try (FdSlots slots = new FdSlots(2)) {
            int[] three = {pipe[0], 0, pipe[1], 1, pipe[1], 2};
            int[] unchanged = three.clone();
            assertThat(slots.place(three)).as("three sources, two slots").isNull();
            assertThat(three).containsExactly(unchanged);

            int[] two = {pipe[0], 0, 1, 2, pipe[1], 1};
            int[] taken = slots.place(two);
            assertThat(taken).hasSize(2);
            assertThat(two[2]).as("sources below 3 stay where they are").isEqualTo(1);
            assertThat(two[0]).isIn(taken[0], taken[1]);
            assertThat(two[4]).isIn(taken[0], taken[1]);
            assertThat(FdSlots.bound(two)).isEqualTo(Math.max(two[0], two[4]) + 1);
            // the slot now refers to the pipe, as the child will see it
            assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + two[0])).toString()).startsWith("pipe:");
            slots.release(taken);
            assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + taken[0])).toString()).isEqualTo("/dev/null");
            assertThat(slots.place(new int[] {pipe[0], 0, pipe[1], 1})).hasSize(2);
        } finally {
            Shim.close(pipe[0]);
            Shim.close(pipe[1]);
        }
        assertThat(ProcessResources.openFds()).isEqualTo(before);
    }
}
