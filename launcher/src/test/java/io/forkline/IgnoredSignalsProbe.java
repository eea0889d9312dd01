package io.forkline;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Run as a separate JVM by {@link IgnoredSignalsTest}: it makes the JVM ignore SIGHUP, SIGPIPE
 * and SIGCHLD, as a native library loaded into a JVM may (the case behind JDK-8364611), then
 * spawns children on the clone3 path and the posix_spawn path that report their ignored signals,
 * and a pipeline whose writer should die of SIGPIPE.
 */
public final class IgnoredSignalsProbe {
    private static final int SIGCHLD = 17;

    private IgnoredSignalsProbe() {}

    @SuppressWarnings("restricted") // test-only: the dispositions must be changed from inside this JVM
    public static void main(String[] args) throws Throwable {
        Linker linker = Linker.nativeLinker();
        // int sigaction(int, const struct sigaction *, struct sigaction *): the handler is the
        // struct's first field on x86_64 and aarch64 alike, and nothing else need be set for SIG_IGN.
        MethodHandle sigaction = linker.downcallHandle(linker.defaultLookup().find("sigaction").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ignore = arena.allocate(256, 8);
            ignore.set(ADDRESS, 0, MemorySegment.ofAddress(1)); // SIG_IGN
            for (int signal : new int[] {Signals.HUP, Signals.PIPE, SIGCHLD}) {
                if ((int) sigaction.invokeExact(signal, ignore, MemorySegment.NULL) != 0) throw new IllegalStateException("sigaction " + signal);
            }
        }
        System.out.println("jvm=" + ignoredByThisJvm());
        try (Launcher launcher = Launcher.create()) {
            String report = "grep ^SigIgn: /proc/self/status | cut -f2";
            Exit clone3 = launcher.spawn(Command.of("sh", "-c", report).stdout(Stdio.capture(100))).waitFor();
            Exit posix = launcher.spawn(Command.of("sh", "-c", report).usePosixSpawn().stdout(Stdio.capture(100))).waitFor();
            Exit pipeline = launcher.spawn(Command.of("sh", "-c", "yes | head -n 1 >/dev/null")
                    .stderr(Stdio.capture(1000)).timeout(java.time.Duration.ofSeconds(30))).waitFor();
            System.out.println("jvm.after=" + ignoredByThisJvm());
            System.out.println("clone3=" + clone3.stdout().text().strip());
            System.out.println("posix_spawn=" + posix.stdout().text().strip());
            System.out.println("pipeline=" + pipeline.describe() + " stderr=[" + pipeline.stderr().text().strip() + "]");
        }
    }

    private static String ignoredByThisJvm() throws java.io.IOException {
        return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("SigIgn:")).map(l -> l.substring(7).strip()).findFirst().orElseThrow();
    }
}
