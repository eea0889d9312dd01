package io.forkline.cgroup;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.Fs;
import io.forkline.sys.shim.Shim;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One group under a {@link CgroupRoot}: a cgroup v2 directory, plus, on hybrid hosts, a directory
 * of the same name in each v1 hierarchy the root drives (pids, cpu). Held open as directory fds.
 *
 * <p>Kill ({@code cgroup.kill}, Linux 5.14: the whole subtree, concurrent forks included), freeze
 * ({@code cgroup.freeze}, then {@code frozen 1} in {@code cgroup.events}) and waiting until empty
 * ({@code populated 0}) go through v2, where every process is. Waits are event-driven: an
 * inotify watch on {@code cgroup.events} (the kernel raises IN_MODIFY on it through
 * kernfs_notify) and poll(2), never a sleep loop.
 *
 * <p>A child is born in the group by clone3 CLONE_INTO_CGROUP (Linux 5.7) with {@link #v2DirFd()}
 * (seeds 000 and 001: no migration, so no write side of cgroup_threadgroup_rwsem). The v1 groups
 * carry limits and accounting only and the child is joined to them with {@link #joinV1(int)}.
 *
 * <p>If someone else removes the group, the next operation throws {@link GroupRemovedException}.
 * Methods may be called from several threads, but not concurrently with {@link #close()} or
 * {@link #remove()}, which close the fds.
 */
public final class Cgroup implements AutoCloseable {
    /** How long one poll may block before the waiting thread checks for an interrupt. */
    private static final int POLL_SLICE_MILLIS = 250;

    private final CgroupRoot root;
    private final String name;
    private final GroupDir v2;
    private final Map<Controller, GroupDir> v1;
    private volatile LimitReport limits = LimitReport.NONE;
    /** What the counters read at the last {@link #resetForReuse()}: stats() reports usage since then. */
    private volatile Stats baseline;
    /** memory.peak through the one fd that {@link #resetForReuse()} resets and {@link #stats()} reads. */
    private final MemoryPeak memoryPeak;
    /** Whether the last {@link #resetForReuse()} reset memory.peak, so that it shows this job's peak alone. */
    private volatile boolean memoryPeakReset;
    private volatile boolean closed;
    private volatile boolean killed;
    /** Every limit file written since the group was made or last reset, so that a reset misses none. */
    private final List<AppliedLimit> writtenSinceReset = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Opened on first use by {@link #v1ProcsFiles()}, closed with the group. */
    private volatile List<ProcsFile> v1ProcsFiles;

    Cgroup(CgroupRoot root, String name, GroupDir v2, Map<Controller, GroupDir> v1) {
        this.root = root;
        this.name = name;
        this.v2 = v2;
        this.v1 = v1;
        this.memoryPeak = new MemoryPeak(v2);
    }

    /** @return the group's name under its root */
    public String name() {
        return name;
    }

    /** @return the v2 directory */
    public Path path() {
        return v2.path;
    }

    /** @return the v1 directory per controller driven on v1 (empty when all are on v2) */
    public Map<Controller, Path> v1Paths() {
        Map<Controller, Path> out = new EnumMap<>(Controller.class);
        v1.forEach((c, dir) -> out.put(c, dir.path));
        return out;
    }

    /**
     * The v2 directory fd, for clone3 CLONE_INTO_CGROUP ({@code Shim.FLAG_INTO_CGROUP} with
     * {@code SpawnSpec.cgroupFd}). Owned by this object: valid until {@link #close()} or
     * {@link #remove()}; never close it yourself.
     */
    public int v2DirFd() {
        ensureOpen();
        return v2.fd;
    }

    /** @return what the last {@link #apply(Limits)} (or the create) wrote and skipped */
    public LimitReport limits() {
        return limits;
    }

    // ---------------------------------------------------------------------------------------
    // Limits.

    /**
     * Applies limits: every controller is checked first; then each file's current value is read
     * and the new one written. If the kernel refuses a write, every earlier write of this call is
     * set back to its previous value, in reverse order, before the error is thrown.
     *
     * @return what was written where, and what optional limits were skipped
     * @throws ControllerUnavailableException before anything is written
     * @throws LimitWriteException when the kernel refused a value; nothing stays half-applied
     */
    public LimitReport apply(Limits newLimits) throws CgroupException {
        ensureOpen();
        return applyPlan(LimitPlan.of(root, newLimits));
    }

    LimitReport applyPlan(LimitPlan plan) throws CgroupException {
        List<AppliedLimit> applied = new ArrayList<>();
        List<Runnable> undo = new ArrayList<>();
        List<String> undone = new ArrayList<>();
        for (LimitPlan.Write w : plan.writes()) {
            GroupDir dir = dirFor(w.hierarchy(), w.controller());
            String previous = previousValue(dir, w);
            try {
                dir.writeRaw(w.file(), w.value());
            } catch (SyscallException e) {
                List<Exception> restoreFailures = new ArrayList<>();
                for (int i = undo.size() - 1; i >= 0; i--) {
                    try {
                        undo.get(i).run();
                    } catch (UncheckedRestore r) {
                        restoreFailures.add(r.cause);
                    }
                }
                CgroupSyscallException translated = dir.translate(e);
                if (translated instanceof GroupRemovedException) throw translated;
                LimitWriteException failure = new LimitWriteException(dir.shown(w.file()), w.value(), undone, e);
                restoreFailures.forEach(failure::addSuppressed);
                throw failure;
            }
            applied.add(new AppliedLimit(w.limit(), w.requested(), w.hierarchy(), dir.path.resolve(w.file()), w.value()));
            undo.add(() -> {
                try {
                    dir.writeRaw(w.file(), previous);
                } catch (SyscallException e) {
                    throw new UncheckedRestore(e);
                }
            });
            undone.add(dir.shown(w.file()) + "=" + previous);
        }
        LimitReport report = new LimitReport(applied, plan.skipped());
        limits = report;
        writtenSinceReset.addAll(applied);
        return report;
    }

    /** The value to write back on failure, in a form the file accepts. */
    private static String previousValue(GroupDir dir, LimitPlan.Write w) throws CgroupException {
        String current = dir.read(w.file());
        if (!w.file().equals("io.max")) return current;
        String device = w.value().substring(0, w.value().indexOf(' '));
        for (String line : current.split("\n")) {
            if (line.startsWith(device + " ")) return line;
        }
        return device + " rbps=max wbps=max riops=max wiops=max";
    }

    private static final class UncheckedRestore extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final SyscallException cause;

        UncheckedRestore(SyscallException cause) {
            super(cause);
            this.cause = cause;
        }
    }

    private GroupDir dirFor(Hierarchy hierarchy, Controller controller) {
        return hierarchy == Hierarchy.V2 ? v2 : v1.get(controller);
    }

    // ---------------------------------------------------------------------------------------
    // Membership.

    /**
     * Joins a child of this JVM to the group's v1 directories (pids, cpu), by writing its pid to
     * each {@code cgroup.procs}. The v2 side is CLONE_INTO_CGROUP's job. forkline moves only its
     * own children: a pid whose parent is not this process is refused.
     *
     * @throws IllegalArgumentException when {@code pid} is not a child of this process
     * @throws CgroupSyscallException from the write, for example ESRCH when it has exited
     */
    public void joinV1(int pid) throws CgroupException {
        ensureOpen();
        requireOwnChild(pid);
        for (GroupDir dir : new LinkedHashSet<>(v1.values())) {
            dir.write("cgroup.procs", Integer.toString(pid));
        }
    }

    /**
     * Moves a child of this JVM into the group after it started: its pid is written to the v2
     * cgroup.procs and to each v1 one. This is the slow path that being born in the group avoids:
     * every such write is a migration under the write side of cgroup_threadgroup_rwsem, and the
     * child ran outside the group until then. A child that has exited but is not yet reaped is
     * not an error: the kernel ignores a zombie. Call it before the child can be reaped, or a
     * reused pid could name someone else's process (the parent check then refuses it).
     *
     * @throws IllegalArgumentException when {@code pid} is not a child of this process
     */
    public void migrate(int pid) throws CgroupException {
        ensureOpen();
        requireOwnChild(pid);
        v2.write("cgroup.procs", Integer.toString(pid));
        for (GroupDir dir : new LinkedHashSet<>(v1.values())) {
            dir.write("cgroup.procs", Integer.toString(pid));
        }
    }

    /**
     * As {@link #migrate(int)}, the v2 group only: for a child that joined its v1 groups itself
     * (the shim's clone fallback does) but could not be born in the v2 one.
     */
    public void migrateV2(int pid) throws CgroupException {
        ensureOpen();
        requireOwnChild(pid);
        v2.write("cgroup.procs", Integer.toString(pid));
    }

    private static void requireOwnChild(int pid) {
        long parent = parentOf(pid);
        long self = ProcessHandle.current().pid();
        if (parent != self) {
            throw new IllegalArgumentException("pid " + pid + " is not a child of this process (its parent is "
                    + parent + "): forkline never moves a process it did not start");
        }
    }

    private static long parentOf(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(rest[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * The group's v1 {@code cgroup.procs} files (pids and cpu on a hybrid host; none where every
     * controller is on v2), opened for writing once and kept open until {@link #close()}. A
     * spawn gives them to its child, which joins each by writing "0" before it runs anything
     * else, so no instruction of the program runs outside the v1 limits. Owned by this object:
     * never close the fds yourself.
     *
     * @throws CgroupSyscallException from openat, or {@link GroupRemovedException}
     */
    public List<ProcsFile> v1ProcsFiles() throws CgroupException {
        ensureOpen();
        List<ProcsFile> files = v1ProcsFiles;
        if (files != null) return files;
        synchronized (this) {
            if (v1ProcsFiles != null) return v1ProcsFiles;
            List<ProcsFile> opened = new ArrayList<>();
            try {
                for (GroupDir dir : new LinkedHashSet<>(v1.values())) {
                    try {
                        int fd = Fs.openAt(dir.fd, "cgroup.procs", Shim.O_WRONLY | Shim.O_NOFOLLOW, dir.shown("cgroup.procs"));
                        opened.add(new ProcsFile(fd, dir.path.resolve("cgroup.procs")));
                    } catch (SyscallException e) {
                        throw dir.translate(e);
                    }
                }
            } catch (CgroupException | RuntimeException e) {
                for (ProcsFile f : opened) Shim.close(f.fd());
                throw e;
            }
            v1ProcsFiles = List.copyOf(opened);
            return v1ProcsFiles;
        }
    }

    /**
     * An open, writable {@code cgroup.procs} file of a v1 group.
     *
     * @param fd the open file, owned by its {@link Cgroup}
     * @param path where it is, for errors
     */
    public record ProcsFile(int fd, Path path) {}

    /** @return the pids in the v2 group (cgroup.procs) */
    public List<Integer> pids() throws CgroupException {
        ensureOpen();
        List<Integer> out = new ArrayList<>();
        for (String line : v2.read("cgroup.procs").split("\n")) {
            if (!line.isBlank()) out.add(Integer.parseInt(line.strip()));
        }
        return out;
    }

    /** @return whether any live process is in the group or below it ({@code populated} in cgroup.events) */
    public boolean populated() throws CgroupException {
        ensureOpen();
        return "1".equals(GroupDir.parseKeyed(v2.readHeld("cgroup.events")).get("populated"));
    }

    // ---------------------------------------------------------------------------------------
    // Stats.

    /**
     * Reads the group's accounting: CPU from v2 cpu.stat; memory from v2 when the controller is
     * enabled there; pids from wherever pids is driven.
     */
    public Stats stats() throws CgroupException {
        Stats raw = rawStats();
        Stats base = baseline;
        return base == null ? raw : raw.since(base, memoryPeakReset);
    }

    private Stats rawStats() throws CgroupException {
        ensureOpen();
        Map<String, String> cpu = GroupDir.parseKeyed(v2.readHeld("cpu.stat"));
        Stats.Cpu cpuStats = new Stats.Cpu(number(cpu.get("usage_usec")), number(cpu.get("user_usec")),
                number(cpu.get("system_usec")), Hierarchy.V2);
        Stats.Memory memory = null;
        if (root.controller(Controller.MEMORY).hierarchy() == Hierarchy.V2) {
            Map<String, Long> events = new LinkedHashMap<>();
            GroupDir.parseKeyed(v2.readHeld("memory.events")).forEach((k, v) -> events.put(k, number(v)));
            memory = new Stats.Memory(number(v2.readHeld("memory.current")), memoryPeak.read(), events);
        }
        Stats.Pids pids = null;
        Hierarchy pidsAt = root.controller(Controller.PIDS).hierarchy();
        if (pidsAt != null) {
            GroupDir dir = dirFor(pidsAt, Controller.PIDS);
            if (dir != null) {
                String peak = dir.readHeldIfPresent("pids.peak");
                String events = dir.readHeldIfPresent("pids.events");
                long failures = events == null ? 0 : number(GroupDir.parseKeyed(events).get("max"));
                pids = new Stats.Pids(number(dir.readHeld("pids.current")), peak == null ? -1 : number(peak), failures, pidsAt);
            }
        }
        return new Stats(cpuStats, memory, pids);
    }

    // ---------------------------------------------------------------------------------------
    // Reuse (CgroupPool).

    /** The v2 cgroup.events, read once: {@code populated} and {@code frozen}. */
    Map<String, String> events() throws CgroupException {
        ensureOpen();
        return GroupDir.parseKeyed(v2.readHeld("cgroup.events"));
    }

    /**
     * Makes an empty group fit for its next job: every file any {@link #apply(Limits)} since the last reset wrote
     * goes back to the kernel's default for a new group, in reverse order, memory.peak is reset
     * through the fd that {@link #stats()} reads it by (Linux 6.12; a kernel without the reset is
     * asked once per root, see {@link MemoryPeak}), and the counters are read as the baseline
     * that {@link #stats()} subtracts from then on.
     *
     * @throws CgroupException when a default cannot be written or a counter read; the group must
     *     then not be reused
     */
    void resetForReuse() throws CgroupException {
        ensureOpen();
        List<AppliedLimit> applied = List.copyOf(writtenSinceReset);
        for (int i = applied.size() - 1; i >= 0; i--) {
            AppliedLimit a = applied.get(i);
            GroupDir dir = a.hierarchy() == Hierarchy.V2 ? v2 : v1.get(Controller.ofFile(a.limit()));
            String file = a.file().getFileName().toString();
            dir.write(file, defaultValue(a.hierarchy(), file, a.written()));
        }
        limits = LimitReport.NONE;
        writtenSinceReset.clear();
        boolean peakReset = false;
        CgroupRoot.PeakReset known = root.memoryPeakReset();
        if (root.controller(Controller.MEMORY).hierarchy() == Hierarchy.V2 && (known == null || known.works())) {
            peakReset = memoryPeak.reset();
            root.memoryPeakResetTried(new CgroupRoot.PeakReset(peakReset, peakReset ? null : memoryPeak.whyNotReset()));
        }
        memoryPeakReset = peakReset;
        baseline = rawStats();
    }

    /**
     * What a new group has in a limit file: the kernel's defaults (cgroup-v2.rst; for v1,
     * cgroup-v1/pids.rst and sched-bwc.rst, and cpu.shares' 1024).
     */
    static String defaultValue(Hierarchy hierarchy, String file, String written) {
        return switch (file) {
            case "memory.max", "memory.high", "memory.swap.max", "pids.max" -> "max";
            case "cpu.max" -> "max 100000";
            case "cpu.weight" -> "100";
            case "io.max" -> written.substring(0, written.indexOf(' ')) + " rbps=max wbps=max riops=max wiops=max";
            case "cpu.cfs_quota_us" -> "-1";
            case "cpu.cfs_period_us" -> "100000";
            case "cpu.shares" -> "1024";
            default -> throw new IllegalStateException("no default known for " + hierarchy + " " + file);
        };
    }

    private static long number(String value) {
        if (value == null) return 0;
        return value.equals("max") ? Long.MAX_VALUE : Long.parseLong(value.strip());
    }

    // ---------------------------------------------------------------------------------------
    // Kill, freeze, wait.

    /**
     * SIGKILLs every process in the group and below it, through {@code cgroup.kill} (Linux 5.14),
     * which also catches processes forked while the kill runs. Returns at once; use
     * {@link #awaitEmpty(Duration)} to wait until they are gone.
     *
     * <p>On some kernels a killed group is spent for clone3 CLONE_INTO_CGROUP: every child later
     * born into it is SIGKILLed at birth (the launcher reports it as a failed spawn naming the
     * group). Which kernels do that is a matter of the build, not the version:
     * {@link CgroupRoot#birthAfterKill()} says what this one does. There, make a new group for the
     * next job; {@link CgroupPool} retires killed groups where it must and reuses them where it may.
     *
     * @throws CgroupSyscallException ENOENT naming cgroup.kill on kernels before 5.14
     */
    public void kill() throws CgroupException {
        ensureOpen();
        killed = true;
        v2.write("cgroup.kill", "1");
    }

    /** @return whether {@link #kill()} was ever called on this group (a pool may have to retire it) */
    boolean wasKilled() {
        return killed;
    }

    /**
     * Freezes the group ({@code cgroup.freeze}) and waits until the kernel reports {@code frozen 1}.
     *
     * @return whether it was frozen within the timeout
     */
    public boolean freeze(Duration timeout) throws CgroupException, InterruptedException {
        ensureOpen();
        v2.write("cgroup.freeze", "1");
        return awaitEvent("frozen", "1", timeout);
    }

    /**
     * Thaws the group and waits until the kernel reports {@code frozen 0}.
     *
     * @return whether it was thawed within the timeout
     */
    public boolean thaw(Duration timeout) throws CgroupException, InterruptedException {
        ensureOpen();
        v2.write("cgroup.freeze", "0");
        return awaitEvent("frozen", "0", timeout);
    }

    /** @return whether the kernel reports the group frozen ({@code frozen 1} in cgroup.events) */
    public boolean frozen() throws CgroupException {
        ensureOpen();
        return "1".equals(GroupDir.parseKeyed(v2.readHeld("cgroup.events")).get("frozen"));
    }

    /**
     * Waits until no live process is left in the group ({@code populated 0}).
     *
     * @return whether it emptied within the timeout
     * @throws GroupRemovedException when the group is removed while waiting
     */
    public boolean awaitEmpty(Duration timeout) throws CgroupException, InterruptedException {
        ensureOpen();
        return awaitEvent("populated", "0", timeout);
    }

    /**
     * Waits until {@code key} in cgroup.events has {@code value}. The watch is set before the
     * first read, so a change between the read and the poll is never missed.
     */
    private boolean awaitEvent(String key, String value, Duration timeout) throws CgroupException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int inotify;
        try {
            inotify = Fs.inotifyInit();
        } catch (SyscallException e) {
            throw new CgroupSyscallException(e);
        }
        try {
            try {
                Fs.inotifyAddWatch(inotify, v2.fd, "cgroup.events", Fs.IN_MODIFY, v2.shown("cgroup.events"));
            } catch (SyscallException e) {
                throw v2.translate(e);
            }
            for (;;) {
                if (value.equals(GroupDir.parseKeyed(v2.readHeld("cgroup.events")).get(key))) return true;
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                if (Thread.interrupted()) throw new InterruptedException("waiting for " + key + " " + value + " in " + v2.path);
                int slice = (int) Math.min(POLL_SLICE_MILLIS, Math.max(1, (left + 999_999) / 1_000_000));
                try {
                    if (Shim.pollReadable(inotify, slice)) Fs.drainInotify(inotify);
                } catch (SyscallException e) {
                    throw new CgroupSyscallException(e);
                }
            }
        } finally {
            Shim.close(inotify);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Removal.

    /**
     * Removes the group's directories (v1 first, then v2) and closes its fds. The group must be
     * empty: a populated group is EBUSY before any directory is touched, and stays open.
     *
     * @throws GroupRemovedException when someone else removed it already (the fds are closed)
     */
    public void remove() throws CgroupException {
        ensureOpen();
        boolean populated;
        try {
            populated = populated();
        } catch (GroupRemovedException gone) {
            // The v2 group was removed by someone else; its v1 twins (empty: every process is in
            // exactly one v2 group, and this one had none left) would otherwise stay behind.
            for (GroupDir dir : new LinkedHashSet<>(v1.values())) {
                try {
                    root.rmdir(dir, name);
                } catch (CgroupException e) {
                    gone.addSuppressed(e);
                }
            }
            close();
            throw gone;
        }
        if (populated) {
            throw new CgroupSyscallException(io.forkline.sys.shim.Errors.syscall("rmdir", Errno.EBUSY, v2.path.toString(),
                    "the group still has processes: kill() and awaitEmpty() first, or destroy()"));
        }
        CgroupException failure = null;
        for (GroupDir dir : new LinkedHashSet<>(v1.values())) {
            try {
                root.rmdir(dir, name);
            } catch (GroupRemovedException e) {
                if (failure == null) failure = e;
            }
        }
        try {
            root.rmdir(v2, name);
        } catch (GroupRemovedException e) {
            if (failure == null) failure = e;
        }
        close();
        if (failure != null) throw failure;
    }

    /**
     * Kills whatever is left in the group, waits until it is empty, and removes it.
     *
     * @throws CgroupSyscallException EBUSY when it did not empty within the timeout
     */
    public void destroy(Duration timeout) throws CgroupException, InterruptedException {
        ensureOpen();
        boolean populated;
        try {
            populated = populated();
        } catch (GroupRemovedException gone) {
            remove(); // removes the v1 twins left behind, then throws that the group is gone
            throw gone;
        }
        if (populated) {
            kill();
            if (!awaitEmpty(timeout)) {
                throw new CgroupSyscallException(io.forkline.sys.shim.Errors.syscall("rmdir", Errno.EBUSY, v2.path.toString(),
                        "still populated " + timeout.toMillis() + " ms after cgroup.kill"));
            }
        }
        remove();
    }

    /** Closes the group's directory fds; the group itself stays. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        root.forget(name, this);
        List<ProcsFile> procs = v1ProcsFiles;
        if (procs != null) {
            for (ProcsFile f : procs) Shim.close(f.fd());
        }
        memoryPeak.close();
        Set<GroupDir> all = new LinkedHashSet<>(v1.values());
        all.add(v2);
        for (GroupDir dir : all) dir.close();
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("cgroup " + v2.path + " is closed");
    }

    @Override
    public String toString() {
        return "cgroup " + v2.path + (v1.isEmpty() ? "" : " + v1 " + v1Paths().values());
    }
}
