package io.forkline.vmtest.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Stdio;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.Limits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * io.max on cgroup v2, on the VM's scratch disk (/dev/vda, a virtio-blk device that boot.sh
 * attaches for this): a direct write of 3 MiB under wbps=1 MiB/s takes seconds.
 */
class IoLimitTest extends GuestTest {
    private static final Path DISK = Path.of("/sys/block/vda");

    @Test
    void ioMaxThrottlesDirectWrites() throws Exception {
        Assumptions.assumeTrue(Files.exists(DISK.resolve("dev")), "io.max needs a block device; there is no " + DISK
                + " (scripts/vm/boot.sh attaches a virtio scratch disk)");
        String device = Files.readString(DISK.resolve("dev")).strip();
        Cgroup group = root.create("job", Limits.builder().ioMax(device, "wbps=1048576").build());
        assertThat(read(group, "io.max")).isEqualTo(device + " rbps=max wbps=1048576 riops=max wiops=max");

        long start = System.nanoTime();
        Exit exit = spawnIn(group, Command.of("dd", "if=/dev/zero", "of=/dev/vda", "bs=64k", "count=48", "oflag=direct")
                .stdout(Stdio.discard()).stderr(Stdio.capture(1 << 12)).timeout(WAIT)).waitFor();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(exit.success()).as("%s: %s", exit.describe(), exit.stderr().text()).isTrue();
        // 3 MiB at 1 MiB/s; blk-throttle lets a first slice through at once, so allow some slack.
        assertThat(took).as("3 MiB of direct writes under wbps=1 MiB/s").isGreaterThan(Duration.ofMillis(1800));
        String stat = read(group, "io.stat");
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
