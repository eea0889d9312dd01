package io.forkline.cgroup;

/** The resource controllers whose limits forkline sets. */
public enum Controller {
    /** memory.max, memory.high, memory.swap.max: cgroup v2 only (see {@link CgroupRoot}). */
    MEMORY("memory"),
    /** cpu.max and cpu.weight; on v1 cpu.cfs_quota_us, cpu.cfs_period_us and cpu.shares. */
    CPU("cpu"),
    /** pids.max, on v2 or on a v1 pids hierarchy. */
    PIDS("pids"),
    /** io.max: cgroup v2 only. */
    IO("io");

    private final String kernelName;

    Controller(String kernelName) {
        this.kernelName = kernelName;
    }

    /** @return the name the kernel uses, in cgroup.controllers and in v1 mount options */
    public String kernelName() {
        return kernelName;
    }

    /** @return whether forkline may drive this controller on a cgroup v1 hierarchy */
    public boolean drivenOnV1() {
        return this == CPU || this == PIDS;
    }

    /**
     * The controller a limit file belongs to, by its prefix ({@code pids.max} is PIDS), so that
     * a caller can ask {@link CgroupRoot#controller} whether its limits can be applied before it
     * makes any group.
     *
     * @return the controller, or null for a file of none of these
     */
    public static Controller ofFile(String file) {
        int dot = file.indexOf('.');
        String prefix = dot < 0 ? file : file.substring(0, dot);
        for (Controller c : values()) {
            if (c.kernelName.equals(prefix)) return c;
        }
        return null;
    }
}
