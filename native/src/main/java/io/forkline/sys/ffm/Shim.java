package io.forkline.sys.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.forkline.sys.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The typed facade over {@code libforkline.so}. Every downcall handle lives here, built once, and
 * every native {@code -errno} leaves through {@link Errors}.
 *
 * <p>The library ({@link NativeLibrary}) is probed with {@code fl_init}, which also decides
 * whether clone3 is usable, and checked against the struct sizes and offsets this class assumes
 * ({@code forkline.h}) before any other call.
 *
 * <p>The C functions return {@code -errno} themselves, so no call needs
 * {@code Linker.Option.captureCallState("errno")}.
 */
public final class Shim {
    /** {@code setsid()} in the child. */
    public static final int FLAG_SETSID = 1;
    /** {@code setpgid(0, pgid)} in the child. */
    public static final int FLAG_SETPGID = 1 << 1;
    /** Apply the umask. */
    public static final int FLAG_UMASK = 1 << 2;
    /** Be born in the cgroup given by its directory fd (clone3 CLONE_INTO_CGROUP). */
    public static final int FLAG_INTO_CGROUP = 1 << 3;
    /** Take the posix_spawn path even though clone3 works. */
    public static final int FLAG_FORCE_POSIX_SPAWN = 1 << 4;
    /**
     * Born sharing the fd table (CLONE_FILES); the child's first act unshares only the fds below
     * {@link SpawnSpec#unshareBelow()}, so the JVM's other fds are neither copied nor closed.
     */
    public static final int FLAG_SHARE_FD_TABLE = 1 << 5;
    /**
     * SIGPIPE and SIGCHLD back to SIG_DFL in the child, even where the JVM ignores them (a native
     * library's {@code signal(SIGPIPE, SIG_IGN)} would otherwise reach every job, since an ignored
     * disposition survives execve): what the JDK's children get since JDK-8364611 (25.0.3). Every
     * other ignored signal stays ignored, as under {@code nohup}.
     */
    public static final int FLAG_DEFAULT_PIPE_CHLD = 1 << 11;

    /** {@code EPOLL_CTL_ADD}. */
    public static final int EPOLL_CTL_ADD = 1;
    /** {@code EPOLL_CTL_DEL}. */
    public static final int EPOLL_CTL_DEL = 2;
    /** {@code EPOLL_CTL_MOD}. */
    public static final int EPOLL_CTL_MOD = 3;
    /** {@code EPOLLIN}. */
    public static final int EPOLLIN = 0x001;
    /** {@code EPOLLOUT}. */
    public static final int EPOLLOUT = 0x004;
    /** {@code EPOLLERR}. */
    public static final int EPOLLERR = 0x008;
    /** {@code EPOLLHUP}. */
    public static final int EPOLLHUP = 0x010;
    /** {@code EPOLLONESHOT}. */
    public static final int EPOLLONESHOT = 1 << 30;

    /** {@code O_RDONLY}. */
    public static final int O_RDONLY = 0;
    /** {@code O_WRONLY}. */
    public static final int O_WRONLY = 1;
    /** {@code O_RDWR}. */
    public static final int O_RDWR = 2;
    /** {@code O_CREAT}. */
    public static final int O_CREAT = 0100;
    /** {@code O_TRUNC}. */
    public static final int O_TRUNC = 01000;
    /** {@code O_APPEND}. */
    public static final int O_APPEND = 02000;
    /** {@code O_DIRECTORY}: its value differs by architecture, so the library says what it is. */
    public static final int O_DIRECTORY;
    /** {@code O_NOFOLLOW}: as {@link #O_DIRECTORY}. */
    public static final int O_NOFOLLOW;

    private static final int ABI_VERSION = 6;
    private static final long REQUEST_SIZE = 112;
    private static final long RESULT_SIZE = 24;
    private static final long EXIT_SIZE = 40;
    private static final long RLIMIT_SIZE = 24;

    /** Where the library was loaded from, for {@code forkline doctor}. */
    public static final String LIBRARY_SOURCE = NativeLibrary.SOURCE;

