package io.forkline;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Run as a separate JVM by {@link Clone3RefusedTest}: it loads forkline (which finds clone3
 * usable), then installs a seccomp filter on every thread that makes clone3 fail with the errno
 * given as argument, as a container runtime's default profile may, and spawns. The launcher must
 * fall back to clone(2), say so, and still run the child with everything applied.
 */
public final class SeccompProbe {
    private static final int SYS_CLONE3 = 435;
    private static final int SYS_SECCOMP = 317;
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final int SECCOMP_SET_MODE_FILTER = 1;
    private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    private static final int SECCOMP_RET_ERRNO = 0x00050000;
    private static final int SECCOMP_RET_ALLOW = 0x7fff0000;

    private SeccompProbe() {}

    @SuppressWarnings("restricted") // test-only: the filter must be installed from inside this JVM
    public static void main(String[] args) throws Throwable {
        int errno = Integer.parseInt(args[0]);
        try (Launcher launcher = Launcher.create()) {
            System.out.println("before=" + (Launcher.clone3Usable() ? "clone3" : "fallback"));
            // Start the launcher's spawner and timer threads now: under an EPERM filter glibc cannot
            // create threads at all (pthread_create uses clone3 and falls back only on ENOSYS).
            launcher.spawn(Command.of("/bin/true").parentDeathSignal(Signals.TERM)
                    .timeout(java.time.Duration.ofMinutes(1))).waitFor();
            Linker linker = Linker.nativeLinker();
            MethodHandle prctl = linker.downcallHandle(linker.defaultLookup().find("prctl").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
            MethodHandle syscall = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(),
                    FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                // struct sock_filter: u16 code, u8 jt, u8 jf, u32 k
                int[][] program = {
                    {0x20, 0, 0, 0},                            // ld  seccomp_data.nr
                    {0x15, 0, 1, SYS_CLONE3},                   // jeq #clone3, deny, allow
                    {0x06, 0, 0, SECCOMP_RET_ERRNO | errno},    // deny: ret ERRNO(errno)
                    {0x06, 0, 0, SECCOMP_RET_ALLOW},            // allow
                };
                MemorySegment filter = arena.allocate(8L * program.length, 8);
                for (int i = 0; i < program.length; i++) {
                    filter.set(JAVA_SHORT, 8L * i, (short) program[i][0]);
                    filter.set(JAVA_BYTE, 8L * i + 2, (byte) program[i][1]);
                    filter.set(JAVA_BYTE, 8L * i + 3, (byte) program[i][2]);
                    filter.set(JAVA_INT, 8L * i + 4, program[i][3]);
                }
                MemorySegment fprog = arena.allocate(16, 8); // struct sock_fprog: u16 len, pointer
                fprog.set(JAVA_SHORT, 0, (short) program.length);
                fprog.set(ADDRESS, 8, filter);
                if ((int) prctl.invokeExact(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0) throw new IllegalStateException("prctl");
                long rc = (long) syscall.invokeExact((long) SYS_SECCOMP, (long) SECCOMP_SET_MODE_FILTER,
                        (long) SECCOMP_FILTER_FLAG_TSYNC, fprog);
                if (rc != 0) throw new IllegalStateException("seccomp failed: " + rc);
            }
            Child child = launcher.spawn(Command.of("sh", "-c", "echo ran; exit 4").stdout(Stdio.capture(100)));
            Exit exit = child.waitFor();
            System.out.println("method=" + child.spawnMethod() + " fallbacks=" + launcher.fallbackSpawnCount()
                    + " exit=" + exit.exitCode() + " out=" + exit.stdout().text().trim());
            System.out.println("after=" + (Launcher.clone3Usable() ? "clone3" : "fallback"));
            // The fallback child applies everything a clone3 child does.
            Exit full = launcher.spawn(Command.of("sh", "-c", "umask; ulimit -n").umask(027)
                    .limit(ResourceLimit.NOFILE, 77, 77).parentDeathSignal(Signals.TERM).stdout(Stdio.capture(100))).waitFor();
            System.out.println("full=" + full.stdout().text().replace('\n', ' ').trim());
        }
    }
}
