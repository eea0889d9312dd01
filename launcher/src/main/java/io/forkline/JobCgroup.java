package io.forkline;

import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupException;
import io.forkline.cgroup.Stats;
import io.forkline.sys.ffm.SpawnSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The cgroup one child runs in, when its command named a {@link Cgroup} or asked for limits.
 *
 * <p>The child is born in the group's v2 directory (clone3 CLONE_INTO_CGROUP with the group's
 * own directory fd, so nothing is opened per spawn) and joins its v1 groups, on hybrid hosts,
 * by writing "0" to their cgroup.procs before it runs anything else.
 *
 * <p>When the child is reaped, the group's stats are read for {@link Exit#cgroupStats()}. A
 * group the launcher borrowed (from a pool, for {@link Command#cgroupLimits}) is then handed
 * back: on the reaping thread when it is already empty, which is the common case and costs a
 * few file reads, or else on the launcher's release thread, because emptying it means
 * cgroup.kill and a wait for the stragglers to die. A group the caller gave is left as it is.
 */
final class JobCgroup {
    private static final System.Logger LOG = System.getLogger(JobCgroup.class.getName());

    final Cgroup group;
    /** Gives a borrowed group back (the pool's release), or null when the caller owns it. */
    private final Consumer<Cgroup> giveBack;
    private volatile Stats stats;
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

    /** cgroup.kill: SIGKILL to every process in the group, forks in flight included. */
    void kill() throws CgroupException {
        group.kill();
    }

    /**
     * The child was reaped: read the stats, then give a borrowed group back.
     *
     * @param slowReleases where a group that still holds processes is emptied and given back
     */
    void childReaped(Executor slowReleases) {
        try {
            stats = group.stats();
        } catch (CgroupException e) {
            // Removed underneath, for example: the exit itself is still reported, without stats.
            LOG.log(System.Logger.Level.WARNING, "cannot read the stats of " + group, e);
        }
        if (giveBack == null) return;
        boolean empty;
        try {
            empty = !group.populated();
        } catch (CgroupException e) {
            empty = true; // gone: the pool's release finds out and removes it
        }
        if (empty) {
            giveBack();
        } else {
            slowReleases.execute(this::giveBack);
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