    private static final MethodHandle INIT = NativeLibrary.blocking("fl_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPAWN = NativeLibrary.blocking("fl_spawn", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle REAP = NativeLibrary.quick("fl_reap", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SET_NONBLOCKING =
            NativeLibrary.quick("fl_set_nonblocking", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle OPEN =
            NativeLibrary.blocking("fl_open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle CLOSE = NativeLibrary.quick("fl_close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ =
            NativeLibrary.quick("fl_read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE =
            NativeLibrary.quick("fl_write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle EPOLL_CREATE = NativeLibrary.quick("fl_epoll_create", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle EPOLL_CTL = NativeLibrary.quick(
            "fl_epoll_ctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle EPOLL_WAIT = NativeLibrary.blocking(
            "fl_epoll_wait", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle EVENTFD = NativeLibrary.quick("fl_eventfd", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle DUP = NativeLibrary.quick("fl_dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle POLL_READABLE =
            NativeLibrary.blocking("fl_poll_readable", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle LAYOUT = NativeLibrary.quick("fl_layout", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    private static final MethodHandle COUNTER = NativeLibrary.quick("fl_counter", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));

    // Each signature costs a few milliseconds to link at start-up (a binding class and a stub),
    // so the downcalls that starting and reaping a child with inherited stdio never makes are
    // linked on first use, each in a holder class of its own; a static final there is as
    // constant to the JIT as one here.
    private static final class PidfdSignal {
        static final MethodHandle HANDLE =
                NativeLibrary.quick("fl_pidfd_signal", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Pipe {
        static final MethodHandle HANDLE = NativeLibrary.quick("fl_pipe", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    private static final class Dup3 {
        static final MethodHandle HANDLE = NativeLibrary.quick("fl_dup3", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class SetLease {
        static final MethodHandle HANDLE = NativeLibrary.quick("fl_set_lease", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class ErrnoText {
        static final MethodHandle HANDLE = NativeLibrary.quick(
                "fl_errno_text", FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final boolean CLONE3_USABLE;

    static {
        verifyLayout();
        // Linked later, but a library without them is refused now, like one without the others.
        NativeLibrary.requireSymbols("fl_pidfd_signal", "fl_pipe", "fl_dup3", "fl_errno_text", "fl_set_lease",
                "fl_pidfd_open", "fl_wait_pid");
        O_DIRECTORY = (int) layout(11);
        O_NOFOLLOW = (int) layout(12);
        try {
            CLONE3_USABLE = (int) INIT.invokeExact(NativeLibrary.environ()) == 1;
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }

    private Shim() {}

    private static void verifyLayout() {
        long[][] expected = {
            {0, ABI_VERSION}, {1, REQUEST_SIZE}, {2, RESULT_SIZE}, {3, EXIT_SIZE}, {4, 8}, {5, RLIMIT_SIZE},
            {6, 84}, {7, 32}, {8, 88}, {9, 96}, {10, 104},
        };
        String[] names = {
            "FL_ABI_VERSION", "sizeof(fl_spawn_request)", "sizeof(fl_spawn_result)", "sizeof(fl_exit)",
            "sizeof(fl_fd_map)", "sizeof(fl_rlimit)", "offsetof(fl_spawn_request, cgroup_fd)",
            "offsetof(fl_exit, maxrss_kb)", "offsetof(fl_spawn_request, unshare_below)",
            "offsetof(fl_spawn_request, join_cgroup_fds)", "offsetof(fl_spawn_request, search_path)",
        };
        for (long[] item : expected) {
            long actual = layout((int) item[0]);
            if (actual != item[1]) {
                throw new IllegalStateException("libforkline.so from " + NativeLibrary.SOURCE + " does not match "
                        + "its Java bindings: " + names[(int) item[0]] + " is " + actual + ", expected " + item[1]);
            }
        }
    }

    private static long layout(int item) {
        try {
            return (long) LAYOUT.invokeExact(item);
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Spawning.

    /** @return whether spawns use clone3; {@code false} means they take the clone(2) fallback */
    public static boolean clone3Usable() {
        return CLONE3_USABLE && counter(2) == 1;
    }

    /**
     * Starts a child.
     *
     * @param spec what to start, already validated
     * @return the child's pid and pidfd
     * @throws SyscallException naming the step that failed: clone3, a step in the child (setsid,
     *     dup3, close_range, chdir, prlimit64, execve, ...) or the posix_spawn fallback
     */
    public static Spawned spawn(SpawnSpec spec) throws SyscallException {
        if ((spec.flags() & FLAG_FORCE_POSIX_SPAWN) != 0) {
            FORCED_POSIX_SPAWNS.incrementAndGet();
            return PosixSpawn.spawn(spec);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment request = arena.allocate(REQUEST_SIZE, 8);
            request.set(ADDRESS, 0, arena.allocateFrom(spec.path()));
            request.set(ADDRESS, 8, cStrings(arena, spec.argv()));
            request.set(ADDRESS, 16, spec.env() == null ? MemorySegment.NULL : cStrings(arena, spec.env()));
            request.set(ADDRESS, 24, spec.cwd() == null ? MemorySegment.NULL : arena.allocateFrom(spec.cwd()));
            int[] fdMap = spec.fdMap();
            request.set(ADDRESS, 32, fdMap.length == 0 ? MemorySegment.NULL : arena.allocateFrom(JAVA_INT, fdMap));
            int[] keep = spec.keep();
            request.set(ADDRESS, 40, keep.length == 0 ? MemorySegment.NULL : arena.allocateFrom(JAVA_INT, keep));
            long[] rlimits = spec.rlimits();
            int rlimitCount = rlimits.length / 3;
            if (rlimitCount > 0) {
                MemorySegment limits = arena.allocate(RLIMIT_SIZE * rlimitCount, 8);
                for (int i = 0; i < rlimitCount; i++) {
                    long base = i * RLIMIT_SIZE;
                    limits.set(JAVA_INT, base, (int) rlimits[3 * i]);
                    limits.set(JAVA_LONG, base + 8, rlimits[3 * i + 1]);
                    limits.set(JAVA_LONG, base + 16, rlimits[3 * i + 2]);
                }
                request.set(ADDRESS, 48, limits);
            } else {
                request.set(ADDRESS, 48, MemorySegment.NULL);
            }
            request.set(JAVA_INT, 56, fdMap.length / 2);
            request.set(JAVA_INT, 60, keep.length);
            request.set(JAVA_INT, 64, rlimitCount);
            request.set(JAVA_INT, 68, spec.flags());
            request.set(JAVA_INT, 72, spec.pgid());
            request.set(JAVA_INT, 76, spec.parentDeathSignal());
            request.set(JAVA_INT, 80, spec.umask());
            request.set(JAVA_INT, 84, spec.cgroupFd());
            request.set(JAVA_INT, 88, spec.unshareBelow());
            List<SpawnSpec.CgroupJoin> joins = spec.joinCgroups();
            request.set(JAVA_INT, 92, joins.size());
            if (joins.isEmpty()) {
                request.set(ADDRESS, 96, MemorySegment.NULL);
            } else {
                MemorySegment fds = arena.allocate(JAVA_INT, joins.size());
                for (int i = 0; i < joins.size(); i++) fds.setAtIndex(JAVA_INT, i, joins.get(i).procsFd());
                request.set(ADDRESS, 96, fds);
            }

            MemorySegment result = arena.allocate(RESULT_SIZE, 4);
            int rc = (int) SPAWN.invokeExact(request, result);
            if (rc < 0) {
                int step = result.get(JAVA_INT, 12);
                int detail = result.get(JAVA_INT, 20);
                if (step == CLONE_STEP && (rc == -Errno.ENOSYS || rc == -Errno.EPERM)
                        && result.get(JAVA_INT, 16) == Spawned.CLONE) {
                    // clone3 and then clone refused (a seccomp filter): the C library's posix_spawn is
                    // left. The shim has counted this spawn as a fallback already.
                    return PosixSpawn.spawn(spec);
                }
                throw Errors.syscall(SpawnStep.syscall(step), rc, SpawnStep.path(step, detail, spec), SpawnStep.detail(step));
            }
            return new Spawned(result.get(JAVA_INT, 0), result.get(JAVA_INT, 4), result.get(JAVA_INT, 16));
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("fl_spawn", t);
        }
    }

    /** {@code FL_STEP_CLONE}. */
    private static final int CLONE_STEP = 1;
    /** Spawns that asked for posix_spawn: fallbacks too, as the shim counts the ones it takes. */
    private static final AtomicLong FORCED_POSIX_SPAWNS = new AtomicLong();

    private static MemorySegment cStrings(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS.byteSize() * (strings.size() + 1L), 8);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    // ---------------------------------------------------------------------------------------
    // Exits and signals.

    /**
     * Reaps a child whose pidfd became readable.
     *
     * @param pidfd the child's pidfd (not closed by this call)
     * @return how it ended, or {@code null} if it has not exited after all
     * @throws SyscallException from waitid
     */
    public static ExitRecord reap(int pidfd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(EXIT_SIZE, 8);
            int rc = (int) REAP.invokeExact(pidfd, out);
            if (rc == -Errno.EAGAIN) return null;
            if (rc < 0) throw Errors.syscall("waitid(P_PIDFD)", rc, null);
            return new ExitRecord(out.get(JAVA_INT, 0), out.get(JAVA_INT, 4), out.get(JAVA_INT, 8),
                    out.get(JAVA_LONG, 16), out.get(JAVA_LONG, 24), out.get(JAVA_LONG, 32));
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("fl_reap", t);
        }
    }

    /**
     * Sends a signal through a pidfd, so that a recycled pid is never hit.
     *
     * @param pidfd the child's pidfd
     * @param signal the signal number
     * @param wholeGroup send to the child's whole process group (PIDFD_SIGNAL_PROCESS_GROUP)
     * @return 0, or {@code -ESRCH} when the child has already exited
     * @throws SyscallException for any other error
     */
    public static int pidfdSignal(int pidfd, int signal, boolean wholeGroup) throws SyscallException {
        int rc = callInt(PidfdSignal.HANDLE, pidfd, signal, wholeGroup ? 1 : 0);
        if (rc == -Errno.ESRCH || rc >= 0) return rc;
        throw Errors.syscall("pidfd_send_signal", rc, null, "signal " + signal);
    }

    // ---------------------------------------------------------------------------------------
    // fds.

    /**
     * @return a pipe, both ends close-on-exec: {read, write}
     * @throws SyscallException from pipe2, for example EMFILE
     */
    public static int[] pipe() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int rc = (int) Pipe.HANDLE.invokeExact(fds);
            if (rc < 0) throw Errors.syscall("pipe2", rc, null);
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("fl_pipe", t);
        }
    }

    /** Sets O_NONBLOCK on an fd. */
    public static void setNonBlocking(int fd) throws SyscallException {
        int rc = callInt(SET_NONBLOCKING, fd);
        if (rc < 0) throw Errors.syscall("fcntl(F_SETFL, O_NONBLOCK)", rc, null);
    }

    /**
     * Opens a file, always close-on-exec.
     *
     * @return the fd
     * @throws SyscallException from open, naming the path
     */
    public static int open(String path, int flags, int mode) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) OPEN.invokeExact(arena.allocateFrom(path), flags, mode);
            if (rc < 0) throw Errors.syscall("open", rc, path);
            return rc;
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("fl_open", t);
        }
    }

    /** Closes an fd; an error is ignored because Linux has released the fd either way. */
    public static void close(int fd) {
        if (fd >= 0) callInt(CLOSE, fd);
    }

    /**
     * @return bytes read, 0 at end of file, or -1 when a non-blocking fd has nothing now
     * @throws SyscallException for any other error
     */
    public static long read(int fd, MemorySegment buffer, long length) throws SyscallException {
        long rc = callLong(READ, fd, buffer, length);
        if (rc >= 0) return rc;
        if (rc == -Errno.EAGAIN) return -1;
        throw Errors.syscall("read", rc, null);
    }

    /**
     * @return bytes written, or -1 when a non-blocking fd is full now
     * @throws SyscallException for any other error, for example EPIPE when the reader is gone
     */
    public static long write(int fd, MemorySegment buffer, long length) throws SyscallException {
        long rc = callLong(WRITE, fd, buffer, length);
        if (rc >= 0) return rc;
        if (rc == -Errno.EAGAIN) return -1;
        throw Errors.syscall("write", rc, null);
    }

    /** @return a new close-on-exec epoll fd */
    public static int epollCreate() throws SyscallException {
        int rc = callInt(EPOLL_CREATE);
        if (rc < 0) throw Errors.syscall("epoll_create1", rc, null);
        return rc;
    }

    /** epoll_ctl with a 64-bit token as the event data. */
    public static void epollCtl(int epfd, int op, int fd, int events, long token) throws SyscallException {
        int rc;
        try {
            rc = (int) EPOLL_CTL.invokeExact(epfd, op, fd, events, token);
        } catch (Throwable t) {
            throw new AssertionError("fl_epoll_ctl", t);
        }
        if (rc < 0) throw Errors.syscall("epoll_ctl", rc, null);
    }

    /**
     * Waits for events; EINTR is retried in C.
     *
     * @param tokens receives the tokens, {@code max} longs
     * @param events receives the event masks, {@code max} ints
     * @return the number of events
     */
    public static int epollWait(int epfd, MemorySegment tokens, MemorySegment events, int max, int timeoutMillis)
            throws SyscallException {
        int rc;
        try {
            rc = (int) EPOLL_WAIT.invokeExact(epfd, tokens, events, max, timeoutMillis);
        } catch (Throwable t) {
            throw new AssertionError("fl_epoll_wait", t);
        }
        if (rc < 0) throw Errors.syscall("epoll_wait", rc, null);
        return rc;
    }

    /** @return a new non-blocking, close-on-exec eventfd */
    public static int eventfd() throws SyscallException {
        int rc = callInt(EVENTFD);
        if (rc < 0) throw Errors.syscall("eventfd", rc, null);
        return rc;
    }

    /** @return a close-on-exec duplicate of {@code fd} */
    public static int dup(int fd) throws SyscallException {
        int rc = callInt(DUP, fd);
        if (rc < 0) throw Errors.syscall("fcntl(F_DUPFD_CLOEXEC)", rc, null);
        return rc;
    }

    /** Makes {@code target} refer to what {@code fd} refers to, close-on-exec (dup3). */
    public static void dup3(int fd, int target) throws SyscallException {
        int rc;
        try {
            rc = (int) Dup3.HANDLE.invokeExact(fd, target);
        } catch (Throwable t) {
            throw new AssertionError("fl_dup3", t);
        }
        if (rc < 0) throw Errors.syscall("dup3", rc, null);
    }

    /**
     * Blocks the calling (platform) thread until {@code fd} is readable.
     *
     * @param timeoutMillis -1 to wait without limit
     * @return whether it became readable before the timeout
     */
    public static boolean pollReadable(int fd, int timeoutMillis) throws SyscallException {
        int rc;
        try {
            rc = (int) POLL_READABLE.invokeExact(fd, timeoutMillis);
        } catch (Throwable t) {
            throw new AssertionError("fl_poll_readable", t);
        }
        if (rc < 0) throw Errors.syscall("poll", rc, null);
        return rc > 0;
    }

    /** {@code F_RDLCK} for {@code F_SETLEASE}. */
    private static final int F_RDLCK = 0;
    /** {@code F_UNLCK} for {@code F_SETLEASE}. */
    private static final int F_UNLCK = 2;

    /**
     * Whether any process still has the file open for writing. Linux grants a read lease
     * ({@code fcntl(F_SETLEASE, F_RDLCK)}) only when no fd open for writing refers to the file,
     * in any process, so taking one and dropping it at once is an exact test; nothing else
     * answers it without walking every process's fds.
     *
     * @return true when some fd open for writing refers to the file
     * @throws SyscallException from open (ENOENT when it is gone) or fcntl, for example EINVAL on
     *     a filesystem without leases or with leases turned off ({@code fs.leases-enable})
     */
    public static boolean openForWriting(String path) throws SyscallException {
        int fd = open(path, O_RDONLY | O_NOFOLLOW, 0);
        try {
            int rc = (int) SetLease.HANDLE.invokeExact(fd, F_RDLCK);
            if (rc == -Errno.EAGAIN) return true;
            if (rc < 0) throw Errors.syscall("fcntl(F_SETLEASE, F_RDLCK)", rc, path);
            rc = (int) SetLease.HANDLE.invokeExact(fd, F_UNLCK);
            if (rc < 0) throw Errors.syscall("fcntl(F_SETLEASE, F_UNLCK)", rc, path);
            return false;
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("fl_set_lease", t);
        } finally {
            close(fd);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Introspection.

    /** @return child stacks lent to a spawn now: 0 whenever no spawn is in progress */
    public static long liveChildStacks() {
        return counter(0);
    }

    /** @return child stacks the shim's pool holds: the most spawns ever in progress at once, at most 64 */
    public static long pooledChildStacks() {
        return counter(3);
    }

    /** @return spawns that took a fallback (clone or posix_spawn) since load */
    public static long fallbackSpawns() {
        return counter(1) + FORCED_POSIX_SPAWNS.get();
    }

    private static long counter(int which) {
        return callLong(COUNTER, which);
    }

    static String[] errnoText(int errno) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(64);
            MemorySegment text = arena.allocate(256);
            ErrnoText.HANDLE.invokeExact(errno, name, 64, text, 256);
            String symbol = name.getString(0);
            return new String[] {symbol.isEmpty() ? "errno " + errno : symbol, text.getString(0)};
        } catch (Throwable t) {
            throw new AssertionError("fl_errno_text", t);
        }
    }

    // invokeExact needs exact static types, so these small adapters keep the call sites readable.
    private static int callInt(MethodHandle handle, int a) {
        try {
            return (int) handle.invokeExact(a);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static int callInt(MethodHandle handle) {
        try {
            return (int) handle.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static int callInt(MethodHandle handle, int a, int b, int c) {
        try {
            return (int) handle.invokeExact(a, b, c);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static long callLong(MethodHandle handle, int a) {
        try {
            return (long) handle.invokeExact(a);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static long callLong(MethodHandle handle, int fd, MemorySegment buffer, long length) {
        try {
            return (long) handle.invokeExact(fd, buffer, length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
