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
 *
 * <p>The two readings are not exact: the kernel's RSS counters are per-CPU approximations, and
 * memory the JVM gives back with madvise lowers its RSS without raising the recorded mark first.
 * So a child's value counts only when it is above the JVM's mark by a margin (an eighth of the
 * mark, at least 16 MiB): a child barely bigger than the JVM is reported as unknown, never the
 * JVM as the child.
 */
final class JvmHighWater {
    private static final Path STATUS = Path.of("/proc/self/status");
    private long bytes = -1;

    /** @return whether {@code maxRssBytes} is clearly above the JVM's own peak, and so the child's */
    boolean isTheChilds(long maxRssBytes) {
        if (maxRssBytes <= withMargin(bytes)) return false;
        bytes = read();
        return bytes >= 0 && maxRssBytes > withMargin(bytes);
    }

    private static long withMargin(long mark) {
        return mark < 0 ? mark : mark + Math.max(16L << 20, mark / 8);
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
