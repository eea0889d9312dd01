package io.forkline.cgroup;

import io.forkline.concurrent.PooledObjectFactory;
import io.forkline.concurrent.ReplenishingPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Groups created ahead of time, so that a job's group costs no mkdir (seed 004: Yi Tao's cgroup
 * pool, which takes cgroup creation, serialized on cgroup_mutex, off the container start path;
 * the cgroup maintainer asked for it to be done in user space). Built on
 * {@link ReplenishingPool}:
 * <ul>
 *   <li>{@link #acquire()} takes a ready group: a queue poll, no system call. When that leaves the
 *       pool below its low-water mark, a refill starts after {@code refillDelay}, so that it does
 *       not compete with the burst that drained the pool for cgroup_mutex. When the pool is empty,
 *       acquire makes a group inline: the slow path, counted in {@link #slowPathCount()}.
 *   <li>{@link #release(Cgroup)} takes back an empty group: it thaws it if it was frozen, writes
 *       the kernel's defaults back to every limit the job set, resets memory.peak through the fd
 *       the group reads it by, so that the next job's {@link Stats.Memory#peakBytes()} is its own
 *       (Linux 6.12; before that, and for pids.peak on every kernel, a reused group's peaks are
 *       -1), and records the counters as the next job's zero ({@link Stats}). A group that still
 *       holds processes is emptied with cgroup.kill and removed; so is one that was killed, on
 *       kernels where a killed group cannot host another child ({@link BirthAfterKill}), and one
 *       that cannot be cleaned or that someone removed. Each is counted in
 *       {@link #removedCount()}, and the refill replaces it.
 *   <li>cgroup v2 cannot rename a group (kernfs answers EPERM), so groups are recycled under
 *       stable names and the caller maps job to group. (v1 can rename within a parent, as the
 *       seed's kernel patch did; forkline does not, because every group has its v2 directory.)
 * </ul>
 *
 * <h2>Crash safety</h2>
 * Every group's name carries its owner: {@code <prefix>-<pid>-<starttime>-<pool>-<n>}, with the
 * JVM's pid and its start time in clock ticks since boot (field 22 of /proc/self/stat), which
 * together name one process even after the pid is reused. {@link Builder#build()} first
 * {@linkplain #sweep sweeps} the root: the groups of owners that are no longer running are
 * killed (with whatever a crashed JVM left running in them), waited for and removed. Groups of
 * a live owner, another launcher on the host or another pool in this JVM, are never touched.
 */
public final class CgroupPool implements AutoCloseable {
    private static final AtomicInteger POOLS_IN_THIS_JVM = new AtomicInteger();
    private static final Owner SELF = Owner.self();

    private final CgroupRoot root;
    private final String tag;
    private final Duration releaseTimeout;
    private final ReplenishingPool<Cgroup> groups;
    private final AtomicLong nextGroup = new AtomicLong();
    private final AtomicLong removed = new AtomicLong();
    /** The groups acquired and not yet released, by identity. */
    private final Set<Cgroup> handedOut = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final SweepReport lastSweep;

    private CgroupPool(Builder b, SweepReport sweep) {
        this.root = b.root;
        this.tag = b.namePrefix + "-" + SELF.pid + "-" + SELF.startTicks + "-" + POOLS_IN_THIS_JVM.incrementAndGet() + "-";
        this.releaseTimeout = b.releaseTimeout;
        this.lastSweep = sweep;
        int lowWaterMark = b.lowWaterMark >= 0 ? Math.min(b.lowWaterMark, b.capacity) : b.capacity / 4;
        this.groups = new ReplenishingPool<>(new Factory(), b.capacity, lowWaterMark, b.refillDelay);
    }

    /** @return a builder for a pool of groups under {@code root} */
    public static Builder builder(CgroupRoot root) {
        return new Builder(root);
    }

    /** Settings of a {@link CgroupPool}. */
    public static final class Builder {
        private final CgroupRoot root;
        private int capacity = 16;
        private int lowWaterMark = -1;
        private Duration refillDelay = Duration.ofMillis(50);
        private Duration releaseTimeout = Duration.ofSeconds(5);
        private String namePrefix = "forkline-pool";
        private boolean fillNow = true;

        private Builder(CgroupRoot root) {
            this.root = Objects.requireNonNull(root, "root");
        }

        /** How many ready groups the pool keeps; default 16. */
        public Builder capacity(int groups) {
            if (groups <= 0) throw new IllegalArgumentException("capacity must be positive: " + groups);
            this.capacity = groups;
            return this;
        }

        /** Below this many ready groups a refill is scheduled; default a quarter of the capacity. */
        public Builder lowWaterMark(int groups) {
            if (groups < 0) throw new IllegalArgumentException("lowWaterMark must be >= 0: " + groups);
            this.lowWaterMark = groups;
            return this;
        }

        /** How long a refill waits before it starts, so as not to compete with a burst; default 50 ms. */
        public Builder refillDelay(Duration delay) {
            if (delay.isNegative()) throw new IllegalArgumentException("refillDelay must be >= 0: " + delay);
            this.refillDelay = delay;
            return this;
        }

        /** How long a release waits for a killed group to empty before it gives the group up; default 5 s. */
        public Builder releaseTimeout(Duration timeout) {
            if (timeout.isNegative()) throw new IllegalArgumentException("releaseTimeout must be >= 0: " + timeout);
            this.releaseTimeout = timeout;
            return this;
        }

        /** The first part of the groups' names, and what {@link #sweep} looks for; default {@code forkline-pool}. */
        public Builder namePrefix(String prefix) {
            Names.check(prefix);
            if (prefix.length() > 200) throw new IllegalArgumentException("namePrefix is at most 200 characters");
            this.namePrefix = prefix;
            return this;
        }

        /** Whether {@link #build()} fills the pool before it returns (default), or leaves it to the refill thread. */
        public Builder fillNow(boolean fill) {
            this.fillNow = fill;
            return this;
        }

        /**
         * Sweeps the groups that dead owners left under the root, then makes the pool.
         *
         * @throws CgroupException when the first groups cannot be made (not when a leftover
         *     group cannot be swept: that is in {@link CgroupPool#lastSweep()})
         */
        public CgroupPool build() throws CgroupException {
            SweepReport sweep = sweep(root, namePrefix, releaseTimeout);
            CgroupPool pool = new CgroupPool(this, sweep);
            if (fillNow) {
                try {
                    pool.groups.fill();
                } catch (UncheckedCgroupException e) {
                    pool.close();
                    throw e.getCause();
                }
            }
            return pool;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Acquire and release.

    /**
     * Takes a group for one job: a ready one, or, when none is ready, a new one made inline.
     *
     * @throws CgroupException when the pool was empty and the group could not be made
     * @throws IllegalStateException when the pool is closed
     */
    public Cgroup acquire() throws CgroupException {
        Cgroup group;
        try {
            group = groups.acquire();
        } catch (UncheckedCgroupException e) {
            throw e.getCause();
        }
        handedOut.add(group);
        return group;
    }

    /**
     * Takes a group and applies {@code limits} to it. If they cannot be applied, nothing stays
     * half-applied ({@link Cgroup#apply}), the group goes back to the pool, and the typed error is thrown.
     */
    public Cgroup acquire(Limits limits) throws CgroupException {
        Objects.requireNonNull(limits, "limits");
        Cgroup group = acquire();
        if (limits.isEmpty()) return group;
        try {
            group.apply(limits);
            return group;
        } catch (CgroupException | RuntimeException e) {
            release(group);
            throw e;
        }
    }

    /**
     * Gives a group back after its job: emptied, reset and ready for the next, or removed when it
     * cannot be cleaned. May wait up to the release timeout for killed processes to die.
     *
     * @throws IllegalArgumentException when the group is not one of this pool's, or is not
     *     handed out (a second release)
     */
    public void release(Cgroup group) {
        Objects.requireNonNull(group, "group");
        if (!group.name().startsWith(tag)) {
            throw new IllegalArgumentException(group + " is not a group of this pool (" + tag + "*)");
        }
        // A second release would put the group in the pool twice, and so hand it to two jobs.
        if (!handedOut.remove(group)) throw new IllegalArgumentException(group + " is not handed out: released twice?");
        groups.release(group);
    }

    // ---------------------------------------------------------------------------------------
    // Counters.

    /** @return how many acquires found the pool empty and made a group inline */
    public long slowPathCount() {
        return groups.slowCreates();
    }

    /** @return how many groups the fill and the background refill made */
    public long refillCount() {
        return groups.refillCreates();
    }

    /** @return how many released groups were removed because they could not be cleaned or were gone */
    public long removedCount() {
        return removed.get();
    }

    /** @return about how many groups are ready */
    public int idleCount() {
        return groups.idleCount();
    }

    /** @return what {@link Builder#build()} swept */
    public SweepReport lastSweep() {
        return lastSweep;
    }

    /**
     * Removes every group the pool holds (kill, wait, remove); groups still handed out are
     * removed when they are released.
     */
    @Override
    public void close() {
        groups.close();
    }

    @Override
    public String toString() {
        return "cgroup pool " + root.v2Path().resolve(tag + "*") + " (" + idleCount() + " ready)";
    }

    /** Makes, cleans and removes the groups for {@link ReplenishingPool}. */
    private final class Factory implements PooledObjectFactory<Cgroup> {
        @Override
        public Cgroup create() {
            try {
                return root.create(tag + nextGroup.incrementAndGet());
            } catch (CgroupException e) {
                throw new UncheckedCgroupException(e);
            }
        }

        /**
         * A group that still holds processes is retired (destroy kills and removes it) rather
         * than cleaned: killing the stragglers one by one would race with their forks, and a
         * fresh group from the refill is cheaper and certain. So is a group that was ever killed,
         * unless it can host the next job ({@link #killedButReusable}).
         */
        @Override
        public boolean recycle(Cgroup group) {
            try {
                if (group.wasKilled() && !killedButReusable(group)) return gaveUp();
                var events = group.events();
                if ("1".equals(events.get("populated"))) return gaveUp();
                if ("1".equals(events.get("frozen")) && !group.thaw(releaseTimeout)) return gaveUp();
                group.resetForReuse();
                return true;
            } catch (CgroupException | RuntimeException e) {
                return gaveUp();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return gaveUp();
            }
        }

        /**
         * A killed group can host the next job where this kernel lets a child born into it run
         * ({@link CgroupRoot#birthAfterKill()}, probed once), and once no hierarchy counts its
         * killed tasks any more: on a hybrid host a killed task stays in v1 pids.current until it
         * is reaped, and there it would count against the next job's pids.max.
         */
        private boolean killedButReusable(Cgroup group) throws CgroupException {
            if (root.birthAfterKill().behaviour() != BirthAfterKill.RUNS) return false;
            Stats.Pids pids = group.stats().pids();
            return pids == null || pids.current() == 0;
        }

        private boolean gaveUp() {
            removed.incrementAndGet();
            return false;
        }

        @Override
        public void destroy(Cgroup group) {
            try {
                group.destroy(releaseTimeout);
            } catch (CgroupException e) {
                group.close(); // gone already, or still busy: nothing more to do here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                group.close();
            }
        }
    }

    /** Carries a CgroupException through {@link PooledObjectFactory#create()}, which cannot throw it. */
    private static final class UncheckedCgroupException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UncheckedCgroupException(CgroupException cause) {
            super(cause);
        }

        @Override
        public synchronized CgroupException getCause() {
            return (CgroupException) super.getCause();
        }
    }

    // ---------------------------------------------------------------------------------------
    // The crash sweep.

    /**
     * What a sweep did, by group name.
     *
     * @param removed groups of dead owners that were killed and removed
     * @param liveOwners groups left alone because their owner is running
     * @param failed groups of dead owners that could not be removed, with why
     */
    public record SweepReport(List<String> removed, List<String> liveOwners, List<String> failed) {
        public SweepReport {
            removed = List.copyOf(removed);
            liveOwners = List.copyOf(liveOwners);
            failed = List.copyOf(failed);
        }
    }

    /**
     * Removes the groups under {@code root} that pools with this {@code namePrefix} made in
     * processes that are no longer running: kills what is left in each (cgroup.kill), waits for it
     * to empty, and removes its v2 and v1 directories. A group another sweeper removes first is
     * not a failure.
     */
    public static SweepReport sweep(CgroupRoot root, String namePrefix, Duration timeout) throws CgroupException {
        Pattern shape = Pattern.compile(Pattern.quote(namePrefix) + "-(\\d+)-(\\d+)-\\d+-\\d+");
        Set<String> names = new LinkedHashSet<>(list(root.v2Path()));
        for (Path v1 : root.v1Paths().values()) names.addAll(list(v1));
        List<String> removed = new ArrayList<>();
        List<String> live = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (String name : names) {
            Matcher m = shape.matcher(name);
            if (!m.matches()) continue;
            if (new Owner(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))).isRunning()) {
                live.add(name);
                continue;
            }
            try {
                if (root.hasV2Group(name)) {
                    root.open(name).destroy(timeout);
                } else {
                    root.removeV1Leftovers(name); // its v2 directory went first, in an interrupted removal
                }
                removed.add(name);
            } catch (GroupRemovedException e) {
                removed.add(name); // another sweeper was quicker
            } catch (CgroupException e) {
                failed.add(name + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed.add(name + ": interrupted");
                break;
            }
        }
        return new SweepReport(removed, live, failed);
    }

    private static List<String> list(Path dir) throws CgroupException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).map(p -> p.getFileName().toString()).toList();
        } catch (IOException | UncheckedIOException e) {
            throw new UnusableRootException(dir.toString(), "cannot list it: " + e.getMessage(), e);
        }
    }

    /** A process named by its pid and its start time, which together survive pid reuse. */
    private record Owner(long pid, long startTicks) {
        static Owner self() {
            long pid = ProcessHandle.current().pid();
            long ticks = startTicks(pid);
            if (ticks < 0) throw new IllegalStateException("cannot read /proc/" + pid + "/stat");
            return new Owner(pid, ticks);
        }

        /** A zombie, killed but not yet reaped by its parent, is not running. */
        boolean isRunning() {
            String[] fields = statFields(pid);
            return fields != null && !fields[0].equals("Z") && !fields[0].equals("X")
                    && Long.parseLong(fields[22 - 3]) == startTicks;
        }

        /** Field 22 of /proc/PID/stat, or -1 when there is no such process. */
        static long startTicks(long pid) {
            String[] fields = statFields(pid);
            return fields == null ? -1 : Long.parseLong(fields[22 - 3]);
        }

        /** /proc/PID/stat from field 3 (state) on, or null when there is no such process. */
        private static String[] statFields(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
                return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }
}
