package io.forkline.sys.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.forkline.sys.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * A spawn through the C library's own {@code posix_spawn}: what {@code Command.usePosixSpawn()}
 * asks for, and the last resort when a seccomp filter refuses both clone3 and clone. The shim
 * links no C library (so that it loads under any glibc and under musl), so this path calls the
 * process's C library directly, through FFM's default lookup: glibc or musl, whichever the JVM
 * runs on.
 *
 * <p>posix_spawn cannot express rlimits, a umask, a parent-death signal, a cgroup or the drop-in
 * agent's exec semantics; a spec that asks for one fails with ENOTSUP rather than having it
 * silently dropped. The fd layout is the clone3 child's (sources that are also targets are
 * parked above every fd first), expressed as file actions. The child gets a pidfd with
 * {@code pidfd_open} after the spawn: nobody but the caller reaps it, so its pid cannot be
 * recycled in between.
 *
 * <p>Every handle is linked on first use: a JVM that never takes this path pays nothing for it.
 */
final class PosixSpawn {
    /** Flags that posix_spawn cannot honour. */
    private static final int UNSUPPORTED_FLAGS = Shim.FLAG_UMASK | Shim.FLAG_INTO_CGROUP;
    /** {@code POSIX_SPAWN_*}: the same values in glibc and musl. */
    private static final short SETPGROUP = 0x02;
    private static final short SETSIGDEF = 0x04;
    private static final short SETSIGMASK = 0x08;
    private static final short SETSID = 0x80;
    private static final int SIG_SETMASK = 2;
    /** Room for posix_spawn_file_actions_t and posix_spawnattr_t (80 and 336 bytes in glibc and
     * musl on 64-bit hosts) and for a sigset_t (128 bytes), with a margin. */
    private static final long OPAQUE_BYTES = 1024;
    private static final long SIGSET_BYTES = 256;

    private PosixSpawn() {}

