package io.forkline.cgroup;

import java.util.Map;

/**
 * A group's accounting, read in one {@link Cgroup#stats()} call. Parts whose controller is not
 * driven on this host are {@code null}, never zero, and each part says which hierarchy it came from.
 * For a group that a {@link CgroupPool} handed out again, the counters start at zero for the new
 * job, memory.peak is the new job's own where the kernel can reset it (Linux 6.12), and the
 * other peaks are -1 (see {@link #since(Stats, boolean)}).
 *
 * @param cpu CPU time, from the v2 group's cpu.stat (always there: the core keeps it without
 *     the cpu controller)
 * @param memory memory use, or {@code null} when the memory controller is not enabled on v2
 * @param pids task counts, or {@code null} when pids is neither on v2 nor on a v1 hierarchy
 */
public record Stats(Cpu cpu, Memory memory, Pids pids) {
    /**
     * These counters minus {@code base}'s, for a group reused from a pool: CPU time, memory
     * events and fork failures count from the reset. Peaks cannot be subtracted. memory.peak was
     * read through the fd that the pool's reset wrote to, so where that reset worked
     * ({@code memoryPeakReset}: Linux 6.12 and later) it is this job's peak and is kept; where it
     * did not, it is the group's peak since it was made, and is reported as -1. pids.peak has no
     * reset in any kernel (6.12 and 6.18 alike: kernel/cgroup/pids.c gives it no write handler), so a
     * reused group always reports it as -1. Unknown, never the previous job's.
     */
    Stats since(Stats base, boolean memoryPeakReset) {
        Cpu c = new Cpu(cpu.usageMicros - base.cpu.usageMicros, cpu.userMicros - base.cpu.userMicros,
                cpu.systemMicros - base.cpu.systemMicros, cpu.hierarchy);
        Memory m = memory;
        if (memory != null && base.memory != null) {
            Map<String, Long> events = new java.util.LinkedHashMap<>();
            memory.events.forEach((k, v) -> events.put(k, v - base.memory.events.getOrDefault(k, 0L)));
            m = new Memory(memory.currentBytes, memoryPeakReset ? memory.peakBytes : -1, events);
        }
        Pids p = pids;
        if (pids != null && base.pids != null) {
            p = new Pids(pids.current, -1, pids.forkFailures - base.pids.forkFailures, pids.hierarchy);
        }
        return new Stats(c, m, p);
    }

    /**
     * CPU time in microseconds.
     *
     * @param usageMicros user plus system
     * @param userMicros user
     * @param systemMicros system
     * @param hierarchy where it was read
     */
    public record Cpu(long usageMicros, long userMicros, long systemMicros, Hierarchy hierarchy) {}

    /**
     * Memory, from memory.current, memory.peak and memory.events (v2 only).
     *
     * @param currentBytes memory.current
     * @param peakBytes memory.peak, or -1 where the kernel lacks it (before 5.19), or the group was
     *     reused and the kernel cannot reset the peak (before 6.12). In a reused group it is the
     *     highest usage since the pool reset it, which starts at what the group still had charged
     *     then (page cache the earlier jobs left, for example), so it is never below that
     * @param events memory.events: low, high, max, oom, oom_kill, ...
     */
    public record Memory(long currentBytes, long peakBytes, Map<String, Long> events) {
        public Memory {
            events = Map.copyOf(events);
        }

        /** @return memory.events oom_kill: tasks the OOM killer killed in this group */
        public long oomKills() {
            return events.getOrDefault("oom_kill", 0L);
        }
    }

    /**
     * Tasks, from pids.current, pids.peak and pids.events.
     *
     * @param current pids.current
     * @param peak pids.peak, or -1 where the kernel lacks it or the group was reused (no kernel
     *     resets pids.peak)
     * @param forkFailures pids.events "max": forks refused because pids.max was reached
     * @param hierarchy where it was read
     */
    public record Pids(long current, long peak, long forkFailures, Hierarchy hierarchy) {}
}
