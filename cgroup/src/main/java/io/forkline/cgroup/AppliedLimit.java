package io.forkline.cgroup;

import java.nio.file.Path;

/**
 * One file write that a limit turned into, and where it went. On a v2 host {@code cpu.max} is
 * one write to {@code cpu.max}; on a hybrid host it is two, to {@code cpu.cfs_period_us} and
 * {@code cpu.cfs_quota_us} in the v1 cpu hierarchy, each reported here.
 *
 * @param limit the limit as the caller named it, in v2 terms: {@code cpu.max}, {@code pids.max}, ...
 * @param requested the value the caller asked for, in v2 syntax
 * @param hierarchy the hierarchy the write went to
 * @param file the file written
 * @param written the value written to that file (translated for v1)
 */
public record AppliedLimit(String limit, String requested, Hierarchy hierarchy, Path file, String written) {
    @Override
    public String toString() {
        return limit + "=" + requested + " -> " + hierarchy + " " + file + " = " + written;
    }
}
