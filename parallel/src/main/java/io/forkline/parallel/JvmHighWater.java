package io.forkline.parallel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The JVM's own resident-memory high-water mark (VmHWM in /proc/self/status), to tell whether a
 * child's ru_maxrss is the child's: a CLONE_VM child starts in the JVM's address space, and at
 * exec the kernel folds that space's high-water mark into the child's maxrss (fs/exec.c,
 * exec_mmap), so only a value above the JVM's own peak is the child's. The mark only grows, so
 * it is read again only when a child's value is above the last reading.
 */
final class JvmHighWater {
    private static final Path STATUS = Path.of("/proc/self/status");
    private long bytes = -1;

    /** @return whether {@code maxRssBytes} is above the JVM's own peak, and so the child's */
    boolean isTheChilds(long maxRssBytes) {
        if (maxRssBytes <= bytes) return false;
        bytes = read();
        return bytes >= 0 && maxRssBytes > bytes;
    }

    private static long read() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.substring(6).replace("kB", "").strip()) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
