package io.forkline.agent;

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
import java.nio.charset.StandardCharsets;

/**
 * Run as a child JVM by AgentControlTest, under the agent: spawns once, then installs a seccomp
 * filter on every thread, as a container runtime's profile may, and spawns again.
 *
 * <ul>
 *   <li>{@code clone3}: clone3 fails with EPERM. The shim takes clone(2), still forkline's child.
 *   <li>{@code pidfd}: clone3 fails with ENOSYS and a clone(2) that asks for a pidfd with EPERM,
 *       which leaves forkline no way to spawn, while glibc's posix_spawn (clone3, then clone
 *       without CLONE_PIDFD) still works: the agent must hand the spawn to the JDK.
 * </ul>
 */
public final class SeccompSpawn {
    private static final int SYS_CLONE = 56;
    private static final int SYS_CLONE3 = 435;
    private static final int SYS_SECCOMP = 317;
    private static final int CLONE_PIDFD = 0x1000;
    private static final int ENOSYS = 38;
    private static final int EPERM = 1;
    private static final int RET_ERRNO = 0x00050000;
    private static final int RET_ALLOW = 0x7fff0000;

    private SeccompSpawn() {}

    @SuppressWarnings("restricted") // test-only: the filter must be installed from inside this JVM
    public static void main(String[] args) throws Throwable {
        spawn("before");
        int[][] program = args[0].equals("clone3")
                ? new int[][] {
                    {0x20, 0, 0, 0},                     // ld  seccomp_data.nr
                    {0x15, 0, 1, SYS_CLONE3},            // jeq clone3
                    {0x06, 0, 0, RET_ERRNO | EPERM},
                    {0x06, 0, 0, RET_ALLOW},
                }
                : new int[][] {
                    {0x20, 0, 0, 0},                     // ld  seccomp_data.nr
                    {0x15, 0, 1, SYS_CLONE3},            // jeq clone3
                    {0x06, 0, 0, RET_ERRNO | ENOSYS},
                    {0x15, 0, 3, SYS_CLONE},             // jeq clone, else allow
                    {0x20, 0, 0, 16},                    // ld  low word of args[0], the flags
                    {0x45, 0, 1, CLONE_PIDFD},           // jset CLONE_PIDFD
                    {0x06, 0, 0, RET_ERRNO | EPERM},
                    {0x06, 0, 0, RET_ALLOW},
                };
        install(program);
        spawn("after");
        SpawnOnce.printAgent();
    }

    private static void spawn(String label) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "echo " + label).start();
        System.out.print(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        System.out.println("exit=" + p.waitFor());
    }

    @SuppressWarnings("restricted")
    private static void install(int[][] program) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle prctl = linker.downcallHandle(linker.defaultLookup().find("prctl").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        MethodHandle syscall = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(),
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment filter = arena.allocate(8L * program.length, 8); // struct sock_filter
            for (int i = 0; i < program.length; i++) {
                filter.set(JAVA_SHORT, 8L * i, (short) program[i][0]);
                filter.set(JAVA_BYTE, 8L * i + 2, (byte) program[i][1]);
                filter.set(JAVA_BYTE, 8L * i + 3, (byte) program[i][2]);
                filter.set(JAVA_INT, 8L * i + 4, program[i][3]);
            }
            MemorySegment fprog = arena.allocate(16, 8); // struct sock_fprog
            fprog.set(JAVA_SHORT, 0, (short) program.length);
            fprog.set(ADDRESS, 8, filter);
            if ((int) prctl.invokeExact(38 /* PR_SET_NO_NEW_PRIVS */, 1L, 0L, 0L, 0L) != 0) throw new IllegalStateException("prctl");
            long rc = (long) syscall.invokeExact((long) SYS_SECCOMP, 1L /* SET_MODE_FILTER */, 1L /* TSYNC */, fprog);
            if (rc != 0) throw new IllegalStateException("seccomp: " + rc);
        }
    }
}
