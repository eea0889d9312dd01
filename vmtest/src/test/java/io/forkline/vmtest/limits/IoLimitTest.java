package io.forkline.vmtest.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Stdio;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.Limits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * io.max on cgroup v2, on the VM's scratch disk (/dev/vda, a virtio-blk device that boot.sh
 * attaches for this): a direct write of 3 MiB under wbps=1 MiB/s takes seconds. Only in the VM:
 * on a host, /dev/vda may well be the root disk (it is on this project's machines), and on a
 * hybrid host forkline drives io on v2 only.
 */
class IoLimitTest extends ControllerTest {
    private static final Path DISK = Path.of("/sys/block/vda");
    /** boot.sh's scratch disk is 64 MiB: in 512-byte sectors, as /sys/block/vda/size counts. */
    private static final long SCRATCH_SECTORS = (64L << 20) / 512;

    @Test
    void ioMaxThrottlesDirectWrites() throws Exception {
        require(Controller.IO);
        Assumptions.assumeTrue(IN_VM, "writes over /dev/vda, which is the VM's scratch disk and on a host may be its root "
                + "disk: runs only in the full-cgroup-v2 VM tier (FullV2TierTest)");
        Assertions.assertTrue(Files.exists(DISK.resolve("dev")), "no " + DISK + ": scripts/vm/boot.sh attaches a virtio scratch disk");
        Assertions.assertEquals(SCRATCH_SECTORS, Long.parseLong(Files.readString(DISK.resolve("size")).strip()),
                DISK + " is not the 64 MiB scratch disk that scripts/vm/boot.sh attaches");
        String device = Files.readString(DISK.resolve("dev")).strip();
        Cgroup group = root.create("job", Limits.builder().ioMax(device, "wbps=1048576").build());
        assertThat(read(group, Controller.IO, "io.max")).isEqualTo(device + " rbps=max wbps=1048576 riops=max wiops=max");

        long start = System.nanoTime();
        Exit exit = spawnIn(group, Command.of("dd", "if=/dev/zero", "of=/dev/vda", "bs=64k", "count=48", "oflag=direct")
                .stdout(Stdio.discard()).stderr(Stdio.capture(1 << 12)).timeout(WAIT)).waitFor();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(exit.success()).as("%s: %s", exit.describe(), exit.stderr().text()).isTrue();
        // 3 MiB at 1 MiB/s; blk-throttle lets a first slice through at once, so allow some slack.
        assertThat(took).as("3 MiB of direct writes under wbps=1 MiB/s").isGreaterThan(Duration.ofMillis(1800));
        String stat = read(group, Controller.IO, "io.stat");
        long written = 0;
        for (String line : stat.split("\n")) {
            if (!line.startsWith(device + " ")) continue;
            for (String kv : line.split(" ")) {
                if (kv.startsWith("wbytes=")) written = Long.parseLong(kv.substring(7));
            }
        }
        assertThat(written).as("io.stat %s", stat).isGreaterThanOrEqualTo(3L << 20);
    }
}
