package io.forkline;

import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupException;
import io.forkline.cgroup.Stats;
import io.forkline.sys.shim.SpawnSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The cgroup one child runs in, when its command named a {@link Cgroup} or asked for limits.
 *
 * <p>The child is born in the group's v2 directory (clone3 CLONE_INTO_CGROUP with the group's
 * own directory fd, so nothing is opened per spawn) and joins its v1 groups, on hybrid hosts,
 * by writing "0" to their cgroup.procs before it runs anything else.
 *
 * <p>When the child is reaped, the group's stats are read for {@link Exit#cgroupStats()}. A
 * group the launcher borrowed (from a pool, for {@link Command#cgroupLimits}) holds this job
 * only: the job ends when the group is empty, and the group is then handed back. On the reaping
 * thread when it is already empty, which is the common case and costs a few preads, or else on
 * the launcher's release thread, because emptying it means cgroup.kill and a wait for the
 * stragglers to die. A group the caller gave is left as it is.
 */
final class JobCgroup {
    private static final LazyLogger LOG = new LazyLogger(JobCgroup.class);
    /** How long a job's end waits for its killed stragglers to die. */
    private static final Duration STRAGGLER_TIMEOUT = Duration.ofSeconds(10);

    final Cgroup group;
    /** Gives a borrowed group back (the pool's release), or null when the caller owns it. */
    private final Consumer<Cgroup> giveBack;
    private volatile Stats stats;
    /** Processes still in the borrowed group when the child was reaped, killed by cgroup.kill. */
    private volatile int straysKilled;
    private boolean returned;

    private JobCgroup(Cgroup group, Consumer<Cgroup> giveBack) {
        this.group = group;
        this.giveBack = giveBack;
    }

    /** A group the caller owns and keeps. */
    static JobCgroup owned(Cgroup group) {
        return new JobCgroup(group, null);
    }

    /** A group lent for one job, given back through {@code giveBack} after the child is reaped. */
    static JobCgroup borrowed(Cgroup group, Consumer<Cgroup> giveBack) {
        return new JobCgroup(group, giveBack);
    }

    /** @return whether the group was lent for this one job (and so holds nothing else) */
    boolean borrowed() {
        return giveBack != null;
    }

    /** @return the v2 directory fd, owned by the group */
    int v2DirFd() {
        return group.v2DirFd();
    }

    /** @return what the child writes itself into before exec: the v1 groups' cgroup.procs */
    List<SpawnSpec.CgroupJoin> joins() throws CgroupException {
        List<SpawnSpec.CgroupJoin> out = new ArrayList<>();
        for (Cgroup.ProcsFile f : group.v1ProcsFiles()) out.add(new SpawnSpec.CgroupJoin(f.fd(), f.path().toString()));
        return out;
    }

    /** @return the stats read when the child was reaped, or null before that or when they could not be read */
    Stats stats() {
        return stats;
    }

    /** @return how many processes the job left in its borrowed group, which its end killed */
    int straysKilled() {
        return straysKilled;
    }

    /**
     * cgroup.kill: SIGKILL to every process in the group, forks in flight included. Not once a
     * borrowed group was given back: it is then the pool's, or already the next job's, and a late
     * kill (a timeout that fired as the child exited, a killTree after the exit) would kill that
     * job. Checked under the lock that {@link #giveBack()} takes, so the two cannot interleave.
     *
     * @return whether the kill was sent
     */
    synchronized boolean kill() throws CgroupException {
        if (returned) return false;
        group.kill();
        return true;
    }

    /**
     * The child was reaped. A group the caller owns has its stats read, and that is all. A
     * borrowed group is the job's alone, so the job ends when the group is empty: stragglers
     * (daemons, grandchildren) are killed with cgroup.kill and waited for, on the release thread
     * because that may take a while, and only then are the stats read, so that they cover the
     * whole job, and the group given back.
     *
     * @param slowReleases where a group that still holds processes is emptied
     * @param done run once the stats are read (on this thread or the release thread)
     */
    void childReaped(Executor slowReleases, Runnable done) {
        // done completes the child's exit: it must run exactly once whatever fails here, or a
        // waitFor() would block for ever on an exit that has happened.
        if (giveBack == null) {
            try {
                readStats();
            } finally {
                done.run();
            }
            return;
        }
        boolean empty;
        try {
            empty = !group.populated();
        } catch (CgroupException | RuntimeException e) {
            empty = true; // removed or closed underneath: the pool's release finds out and drops it
        }
        if (empty) {
            finish(done);
            return;
        }
        try {
            slowReleases.execute(() -> {
                emptyGroup();
                finish(done);
            });
        } catch (RejectedExecutionException e) {
            emptyGroup(); // the launcher is closing: empty it here
            finish(done);
        }
    }

    private void emptyGroup() {
        try {
            // Counted before the kill, for Exit.straysKilled(): a daemon forking at this moment may be missed.
            straysKilled = group.pids().size();
            group.kill();
            if (!group.awaitEmpty(STRAGGLER_TIMEOUT)) {
                LOG.log(System.Logger.Level.WARNING, group + " still has processes " + STRAGGLER_TIMEOUT.toSeconds()
                        + " s after cgroup.kill; the pool will remove it");
            }
        } catch (CgroupException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot empty " + group, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void finish(Runnable done) {
        try {
            readStats();
            giveBack();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot give " + group + " back to its pool", e);
        } finally {
            done.run();
        }
    }

    private void readStats() {
        try {
            stats = group.stats();
        } catch (CgroupException | RuntimeException e) {
            // Removed or closed underneath, for example: the exit itself is still reported, without stats.
            LOG.log(System.Logger.Level.WARNING, "cannot read the stats of " + group, e);
        }
    }

    /** The spawn failed after the group was taken: a borrowed group goes straight back. */
    void spawnFailed() {
        if (giveBack != null) giveBack();
    }

    private void giveBack() {
        synchronized (this) {
            if (returned) return;
            returned = true;
        }
        giveBack.accept(group);
    }

    @Override
    public String toString() {
        return group.toString();
    }
}
