package io.forkline.cgroup;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.Fs;
import io.forkline.sys.shim.Shim;
import io.forkline.sys.shim.SpawnSpec;
import io.forkline.sys.shim.Spawned;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What this kernel does to a child born, with clone3 {@code CLONE_INTO_CGROUP}, into a group
 * after {@code cgroup.kill}, as measured on this boot ({@link CgroupRoot#birthAfterKill()}).
 *
 * <p>It differs between kernel builds of one series, so it is probed, never inferred from a
 * version. Linux 6.14's fix of a race between fork and cgroup.kill (a kill sequence number,
 * {@code kill_seq}, that {@code cgroup_post_fork} compares) SIGKILLs such a child: the number is
 * read from the parent's group before the target group is looked up, and the target's has moved
 * on. Stable kernels took that change, and later builds of the same series stopped killing the
 * child. Seen here on 2026-12-07, each build booted and asked: Debian's 6.1 builds up to 6.1.190
 * and 6.12 builds up to 6.12.113 kill it, 6.1.192 and 6.12.115 and later do not, and this
 * project's host's 6.18.44 does (the README's "Known limits" keeps the list).
 */
public enum BirthAfterKill {
    /**
     * The child is SIGKILLed before its first instruction: a killed group can never host another
     * job, so a pool retires it and makes a new one.
     */
    KILLED,
    /** The child is born and runs: a killed group, once empty, is as good as a fresh one. */
    RUNS,
    /**
     * The probe could not tell (clone3 into a cgroup refused, say): treated as {@link #KILLED},
     * the choice that is safe under both behaviours.
     */
    UNKNOWN;

    private static final AtomicInteger PROBES = new AtomicInteger();

    /**
     * What the probe found.
     *
     * @param behaviour what the kernel did
     * @param evidence what the probe saw, in the words of the failed call ("clone3: ESRCH ..."),
     *     or why it could not tell
     */
    public record Probe(BirthAfterKill behaviour, String evidence) {
        @Override
        public String toString() {
            return behaviour + " (" + evidence + ")";
        }
    }

    /**
     * Makes an empty v2 group under {@code parent}, kills it, and starts a child in it whose exec
     * cannot succeed ({@code execve("/")}, a directory, fails with EACCES), so that nothing runs
     * either way: a child killed at birth comes back as the shim's "killed at birth" (clone3,
     * ESRCH), one that ran as the failed execve. The shim reaps the child in both cases, and the
     * group is removed again, so the probe leaves nothing behind. It takes about a millisecond.
     */
    static Probe probe(GroupDir parent) {
        String name = "forkline-probe-" + ProcessHandle.current().pid() + "-" + PROBES.incrementAndGet();
        String shown = parent.shown(name);
        try {
            Fs.mkdirAt(parent.fd, name, 0755, shown);
        } catch (SyscallException e) {
            return new Probe(UNKNOWN, "the probe group could not be made: " + e.getMessage());
        }
        GroupDir group = null;
        try {
            group = GroupDir.openChild(parent, name);
            group.write("cgroup.kill", "1");
            try {
                Spawned impossible = Shim.spawn(new SpawnSpec("/", List.of("/"), null, null, new int[0], new int[0],
                        new long[0], Shim.FLAG_INTO_CGROUP, 0, 0, 0, group.fd, 0));
                // execve of a directory cannot succeed; were it to, the child is still ours to end and reap.
                try {
                    Shim.pidfdSignal(impossible.pidfd(), 9, false);
                    Shim.reap(impossible.pidfd());
                } finally {
                    Shim.close(impossible.pidfd());
                }
                return new Probe(UNKNOWN, "execve(\"/\") in the probe child succeeded, which it cannot");
            } catch (SyscallException e) {
                String how = "a child born into " + shown + " after cgroup.kill: " + e.getMessage();
                if (e.syscall().equals("clone3") && e.errno() == Errno.ESRCH) return new Probe(KILLED, how);
                if (e.syscall().equals("execve")) return new Probe(RUNS, how);
                return new Probe(UNKNOWN, how);
            }
        } catch (CgroupException e) {
            return new Probe(UNKNOWN, "the probe group could not be killed: " + e.getMessage());
        } finally {
            if (group != null) group.close();
            try {
                Fs.unlinkAt(parent.fd, name, Fs.AT_REMOVEDIR, shown);
            } catch (SyscallException ignored) {
                // nothing ran in it, so rmdir cannot be refused for being busy; a group someone
                // else removed is gone all the same
            }
        }
    }
}
