package io.forkline;

import io.forkline.cgroup.Stats;
import java.time.Duration;

/**
 * How a child ended, as waitid(P_PIDFD) reported it, with the rusage of the raw system call.
 *
 * @param pid the child's pid
 * @param exitCode the exit status, or -1 when a signal ended the child
 * @param signal the signal that ended the child, or 0 when it exited
 * @param coreDumped whether it dumped core
 * @param timedOut whether forkline signalled it because its {@link Command#timeout(Duration)} passed
 * @param userCpu user CPU time
 * @param systemCpu system CPU time
 * @param maxRssBytes peak resident set size
 * @param stdout captured stdout, empty unless {@link Stdio#capture(int)} was used
 * @param stderr captured stderr, empty unless {@link Stdio#capture(int)} was used
 * @param cgroupStats the stats of the child's cgroup, read when the child was reaped, when its
 *     command named a {@link io.forkline.cgroup.Cgroup} or asked for
 *     {@link Command#cgroupLimits limits}; {@code null} otherwise (also for
 *     {@link Command#cgroup(java.nio.file.Path)}, which names a directory forkline does not manage).
 *     For a group borrowed from a pool they cover this job only; a caller's own group reports
 *     everything since its creation (or last reset), stragglers still running at the exit included.
 * @param straysKilled how many processes the job left running in its own cgroup when the child
 *     exited (daemons, background children), which forkline then killed with cgroup.kill before
 *     it reported the exit; 0 without a group lent for the job ({@link Command#cgroupLimits})
 */
public record Exit(
        int pid,
        int exitCode,
        int signal,
        boolean coreDumped,
        boolean timedOut,
        Duration userCpu,
        Duration systemCpu,
        long maxRssBytes,
        Output stdout,
        Output stderr,
        Stats cgroupStats,
        int straysKilled) {

    /**
     * @return whether the kernel's OOM killer ended the job: the child was SIGKILLed and its
     *     cgroup counted an OOM kill (memory.events {@code oom_kill}, this job's only, for a group
     *     from a pool). Always false without a cgroup whose memory controller is on v2: then an
     *     OOM kill cannot be told from any other SIGKILL.
     */
    public boolean oomKilled() {
        return signal == 9 && cgroupStats != null && cgroupStats.memory() != null && cgroupStats.memory().oomKills() > 0;
    }

    /** @return whether the child exited with status 0 */
    public boolean success() {
        return exitCode == 0;
    }

    /** @return the status a shell would report: the exit code, or 128 + the signal */
    public int statusCode() {
        return signal != 0 ? 128 + signal : exitCode;
    }

    /** @return a short description such as {@code exited 0} or {@code killed by signal 9 (core dumped)} */
    public String describe() {
        String how = signal != 0
                ? "killed by signal " + signal + (coreDumped ? " (core dumped)" : "") + (oomKilled() ? " (out of memory)" : "")
                : "exited " + exitCode;
        return timedOut ? how + " after timeout" : how;
    }
}