    /** The C library's functions, linked when the first posix_spawn is asked for. */
    private static final class Libc {
        static final MethodHandle ACTIONS_INIT = NativeLibrary.libc("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle ACTIONS_DESTROY = NativeLibrary.libc("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle ADD_DUP2 = NativeLibrary.libc("posix_spawn_file_actions_adddup2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        static final MethodHandle ADD_CLOSE = NativeLibrary.libc("posix_spawn_file_actions_addclose", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        /** glibc 2.29 and musl 1.1.24; null in an older C library, where a cwd is refused. */
        static final MethodHandle ADD_CHDIR = NativeLibrary.libcIfPresent("posix_spawn_file_actions_addchdir_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        /** glibc 2.34; null elsewhere, where only the parked copies are closed (everything else
         * forkline opens is close-on-exec anyway). */
        static final MethodHandle ADD_CLOSEFROM = NativeLibrary.libcIfPresent("posix_spawn_file_actions_addclosefrom_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle ATTR_INIT = NativeLibrary.libc("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle ATTR_DESTROY = NativeLibrary.libc("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SET_FLAGS = NativeLibrary.libc("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
        static final MethodHandle SET_PGROUP = NativeLibrary.libc("posix_spawnattr_setpgroup", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle SET_SIGDEFAULT = NativeLibrary.libc("posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle SET_SIGMASK = NativeLibrary.libc("posix_spawnattr_setsigmask", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle SIGFILLSET = NativeLibrary.libc("sigfillset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle PTHREAD_SIGMASK = NativeLibrary.libc("pthread_sigmask", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle SPAWN = NativeLibrary.libcBlocking("posix_spawn",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle PIDFD_OPEN = NativeLibrary.quick("fl_pidfd_open", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle WAIT_PID = NativeLibrary.blocking("fl_wait_pid", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    /** @return the child, with {@link Spawned#POSIX_SPAWN} as its method */
    static Spawned spawn(SpawnSpec spec) throws SyscallException {
        if (spec.rlimits().length > 0 || (spec.flags() & UNSUPPORTED_FLAGS) != 0 || spec.parentDeathSignal() != 0
                || !spec.joinCgroups().isEmpty()
                || (spec.cwd() != null && Libc.ADD_CHDIR == null)) {
            String why = spec.cwd() != null && Libc.ADD_CHDIR == null
                    ? "this C library's posix_spawn cannot change the working directory (no posix_spawn_file_actions_addchdir_np)"
                    : SpawnStep.detail(SpawnStep.UNSUPPORTED);
            throw Errors.syscall("posix_spawn", -Errno.ENOTSUP, null, why);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(OPAQUE_BYTES, 16);
            MemorySegment attr = arena.allocate(OPAQUE_BYTES, 16);
            check((int) Libc.ACTIONS_INIT.invokeExact(actions), spec);
            try {
                check((int) Libc.ATTR_INIT.invokeExact(attr), spec);
                try {
                    addFileActions(arena, actions, spec);
                    setAttributes(arena, attr, spec);
                    MemorySegment pid = arena.allocate(JAVA_INT);
                    MemorySegment envp = spec.env() == null
                            ? NativeLibrary.environ().get(ADDRESS, 0)
                            : cStrings(arena, spec.env());
                    int err = (int) Libc.SPAWN.invokeExact(pid, arena.allocateFrom(spec.path()), actions, attr,
                            cStrings(arena, spec.argv()), envp);
                    check(err, spec);
                    return withPidfd(pid.get(JAVA_INT, 0), spec);
                } finally {
                    int ignored = (int) Libc.ATTR_DESTROY.invokeExact(attr);
                }
            } finally {
                int ignored = (int) Libc.ACTIONS_DESTROY.invokeExact(actions);
            }
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("posix_spawn", t);
        }
    }

    /** The clone3 child's two-pass fd shuffle (forkline.c, child_map_fds) as file actions. */
    private static void addFileActions(Arena arena, MemorySegment actions, SpawnSpec spec) throws Throwable {
        int[] map = spec.fdMap();
        int pairs = map.length / 2;
        int highestTarget = 2;
        int highestFd = 2;
        for (int i = 0; i < pairs; i++) {
            highestTarget = Math.max(highestTarget, map[2 * i + 1]);
            highestFd = Math.max(highestFd, map[2 * i]);
        }
        highestFd = Math.max(highestFd, highestTarget);
        // Scratch fds above every source and target, so that parking one clobbers nothing still needed.
        int spare = highestFd + 1;
        for (int i = 0; i < pairs; i++) {
            if (parked(map, i, highestTarget)) check((int) Libc.ADD_DUP2.invokeExact(actions, map[2 * i], spare + i), spec);
        }
        for (int i = 0; i < pairs; i++) {
            int source = parked(map, i, highestTarget) ? spare + i : map[2 * i];
            // glibc 2.29 and later, and musl, clear FD_CLOEXEC when source == target.
            check((int) Libc.ADD_DUP2.invokeExact(actions, source, map[2 * i + 1]), spec);
        }
        // With no fd to keep above 2, closefrom(3) also closes the parked copies. Otherwise only
        // the parked copies are closed: everything forkline opens is close-on-exec anyway.
        if (spec.keep().length == 0 && Libc.ADD_CLOSEFROM != null) {
            check((int) Libc.ADD_CLOSEFROM.invokeExact(actions, 3), spec);
        } else {
            for (int i = 0; i < pairs; i++) {
                if (parked(map, i, highestTarget)) check((int) Libc.ADD_CLOSE.invokeExact(actions, spare + i), spec);
            }
        }
        if (spec.cwd() != null) check((int) Libc.ADD_CHDIR.invokeExact(actions, arena.allocateFrom(spec.cwd())), spec);
    }

    private static boolean parked(int[] map, int i, int highestTarget) {
        return map[2 * i] != map[2 * i + 1] && map[2 * i] <= highestTarget;
    }

    /** Every signal back to its default, the caller's mask, and the session or group asked for. */
    private static void setAttributes(Arena arena, MemorySegment attr, SpawnSpec spec) throws Throwable {
        short flags = SETSIGDEF | SETSIGMASK;
        if ((spec.flags() & Shim.FLAG_SETSID) != 0) {
            flags |= SETSID;
        } else if ((spec.flags() & Shim.FLAG_SETPGID) != 0) {
            flags |= SETPGROUP;
            check((int) Libc.SET_PGROUP.invokeExact(attr, spec.pgid()), spec);
        }
        MemorySegment all = arena.allocate(SIGSET_BYTES, 8);
        MemorySegment mask = arena.allocate(SIGSET_BYTES, 8);
        check((int) Libc.SIGFILLSET.invokeExact(all), spec);
        check((int) Libc.PTHREAD_SIGMASK.invokeExact(SIG_SETMASK, MemorySegment.NULL, mask), spec);
        check((int) Libc.SET_SIGDEFAULT.invokeExact(attr, all), spec);
        check((int) Libc.SET_SIGMASK.invokeExact(attr, mask), spec);
        check((int) Libc.SET_FLAGS.invokeExact(attr, flags), spec);
    }

    private static Spawned withPidfd(int pid, SpawnSpec spec) throws Throwable {
        int pidfd = (int) Libc.PIDFD_OPEN.invokeExact(pid);
        if (pidfd < 0) {
            int ignored = (int) Libc.WAIT_PID.invokeExact(pid); // no zombie for a child we cannot track
            throw Errors.syscall("pidfd_open", pidfd, null);
        }
        return new Spawned(pid, pidfd, Spawned.POSIX_SPAWN);
    }

    /** posix_spawn and its helpers return a positive errno (not -1 and errno). */
    private static void check(int err, SpawnSpec spec) throws SyscallException {
        if (err != 0) throw Errors.syscall("posix_spawn", -err, spec.path());
    }

    private static MemorySegment cStrings(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS.byteSize() * (strings.size() + 1L), 8);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }
}
