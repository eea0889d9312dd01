package io.forkline;

import java.lang.management.ManagementFactory;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * Reads Native Memory Tracking's summary through the DiagnosticCommand MBean. FFM arenas
 * allocate with Unsafe.allocateMemory, which NMT books under "Other". The surefire JVM runs
 * with -XX:NativeMemoryTracking=summary; without it this reports 0 and the check is vacuous,
 * so {@link #enabled()} lets tests insist on it.
 */
final class NativeMemory {
    private static final Pattern OTHER = Pattern.compile("-\\s+Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");

    private NativeMemory() {}

    static boolean enabled() {
        return summary().contains("Native Memory Tracking");
    }

    static long otherCommittedKb() {
        Matcher m = OTHER.matcher(summary());
        return m.find() ? Long.parseLong(m.group(2)) : 0;
    }

    private static String summary() {
        try {
            Object result = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
            return String.valueOf(result);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read NMT summary", e);
        }
    }
}
