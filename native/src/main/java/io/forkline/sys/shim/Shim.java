package io.forkline.sys.shim;

import io.forkline.sys.SyscallException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * The typed facade over {@code libforkline.so}: every call into it goes through {@link Natives}
 * (JNI), and every native {@code -errno} leaves through {@link Errors}.
 *
 * <p>The library ({@link NativeLibrary}) is checked to be the build these bindings expect
 * ({@code FL_ABI_VERSION}) and started with {@code fl_init}, which also decides whether clone3 is
 * usable, before any other call. The C functions return {@code -errno} themselves, so no errno is
 * read after the fact.
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
     * disposition survives execve). The JDK's children get SIGPIPE so since JDK-8364611 (25.0.3);
     * forkline's get SIGCHLD too, because a job that inherits an ignored SIGCHLD has its own
     * children reaped behind its back (a shell's {@code wait} then finds none). Every other
     * ignored signal stays ignored, as under {@code nohup}.
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
    /** The most events one {@link #epollWait} returns. */
    public static final int EPOLL_MAX_EVENTS = 256;
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

    private static final int ABI_VERSION = 8;

    /** Where the library was loaded from, for {@code forkline doctor}. */
    public static final String LIBRARY_SOURCE = NativeLibrary.SOURCE;

    private static final boolean CLONE3_USABLE;

    static {
        long abi = Natives.layout(0);
        if (abi != ABI_VERSION) {
            throw new IllegalStateException("libforkline.so from " + NativeLibrary.SOURCE + " does not match its Java "
                    + "bindings: FL_ABI_VERSION is " + abi + ", expected " + ABI_VERSION
                    + ": the jar and its native library come from different builds");
        }
        O_DIRECTORY = (int) Natives.layout(11);
        O_NOFOLLOW = (int) Natives.layout(12);
        int rc = Natives.init();
        if (rc < 0) {
            throw new IllegalStateException("libforkline.so could not start: " + (rc == -Errno.ENOENT
                    ? "the C library's environ was not found in this process" : "errno " + -rc));
        }
        CLONE3_USABLE = rc == 1;
    }

    private Shim() {}

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
        SpawnRequest request = new SpawnRequest(spec);
        int[] result = new int[6];
        int rc = Natives.spawn(request.strings, request.length, spec.argv().size(), spec.env() == null ? -1 : spec.env().size(),
                request.ints(), request.rlimits(), result);
        if (rc < 0) {
            int step = result[3];
            int detail = result[5];
            throw Errors.syscall(SpawnStep.syscall(step), rc, SpawnStep.path(step, detail, spec), SpawnStep.detail(step, detail));
        }
        return new Spawned(result[0], result[1], result[4]);
    }

    /** A spawn's arguments as {@link Natives#spawn} takes them: one block of strings and one of ints. */
    private static final class SpawnRequest {
        private byte[] strings = new byte[256];
        private int length;
        private final SpawnSpec spec;

        SpawnRequest(SpawnSpec spec) {
            this.spec = spec;
            add(spec.path());
            for (String arg : spec.argv()) add(arg);
            if (spec.env() != null) for (String entry : spec.env()) add(entry);
            if (spec.cwd() != null) add(spec.cwd());
        }

        private void add(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            if (length + bytes.length + 1 > strings.length) {
                strings = java.util.Arrays.copyOf(strings, Math.max(2 * strings.length, length + bytes.length + 1));
            }
            System.arraycopy(bytes, 0, strings, length, bytes.length);
            length += bytes.length + 1; // the array is zeroed: the NUL is already there
        }

        /** shimjni.c's {@code enum spawn_int}, then the fd map's pairs, the kept fds and the join fds. */
        int[] ints() {
            int[] fdMap = spec.fdMap();
            int[] keep = spec.keep();
            List<SpawnSpec.CgroupJoin> joins = spec.joinCgroups();
            int[] ints = new int[10 + fdMap.length + keep.length + joins.size()];
            ints[0] = spec.flags();
            ints[1] = spec.pgid();
            ints[2] = spec.parentDeathSignal();
            ints[3] = spec.umask();
            ints[4] = spec.cgroupFd();
            ints[5] = spec.unshareBelow();
            ints[6] = spec.cwd() != null ? 1 : 0;
            ints[7] = fdMap.length / 2;
            ints[8] = keep.length;
            ints[9] = joins.size();
            System.arraycopy(fdMap, 0, ints, 10, fdMap.length);
            System.arraycopy(keep, 0, ints, 10 + fdMap.length, keep.length);
            for (int i = 0; i < joins.size(); i++) ints[10 + fdMap.length + keep.length + i] = joins.get(i).procsFd();
            return ints;
        }

        long[] rlimits() {
            return spec.rlimits().length == 0 ? null : spec.rlimits();
        }
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
        long[] out = new long[6];
        int rc = Natives.reap(pidfd, out);
        if (rc == -Errno.EAGAIN) return null;
        if (rc < 0) throw Errors.syscall("waitid(P_PIDFD)", rc, null);
        return new ExitRecord((int) out[0], (int) out[1], (int) out[2], out[3], out[4], out[5]);
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
        int rc = Natives.pidfdSignal(pidfd, signal, wholeGroup ? 1 : 0);
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
        int[] fds = new int[2];
        int rc = Natives.pipe(fds);
        if (rc < 0) throw Errors.syscall("pipe2", rc, null);
        return fds;
    }

    /** Sets O_NONBLOCK on an fd. */
    public static void setNonBlocking(int fd) throws SyscallException {
        int rc = Natives.setNonBlocking(fd);
        if (rc < 0) throw Errors.syscall("fcntl(F_SETFL, O_NONBLOCK)", rc, null);
    }

    /**
     * Opens a file, always close-on-exec.
     *
     * @return the fd
     * @throws SyscallException from open, naming the path
     */
    public static int open(String path, int flags, int mode) throws SyscallException {
        int rc = Natives.open(path.getBytes(StandardCharsets.UTF_8), flags, mode);
        if (rc < 0) throw Errors.syscall("open", rc, path);
        return rc;
    }

    /** Closes an fd; an error is ignored because Linux has released the fd either way. */
    public static void close(int fd) {
        if (fd >= 0) Natives.close(fd);
    }

    /**
     * Reads into a direct buffer's first {@code length} bytes (its position and limit are not used).
     *
     * @return bytes read, 0 at end of file, or -1 when a non-blocking fd has nothing now
     * @throws SyscallException for any other error
     */
    public static long read(int fd, ByteBuffer direct, int length) throws SyscallException {
        Objects.checkFromIndexSize(0, length, direct.capacity());
        long rc = Natives.read(fd, direct, 0, length);
        if (rc >= 0) return rc;
        if (rc == -Errno.EAGAIN) return -1;
        throw Errors.syscall("read", rc, null);
    }

    /**
     * Writes a direct buffer's first {@code length} bytes (its position and limit are not used).
     *
     * @return bytes written, or -1 when a non-blocking fd is full now
     * @throws SyscallException for any other error, for example EPIPE when the reader is gone
     */
    public static long write(int fd, ByteBuffer direct, int length) throws SyscallException {
        Objects.checkFromIndexSize(0, length, direct.capacity());
        long rc = Natives.write(fd, direct, 0, length);
        if (rc >= 0) return rc;
        if (rc == -Errno.EAGAIN) return -1;
        throw Errors.syscall("write", rc, null);
    }

    /**
     * One write(2) of {@code bytes[offset, offset + length)}, or of its first 16 KiB when longer.
     *
     * @return bytes written, or -1 when a non-blocking fd is full now
     * @throws SyscallException for any other error, for example EPIPE when the reader is gone
     */
    public static long write(int fd, byte[] bytes, int offset, int length) throws SyscallException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        long rc = Natives.writeBytes(fd, bytes, offset, length);
        if (rc >= 0) return rc;
        if (rc == -Errno.EAGAIN) return -1;
        throw Errors.syscall("write", rc, null);
    }

    /** @return a new close-on-exec epoll fd */
    public static int epollCreate() throws SyscallException {
        int rc = Natives.epollCreate();
        if (rc < 0) throw Errors.syscall("epoll_create1", rc, null);
        return rc;
    }

    /** epoll_ctl with a 64-bit token as the event data. */
    public static void epollCtl(int epfd, int op, int fd, int events, long token) throws SyscallException {
        int rc = Natives.epollCtl(epfd, op, fd, events, token);
        if (rc < 0) throw Errors.syscall("epoll_ctl", rc, null);
    }

    /**
     * Waits for events; EINTR is retried in C.
     *
     * @param tokens receives the tokens
     * @param events receives the event masks
     * @return the number of events, at most the arrays' length and at most {@value #EPOLL_MAX_EVENTS}
     */
    public static int epollWait(int epfd, long[] tokens, int[] events, int timeoutMillis) throws SyscallException {
        int max = Math.min(EPOLL_MAX_EVENTS, Math.min(tokens.length, events.length));
        int rc = Natives.epollWait(epfd, tokens, events, max, timeoutMillis);
        if (rc < 0) throw Errors.syscall("epoll_wait", rc, null);
        return rc;
    }

    /** @return a new non-blocking, close-on-exec eventfd */
    public static int eventfd() throws SyscallException {
        int rc = Natives.eventfd();
        if (rc < 0) throw Errors.syscall("eventfd", rc, null);
        return rc;
    }

    /** @return a close-on-exec duplicate of {@code fd} */
    public static int dup(int fd) throws SyscallException {
        int rc = Natives.dup(fd);
        if (rc < 0) throw Errors.syscall("fcntl(F_DUPFD_CLOEXEC)", rc, null);
        return rc;
    }

    /** Makes {@code target} refer to what {@code fd} refers to, close-on-exec (dup3). */
    public static void dup3(int fd, int target) throws SyscallException {
        int rc = Natives.dup3(fd, target);
        if (rc < 0) throw Errors.syscall("dup3", rc, null);
    }

    /**
     * Blocks the calling (platform) thread until {@code fd} is readable.
     *
     * @param timeoutMillis -1 to wait without limit
     * @return whether it became readable before the timeout
     */
    public static boolean pollReadable(int fd, int timeoutMillis) throws SyscallException {
        int rc = Natives.pollReadable(fd, timeoutMillis);
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
            int rc = Natives.setLease(fd, F_RDLCK);
            if (rc == -Errno.EAGAIN) return true;
            if (rc < 0) throw Errors.syscall("fcntl(F_SETLEASE, F_RDLCK)", rc, path);
            rc = Natives.setLease(fd, F_UNLCK);
            if (rc < 0) throw Errors.syscall("fcntl(F_SETLEASE, F_UNLCK)", rc, path);
            return false;
        } finally {
            close(fd);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Introspection.

    /**
     * A direct buffer whose memory is freed by {@link #freeBuffer}, at once, rather than by the
     * garbage collector some time after it is unreachable.
     *
     * @throws SyscallException ENOMEM from mmap
     */
    public static ByteBuffer mapBuffer(int size) throws SyscallException {
        ByteBuffer buffer = Natives.mapBuffer(size);
        if (buffer == null) throw Errors.syscall("mmap", -Errno.ENOMEM, null, size + " bytes for a buffer");
        return buffer;
    }

    /** Frees a buffer from {@link #mapBuffer}: nothing may touch it, or a view of it, afterwards. */
    public static void freeBuffer(ByteBuffer buffer) {
        Natives.unmapBuffer(buffer);
    }

    /** @return bytes the shim's JNI side has mapped and not unmapped: buffers still out, and nothing else when idle */
    public static long mappedBytes() {
        return Natives.mappedBytes();
    }

    /** @return child stacks lent to a spawn now: 0 whenever no spawn is in progress */
    public static long liveChildStacks() {
        return counter(0);
    }

    /** @return child stacks the shim's pool holds: the most spawns ever in progress at once, at most 64 */
    public static long pooledChildStacks() {
        return counter(3);
    }

    /** @return spawns that took a fallback (clone or posix_spawn), or asked for posix_spawn, since load */
    public static long fallbackSpawns() {
        return counter(1);
    }

    private static long counter(int which) {
        return Natives.counter(which);
    }

    static String[] errnoText(int errno) {
        String symbol = Natives.errnoName(errno);
        return new String[] {symbol.isEmpty() ? "errno " + errno : symbol, Natives.errnoText(errno)};
    }
}
