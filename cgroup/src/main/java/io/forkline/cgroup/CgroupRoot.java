package io.forkline.cgroup;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.Fs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A cgroup subtree that forkline may manage, and the factory of the groups under it.
 *
 * <h2>Layout</h2>
 * cgroup v2 is the main path: the root is a directory on a cgroup2 mount, and every group is a
 * v2 group, so that kill ({@code cgroup.kill}, Linux 5.14), freeze ({@code cgroup.freeze} and
 * {@code frozen 1} in {@code cgroup.events}), waiting for empty ({@code populated 0}) and
 * clone3 CLONE_INTO_CGROUP (Linux 5.7) always go through v2: every process is in exactly one v2
 * group, also on hybrid hosts. A controller is driven on v2 when it is enabled in the root's
 * {@code cgroup.subtree_control}. On a hybrid host (this project's machines: cgroup2 at
 * /sys/fs/cgroup/unified with only hugetlb, v1 hierarchies beside it) the controllers bound to a
 * v1 hierarchy that forkline may drive there, {@linkplain Controller#drivenOnV1() pids and cpu},
 * get a parallel group of the same name in that hierarchy; they carry limits and accounting
 * only, and the caller joins its own child to them with {@link Cgroup#joinV1(int)}.
 * {@link #controllers()} says which path each controller takes, and every applied limit says
 * where it went ({@link AppliedLimit}).
 *
 * <p>memory and io are driven on v2 only. forkline never writes to a v1 memory hierarchy: on
 * hybrid hosts it belongs to the host's own supervisor. A limit whose controller is unavailable
 * is a {@link ControllerUnavailableException}, unless the caller marked it optional, in which
 * case it is reported as skipped: never a silent no-op.
 *
 * <h2>Paths</h2>
 * The root's directories are opened once by path (O_DIRECTORY|O_NOFOLLOW); from then on every
 * group and file is reached through directory fds ({@code mkdirat}, {@code openat},
 * {@code unlinkat}) with O_NOFOLLOW, and group names are single path components. So no string is
 * re-resolved, and a symlink can never send a write elsewhere.
 *
 * <h2>Where this comes from</h2>
 * Issue 4 and seed 004 (Yi Tao's cgroup pool: creating groups serializes on cgroup_mutex, which
 * is why groups will be pooled, and why cgroup v2 groups are recycled rather than renamed: v2
 * has no rename, kernfs answers EPERM). The facts are in DESIGN.md, "Facts checked against
 * primary sources".
 */
public final class CgroupRoot implements AutoCloseable {
    private static final int AT_FDCWD = -100;
    private static final int F_OK = 0;
    private static final Path PROC_MOUNTS = Path.of("/proc/self/mounts");

    private final GroupDir v2;
    /** The root's v1 directory per controller driven there (cpu and pids may share one). */
    private final Map<Controller, GroupDir> v1;
    private final Map<Controller, ControllerStatus> controllers;
    /** Root directories this object created (and so removes in {@link #destroy(Duration)}), with their parents. */
    private final List<GroupDir[]> created;
    private final Map<String, Cgroup> groups = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /**
     * Whether this kernel resets memory.peak per fd (Linux 6.12; see {@link MemoryPeak}): null
     * until a pooled group first tried, so that a kernel without the reset is asked once.
     */
    private volatile PeakReset memoryPeakReset;
    /** A fact of the running kernel, so one probe serves every root: null until first asked. */
    private static volatile BirthAfterKill.Probe birthAfterKill;

    /**
     * What the first reset of a memory.peak under this root found.
     *
     * @param works whether the kernel reset it
     * @param whyNot why not (the syscall and errno), or null when it works
     */
    record PeakReset(boolean works, String whyNot) {}

    private CgroupRoot(GroupDir v2, Map<Controller, GroupDir> v1, List<GroupDir[]> created) throws CgroupException {
        this.v2 = v2;
        this.v1 = v1;
        this.created = created;
        this.controllers = Collections.unmodifiableMap(discover(v2, v1));
    }

    // ---------------------------------------------------------------------------------------
    // Opening.

    /**
     * Creates (or opens, if it exists) the subtree {@code name} under this host's cgroup2 mount,
     * enables the v2 controllers it is offered, and, for pids and cpu where they are not on v2,
     * creates {@code name} in their v1 hierarchies too. {@link #destroy(Duration)} removes what
     * this call created.
     *
     * @param name a single path component
     * @throws UnusableRootException when the host has no cgroup2 mount, or a directory is unusable
     */
    public static CgroupRoot forThisHost(String name) throws CgroupException {
        Names.check(name);
        HostMounts mounts = HostMounts.read();
        if (mounts.v2 == null) {
            throw new UnusableRootException(PROC_MOUNTS.toString(), "no cgroup2 mount: forkline needs cgroup v2 "
                    + "(kill, freeze, wait and CLONE_INTO_CGROUP go through it), also on hybrid hosts", null);
        }
        List<GroupDir[]> created = new ArrayList<>();
        List<GroupDir> opened = new ArrayList<>();
        try {
            GroupDir v2Mount = openRootDir(mounts.v2, Hierarchy.V2);
            opened.add(v2Mount);
            GroupDir v2 = mkdirOrOpen(v2Mount, name, created);
            opened.add(v2);
            enableOfferedControllers(v2);
            Set<String> onV2 = words(v2.read("cgroup.subtree_control"));
            Map<Controller, GroupDir> v1 = new EnumMap<>(Controller.class);
            Map<Path, GroupDir> byMount = new LinkedHashMap<>();
            for (Controller c : Controller.values()) {
                if (!c.drivenOnV1() || onV2.contains(c.kernelName())) continue;
                Path mount = mounts.v1.get(c.kernelName());
                if (mount == null) continue;
                GroupDir dir = byMount.get(mount);
                if (dir == null) {
                    GroupDir parent = openRootDir(mount, Hierarchy.V1);
                    opened.add(parent);
                    dir = mkdirOrOpen(parent, name, created);
                    opened.add(dir);
                    byMount.put(mount, dir);
                }
                v1.put(c, dir);
            }
            return new CgroupRoot(v2, v1, created);
        } catch (CgroupException | RuntimeException e) {
            for (int i = created.size() - 1; i >= 0; i--) {
                GroupDir[] pair = created.get(i);
                try {
                    Fs.unlinkAt(pair[0].fd, pair[1].path.getFileName().toString(), Fs.AT_REMOVEDIR, pair[1].path.toString());
                } catch (SyscallException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            for (GroupDir dir : opened) dir.close();
            throw e;
        }
    }

    /**
     * Opens an existing delegated v2 directory as a root, with no v1 hierarchies.
     *
     * @throws UnusableRootException when it is not a cgroup2 directory, or not writable
     */
    public static CgroupRoot open(Path v2Directory) throws CgroupException {
        return open(v2Directory, Map.of());
    }

    /**
     * Opens existing delegated directories as a root: a v2 group, and v1 groups for the
     * controllers forkline drives on v1 (pids, cpu) where v2 lacks them.
     *
     * @param v2Directory a directory on a cgroup2 mount
     * @param v1Directories for {@link Controller#PIDS} and {@link Controller#CPU} only: a
     *     directory in that controller's v1 hierarchy
     * @throws UnusableRootException when a directory is not a cgroup of the right kind, or not writable
     * @throws IllegalArgumentException for a v1 directory of memory or io
     */
    public static CgroupRoot open(Path v2Directory, Map<Controller, Path> v1Directories) throws CgroupException {
        List<GroupDir> opened = new ArrayList<>();
        try {
            GroupDir v2 = openRootDir(v2Directory, Hierarchy.V2);
            opened.add(v2);
            Map<Controller, GroupDir> v1 = new EnumMap<>(Controller.class);
            Map<Path, GroupDir> byPath = new LinkedHashMap<>();
            for (Map.Entry<Controller, Path> e : v1Directories.entrySet()) {
                Controller c = e.getKey();
                if (!c.drivenOnV1()) {
                    throw new IllegalArgumentException("forkline drives " + c.kernelName() + " only on cgroup v2, "
                            + "never on a v1 hierarchy (" + e.getValue() + ")");
                }
                GroupDir dir = byPath.get(e.getValue());
                if (dir == null) {
                    dir = openRootDir(e.getValue(), Hierarchy.V1);
                    opened.add(dir);
                    byPath.put(e.getValue(), dir);
                }
                String marker = c == Controller.PIDS ? "pids.max" : "cpu.shares";
                if (!dir.has(marker)) {
                    throw new UnusableRootException(e.getValue().toString(), "not in the v1 " + c.kernelName()
                            + " hierarchy: it has no " + marker, null);
                }
                v1.put(c, dir);
            }
            return new CgroupRoot(v2, v1, List.of());
        } catch (CgroupException | RuntimeException e) {
            for (GroupDir dir : opened) dir.close();
            throw e;
        }
    }

    private static GroupDir openRootDir(Path path, Hierarchy hierarchy) throws CgroupException {
        if (!path.isAbsolute()) throw new IllegalArgumentException("a cgroup root must be an absolute path: " + path);
        int fd;
        try {
            fd = Fs.openDirAt(AT_FDCWD, path.toString(), path.toString());
        } catch (SyscallException e) {
            throw new UnusableRootException(path.toString(), e.getMessage(), e);
        }
        GroupDir dir = new GroupDir(fd, path, hierarchy);
        try {
            Fs.FsInfo info = Fs.fstatfs(fd, path.toString());
            long expected = hierarchy == Hierarchy.V2 ? Fs.CGROUP2_SUPER_MAGIC : Fs.CGROUP_SUPER_MAGIC;
            if (info.magic() != expected) {
                throw new UnusableRootException(path.toString(), "not a cgroup " + (hierarchy == Hierarchy.V2 ? "v2" : "v1")
                        + " directory: its filesystem is " + fsName(info.magic()) + ", expected " + fsName(expected), null);
            }
            if (info.readOnly()) {
                throw new UnusableRootException(path.toString(), "not writable: mounted read-only", null);
            }
            for (String file : List.of(".", "cgroup.procs")) {
                int rc = Fs.accessAt(fd, file, Fs.W_OK);
                if (rc < 0) {
                    throw new UnusableRootException(path.toString(), "not writable: " + path.resolve(file).normalize()
                            + ": " + io.forkline.sys.shim.Errors.name(-rc) + " (delegate it to this user, or run as root)", null);
                }
            }
            return dir;
        } catch (SyscallException e) {
            dir.close();
            throw new UnusableRootException(path.toString(), e.getMessage(), e);
        } catch (CgroupException | RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    private static GroupDir mkdirOrOpen(GroupDir parent, String name, List<GroupDir[]> created) throws CgroupException {
        boolean made;
        try {
            Fs.mkdirAt(parent.fd, name, 0755, parent.shown(name));
            made = true;
        } catch (SyscallException e) {
            if (e.errno() != Errno.EEXIST) throw new CgroupSyscallException(e);
            made = false;
        }
        GroupDir dir = GroupDir.openChild(parent, name);
        if (made) created.add(new GroupDir[] {parent, dir});
        return dir;
    }

    /** Enables, in the new root's subtree_control, the controllers forkline drives that its parent offers. */
    private static void enableOfferedControllers(GroupDir v2) throws CgroupException {
        Set<String> offered = words(v2.read("cgroup.controllers"));
        Set<String> enabled = words(v2.read("cgroup.subtree_control"));
        StringBuilder enable = new StringBuilder();
        for (Controller c : Controller.values()) {
            if (offered.contains(c.kernelName()) && !enabled.contains(c.kernelName())) {
                enable.append(enable.isEmpty() ? "" : " ").append('+').append(c.kernelName());
            }
        }
        // A refusal (EBUSY: the root holds processes) is reported by controllers(), not hidden.
        if (!enable.isEmpty()) {
            try {
                v2.writeRaw("cgroup.subtree_control", enable.toString());
            } catch (SyscallException ignored) {
                // discover() reads subtree_control again and says "offered but not enabled".
            }
        }
    }

    private static Map<Controller, ControllerStatus> discover(GroupDir v2, Map<Controller, GroupDir> v1) throws CgroupException {
        Set<String> offered = words(v2.read("cgroup.controllers"));
        Set<String> enabled = words(v2.read("cgroup.subtree_control"));
        Map<Controller, ControllerStatus> out = new EnumMap<>(Controller.class);
        for (Controller c : Controller.values()) {
            String name = c.kernelName();
            String v2State = enabled.contains(name)
                    ? "enabled in " + v2.shown("cgroup.subtree_control")
                    : offered.contains(name)
                            ? "offered in " + v2.shown("cgroup.controllers") + " but not enabled in cgroup.subtree_control"
                            : "not in " + v2.shown("cgroup.controllers") + " (\"" + String.join(" ", offered) + "\")";
            ControllerStatus status;
            if (enabled.contains(name)) {
                status = new ControllerStatus(c, Hierarchy.V2, v2.path, v2State);
            } else if (v1.containsKey(c)) {
                status = new ControllerStatus(c, Hierarchy.V1, v1.get(c).path, "cgroup v2: " + v2State + "; driven on the v1 "
                        + name + " hierarchy");
            } else if (c.drivenOnV1()) {
                status = new ControllerStatus(c, null, null, "cgroup v2: " + v2State + "; and no v1 " + name
                        + " hierarchy is mounted or was given");
            } else {
                status = new ControllerStatus(c, null, null, "cgroup v2: " + v2State + "; forkline drives " + name
                        + " only on cgroup v2" + (c == Controller.MEMORY ? " and never writes to a v1 memory hierarchy "
                        + "(on hybrid hosts it belongs to the host's supervisor)" : ""));
            }
            out.put(c, status);
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------
    // The root.

    /** @return the root's v2 directory */
    public Path v2Path() {
        return v2.path;
    }

    /** @return the root's v1 directory per controller driven on v1 (empty on a v2-only host) */
    public Map<Controller, Path> v1Paths() {
        Map<Controller, Path> out = new EnumMap<>(Controller.class);
        v1.forEach((c, dir) -> out.put(c, dir.path));
        return out;
    }

    /** @return every controller forkline knows, with where it is driven or why it cannot be */
    public Map<Controller, ControllerStatus> controllers() {
        return controllers;
    }

    /** @return the status of one controller */
    public ControllerStatus controller(Controller controller) {
        return controllers.get(controller);
    }

    /**
     * Checks where {@code limits} would go under this root without making a group: for a caller
     * that must refuse limits the host cannot apply before it starts anything.
     *
     * @return the optional limits that would be skipped here, with why
     * @throws ControllerUnavailableException for the first limit that is not optional and cannot be applied
     */
    public List<SkippedLimit> check(Limits limits) throws ControllerUnavailableException {
        return LimitPlan.of(this, limits).skipped();
    }

    /** @return the live groups created or opened through this root */
    public Set<String> groupNames() {
        return Set.copyOf(groups.keySet());
    }

    // ---------------------------------------------------------------------------------------
    // Groups.

    /** Creates a group with no limits. */
    public Cgroup create(String name) throws CgroupException {
        return create(name, Limits.NONE);
    }

    /**
     * Creates the group {@code name}: its v2 directory and, on hybrid hosts, its directory in each
     * v1 hierarchy of this root, then applies {@code limits}. Every controller is checked before
     * anything is made; if a write fails, the group is removed again, so nothing is half-made.
     *
     * @param name a single path component: not empty, not {@code .} or {@code ..}, no {@code /}
     * @throws ControllerUnavailableException when a non-optional limit cannot be applied here
     * @throws LimitWriteException when the kernel refused a value (the group is gone again)
     * @throws CgroupSyscallException from mkdir, for example EEXIST
     */
    public Cgroup create(String name, Limits limits) throws CgroupException {
        ensureOpen();
        Names.check(name);
        LimitPlan plan = LimitPlan.of(this, limits);
        List<GroupDir> made = new ArrayList<>();
        List<GroupDir> parents = new ArrayList<>();
        Cgroup group;
        try {
            parents.add(v2);
            made.add(mkdir(v2, name));
            Map<Controller, GroupDir> v1Groups = new EnumMap<>(Controller.class);
            Map<GroupDir, GroupDir> byParent = new LinkedHashMap<>();
            for (Map.Entry<Controller, GroupDir> e : v1.entrySet()) {
                GroupDir dir = byParent.get(e.getValue());
                if (dir == null) {
                    parents.add(e.getValue());
                    dir = mkdir(e.getValue(), name);
                    made.add(dir);
                    byParent.put(e.getValue(), dir);
                }
                v1Groups.put(e.getKey(), dir);
            }
            group = new Cgroup(this, name, made.get(0), v1Groups);
        } catch (CgroupException | RuntimeException e) {
            for (int i = made.size() - 1; i >= 0; i--) {
                try {
                    Fs.unlinkAt(parents.get(i).fd, name, Fs.AT_REMOVEDIR, made.get(i).path.toString());
                } catch (SyscallException suppressed) {
                    e.addSuppressed(suppressed);
                }
                made.get(i).close();
            }
            throw e;
        }
        groups.put(name, group);
        try {
            group.applyPlan(plan);
        } catch (CgroupException | RuntimeException e) {
            try {
                group.remove();
            } catch (CgroupException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return group;
    }

    /**
     * Opens an existing group {@code name} (for example one created by an earlier run). Its v1
     * directories are opened where they exist.
     */
    public Cgroup open(String name) throws CgroupException {
        ensureOpen();
        Names.check(name);
        GroupDir dir = GroupDir.openChild(v2, name);
        Map<Controller, GroupDir> v1Groups = new EnumMap<>(Controller.class);
        Map<GroupDir, GroupDir> byParent = new LinkedHashMap<>();
        try {
            for (Map.Entry<Controller, GroupDir> e : v1.entrySet()) {
                GroupDir child = byParent.get(e.getValue());
                if (child == null && e.getValue().has(name)) {
                    child = GroupDir.openChild(e.getValue(), name);
                    byParent.put(e.getValue(), child);
                }
                if (child != null) v1Groups.put(e.getKey(), child);
            }
        } catch (CgroupException | RuntimeException e) {
            dir.close();
            for (GroupDir child : byParent.values()) child.close();
            throw e;
        }
        Cgroup group = new Cgroup(this, name, dir, v1Groups);
        groups.put(name, group);
        return group;
    }

    /** @return whether the v2 directory has a group {@code name} */
    boolean hasV2Group(String name) {
        Names.check(name);
        return v2.has(name);
    }

    /**
     * Removes the v1 directories named {@code name} whose v2 twin is gone (a removal that was
     * interrupted between the two). They hold no process forkline put there.
     */
    void removeV1Leftovers(String name) throws CgroupException {
        Names.check(name);
        for (GroupDir parent : new java.util.LinkedHashSet<>(v1.values())) {
            if (!parent.has(name)) continue;
            try {
                Fs.unlinkAt(parent.fd, name, Fs.AT_REMOVEDIR, parent.shown(name));
            } catch (SyscallException e) {
                if (e.errno() != Errno.ENOENT) throw new CgroupSyscallException(e);
            }
        }
    }

    private static GroupDir mkdir(GroupDir parent, String name) throws CgroupException {
        try {
            Fs.mkdirAt(parent.fd, name, 0755, parent.shown(name));
        } catch (SyscallException e) {
            throw parent.translate(e);
        }
        return GroupDir.openChild(parent, name);
    }

    /** rmdir of {@code dir} under its root parent, by name. */
    void rmdir(GroupDir dir, String name) throws CgroupException {
        GroupDir parent = dir.hierarchy == Hierarchy.V2 ? v2 : parentOf(dir);
        try {
            Fs.unlinkAt(parent.fd, name, Fs.AT_REMOVEDIR, dir.path.toString());
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) throw new GroupRemovedException(dir.path.toString(), e);
            throw new CgroupSyscallException(e);
        }
    }

    private GroupDir parentOf(GroupDir v1Group) {
        for (GroupDir root : v1.values()) {
            if (v1Group.path.getParent().equals(root.path)) return root;
        }
        throw new IllegalStateException("no v1 root for " + v1Group.path);
    }

    void forget(String name, Cgroup group) {
        groups.remove(name, group);
    }

    GroupDir v2Dir() {
        return v2;
    }

    /**
     * What this kernel does to a child born into a group after {@code cgroup.kill}: probed once
     * per JVM, the first time it is asked, in an empty group of its own under this root that is
     * removed again ({@link BirthAfterKill}). A {@link CgroupPool} asks when a killed group comes
     * back, to know whether it can host another job.
     */
    public BirthAfterKill.Probe birthAfterKill() {
        BirthAfterKill.Probe found = birthAfterKill;
        if (found == null) {
            ensureOpen();
            found = BirthAfterKill.probe(v2);
            // Racing first probes find the same answer. An UNKNOWN is kept too: it is treated as
            // KILLED, which is right under both behaviours, and asking again would only repeat it.
            birthAfterKill = found;
        }
        return found;
    }

    /** @return whether memory.peak resets per fd here, and why not: null when no group has tried yet */
    PeakReset memoryPeakReset() {
        return memoryPeakReset;
    }

    /** Records what the first reset of a memory.peak found; the kernel's answer does not change. */
    void memoryPeakResetTried(PeakReset found) {
        if (memoryPeakReset == null) memoryPeakReset = found; // racing first tries find the same answer
    }

    // ---------------------------------------------------------------------------------------
    // Teardown.

    /**
     * Destroys every live group of this root ({@link Cgroup#destroy(Duration)}: kill, wait for
     * empty, remove), removes the root directories this object created, and closes it. Meant for
     * tests and shutdown; every step is tried, and the first failure is thrown with the rest suppressed.
     */
    public void destroy(Duration timeout) throws CgroupException, InterruptedException {
        CgroupException failure = null;
        for (Cgroup group : new ArrayList<>(groups.values())) {
            try {
                group.destroy(timeout);
            } catch (GroupRemovedException gone) {
                // someone else removed it already: nothing left to do
            } catch (CgroupException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        for (int i = created.size() - 1; i >= 0; i--) {
            GroupDir[] pair = created.get(i);
            try {
                Fs.unlinkAt(pair[0].fd, pair[1].path.getFileName().toString(), Fs.AT_REMOVEDIR, pair[1].path.toString());
            } catch (SyscallException e) {
                if (e.errno() == Errno.ENOENT) continue;
                if (failure == null) failure = new CgroupSyscallException(e);
                else failure.addSuppressed(e);
            }
        }
        close();
        if (failure != null) throw failure;
    }

    /** Closes the root's directory fds and those of its live groups; removes nothing. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Cgroup group : new ArrayList<>(groups.values())) group.close();
        Set<GroupDir> all = new HashSet<>();
        all.add(v2);
        all.addAll(v1.values());
        for (GroupDir[] pair : created) {
            all.add(pair[0]);
            all.add(pair[1]);
        }
        for (GroupDir dir : all) dir.close();
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("cgroup root " + v2.path + " is closed");
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("cgroup root ").append(v2.path);
        for (ControllerStatus s : controllers.values()) out.append("\n  ").append(s);
        return out.toString();
    }

    static Set<String> words(String text) {
        Set<String> out = new HashSet<>(Arrays.asList(text.strip().split("\\s+")));
        out.remove("");
        return out;
    }

    static String fsName(long magic) {
        if (magic == Fs.CGROUP2_SUPER_MAGIC) return "cgroup2 (0x63677270)";
        if (magic == Fs.CGROUP_SUPER_MAGIC) return "cgroup v1 (0x27e0eb)";
        String name = magic == 0x01021994L ? "tmpfs" : magic == 0xEF53L ? "ext4" : magic == 0x794c7630L ? "overlayfs"
                : magic == 0x62656572L ? "sysfs" : magic == 0x9fa0L ? "procfs" : magic == 0x58465342L ? "xfs"
                : magic == 0x9123683eL ? "btrfs" : "unknown";
        return name + " (0x" + Long.toHexString(magic) + ")";
    }

    /** The cgroup mounts of this host, from /proc/self/mounts. */
    private record HostMounts(Path v2, Map<String, Path> v1) {
        static HostMounts read() throws CgroupException {
            List<String> lines;
            try {
                lines = Files.readAllLines(PROC_MOUNTS);
            } catch (IOException e) {
                throw new UnusableRootException(PROC_MOUNTS.toString(), "cannot read the mount table: " + e, e);
            }
            Path v2 = null;
            Map<String, Path> v1 = new LinkedHashMap<>();
            for (String line : lines) {
                String[] f = line.split(" ");
                if (f.length < 4) continue;
                // Mount points escape spaces as \040; cgroup mounts never have them, but be exact.
                Path point = Path.of(f[1].replace("\\040", " "));
                if (f[2].equals("cgroup2") && v2 == null) {
                    v2 = point;
                } else if (f[2].equals("cgroup")) {
                    for (String option : f[3].split(",")) v1.putIfAbsent(option, point);
                }
            }
            return new HostMounts(v2, v1);
        }
    }
}
