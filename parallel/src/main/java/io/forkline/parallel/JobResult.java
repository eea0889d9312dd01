package io.forkline.parallel;

import java.util.List;

/**
 * How one job ended, after its last try: what ran, when and for how long, how it ended, and
 * what it used.
 *
 * @param seq the job number ({@code {#}})
 * @param values its input values
 * @param command the command as the joblog shows it
 * @param slot the job slot it ran in ({@code {%}})
 * @param startEpochMillis when its last try started, in milliseconds since the epoch
 * @param wallNanos how long its last try ran
 * @param tries how many times it was started
 * @param exitCode its exit status, or -1 when a signal ended it or it never started
 * @param signal the signal that ended it, or 0
 * @param killedBy what made forkline kill it ({@code timeout}, {@code halt}, {@code interrupt}), or null
 * @param startFailure why it could not be started (the spawn error: syscall, errno, path), or null
 * @param peakMemoryBytes its peak memory, or -1 when unknown (see {@link #memorySource})
 * @param memorySource where the peak comes from
 * @param cpuMicros its CPU time, user plus system, its descendants' included
 * @param forkFailures the forks its cgroup refused (pids.max), or -1 without pids accounting
 * @param straysKilled processes it left running in its cgroup, killed when it ended
 * @param oomKilled whether the kernel's OOM killer ended it (known only with a v2 memory controller)
 * @param receivedBytes how many bytes it wrote to stdout
 */
public record JobResult(
        long seq,
        List<String> values,
        String command,
        int slot,
        long startEpochMillis,
        long wallNanos,
        int tries,
        int exitCode,
        int signal,
        String killedBy,
        String startFailure,
        long peakMemoryBytes,
        MemorySource memorySource,
        long cpuMicros,
        long forkFailures,
        int straysKilled,
        boolean oomKilled,
        long receivedBytes) {

    /** Where a job's peak memory comes from. */
    public enum MemorySource {
        /** The job's cgroup's memory.peak (cgroup v2 with the memory controller). */
        CGROUP,
        /**
         * The child's ru_maxrss, used only when it is above the JVM's own peak: a child forked
         * with CLONE_VM starts in the JVM's address space, and the kernel folds that space's
         * high-water mark into the child's ru_maxrss at exec, so a smaller value says nothing
         * about the child.
         */
        RUSAGE,
        /** Not known: no cgroup memory accounting, and the child stayed below the JVM's own peak. */
        UNKNOWN
    }

    /** Copies the values. */
    public JobResult {
        values = List.copyOf(values);
    }

    /** @return whether the job exited 0 */
    public boolean succeeded() {
        return startFailure == null && signal == 0 && exitCode == 0;
    }

    /**
     * @return the joblog's Exitval, as GNU parallel writes it: the exit status; 0 when a signal
     *     ended the job; -1 when forkline killed it; 127 (not found) or 126 (found but not
     *     executable) when it could not start, as a shell reports those
     */
    public int joblogExitval() {
        if (startFailure != null) return exitCode;
        if (killedBy != null) return -1;
        return signal != 0 ? 0 : exitCode;
    }

    /** @return a short account such as {@code exited 3}, {@code killed by signal 9 after timeout}, {@code could not start: ...} */
    public String describe() {
        if (startFailure != null) return "could not start: " + startFailure;
        String how = signal != 0 ? "killed by signal " + signal + (oomKilled ? " (out of memory)" : "") : "exited " + exitCode;
        if (killedBy != null) how += " (" + killedBy + ")";
        return how;
    }
}
