package io.forkline.lab;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * This process's CPU time, all its threads, in nanoseconds: clock_gettime(CLOCK_PROCESS_CPUTIME_ID).
 * The JDK's OperatingSystemMXBean counts in clock ticks (10 ms here), too coarse for the CPU of
 * a few hundred spawns of tens of microseconds each.
 */
final class ProcessCpu {
    private static final int CLOCK_PROCESS_CPUTIME_ID = 2;
    private static final MethodHandle CLOCK_GETTIME;

    static {
        Linker linker = Linker.nativeLinker();
        @SuppressWarnings("restricted") // the lab runs with native access, as all of forkline does
        MethodHandle handle = linker.downcallHandle(linker.defaultLookup().find("clock_gettime").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        CLOCK_GETTIME = handle;
    }

    private ProcessCpu() {}

    static long nanos() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment timespec = arena.allocate(16, 8);
            int rc = (int) CLOCK_GETTIME.invokeExact(CLOCK_PROCESS_CPUTIME_ID, timespec);
            if (rc != 0) throw new IllegalStateException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
            return timespec.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + timespec.get(ValueLayout.JAVA_LONG, 8);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
