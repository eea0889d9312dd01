package io.forkline.lab;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The facts about this host that every verdict depends on and the report opens with.
 *
 * @param kernel the running kernel
 * @param libc the C library and its version ("glibc 2.36")
 * @param distribution PRETTY_NAME of /etc/os-release
 * @param architecture the JVM's os.arch
 * @param cgroupLayout how the cgroup hierarchies are mounted
 * @param v2Mount where the cgroup v2 hierarchy is mounted, or null when it is not
 * @param favordynmods whether that mount has the favordynmods option
 * @param v1Controllers the controllers bound to v1 hierarchies, by mount point
 * @param cores the CPUs this process may run on
 * @param memoryTotalBytes MemTotal
 * @param memoryAvailableBytes MemAvailable when the facts were read
 * @param jdk the JDK that runs the lab
 */
public record HostFacts(KernelRelease kernel, String libc, String distribution, String architecture, CgroupLayout cgroupLayout,
        Path v2Mount, boolean favordynmods, Map<String, Path> v1Controllers, int cores, long memoryTotalBytes,
        long memoryAvailableBytes, String jdk) {
    public HostFacts {
        v1Controllers = Map.copyOf(v1Controllers);
    }

    /** How the cgroup hierarchies are mounted. */
    public enum CgroupLayout {
        /** cgroup v2 alone, at /sys/fs/cgroup. */
        UNIFIED("cgroup v2 only"),
        /** v1 hierarchies for some controllers, and v2 beside them (usually at /sys/fs/cgroup/unified). */
        HYBRID("hybrid: v1 controllers and a v2 hierarchy"),
        /** v1 hierarchies only. */
        LEGACY("cgroup v1 only"),
        /** No cgroup hierarchy is mounted. */
        NONE("no cgroup hierarchy");

        private final String words;

        CgroupLayout(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    /** A line of /proc/mounts. */
    record Mount(String device, Path point, String type, List<String> options) {}

    /** Reads the facts of the host this JVM runs on. */
    public static HostFacts read() throws IOException {
        List<Mount> mounts = parseMounts(Files.readString(Path.of("/proc/mounts")));
        Map<String, Long> meminfo = parseMeminfo(Files.readString(Path.of("/proc/meminfo")));
        Path v2 = null;
        boolean favordynmods = false;
        Map<String, Path> v1 = new LinkedHashMap<>();
        for (Mount m : mounts) {
            if (m.type().equals("cgroup2") && v2 == null) {
                v2 = m.point();
                favordynmods = m.options().contains("favordynmods");
            } else if (m.type().equals("cgroup")) {
                for (String option : m.options()) {
                    if (V1_CONTROLLERS.contains(option)) v1.put(option, m.point());
                }
            }
        }
        return new HostFacts(
                KernelRelease.parse(Files.readString(Path.of("/proc/sys/kernel/osrelease"))),
                readLibc(),
                osRelease(Path.of("/etc/os-release")).orElse("unknown"),
                System.getProperty("os.arch"),
                layout(v2, !v1.isEmpty()),
                v2, favordynmods, v1,
                Runtime.getRuntime().availableProcessors(),
                meminfo.getOrDefault("MemTotal", -1L),
                meminfo.getOrDefault("MemAvailable", -1L),
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    }

    private static final List<String> V1_CONTROLLERS = List.of("cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "io", "devices",
            "freezer", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma", "misc");

    static CgroupLayout layout(Path v2Mount, boolean anyV1) {
        if (v2Mount == null) return anyV1 ? CgroupLayout.LEGACY : CgroupLayout.NONE;
        return anyV1 ? CgroupLayout.HYBRID : CgroupLayout.UNIFIED;
    }

    /** Parses /proc/mounts; the kernel escapes spaces in paths as \040. */
    static List<Mount> parseMounts(String procMounts) {
        List<Mount> out = new ArrayList<>();
        for (String line : procMounts.split("\n")) {
            String[] f = line.strip().split(" ");
            if (f.length < 4) continue;
            out.add(new Mount(f[0], Path.of(f[1].replace("\\040", " ")), f[2], List.of(f[3].split(","))));
        }
        return out;
    }

    /** Parses /proc/meminfo into bytes. */
    static Map<String, Long> parseMeminfo(String meminfo) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : meminfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String[] value = line.substring(colon + 1).strip().split("\\s+");
            try {
                long n = Long.parseLong(value[0]);
                out.put(line.substring(0, colon), value.length > 1 && value[1].equals("kB") ? n * 1024 : n);
            } catch (NumberFormatException e) {
                // not a number: not a line the lab needs
            }
        }
        return out;
    }

    static Optional<String> osRelease(Path file) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("PRETTY_NAME=")) return Optional.of(line.substring(12).replace("\"", ""));
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** glibc answers gnu_get_libc_version(); musl has no such call and no other way to ask. */
    @SuppressWarnings("restricted") // the lab runs with native access, as all of forkline does
    private static String readLibc() {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> glibc = linker.defaultLookup().find("gnu_get_libc_version");
        if (glibc.isEmpty()) return "not glibc (musl?)";
        try {
            MethodHandle version = linker.downcallHandle(glibc.get(), FunctionDescriptor.of(ValueLayout.ADDRESS));
            MemorySegment text = (MemorySegment) version.invokeExact();
            return "glibc " + text.reinterpret(64).getString(0);
        } catch (Throwable t) {
            return "glibc (version unknown: " + t + ")";
        }
    }

    /** @return the facts as label and value, in the order the report shows them */
    public Map<String, String> asRows() {
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("kernel", kernel.text());
        rows.put("C library", libc);
        rows.put("distribution", distribution);
        rows.put("architecture", architecture);
        rows.put("cgroups", cgroupLayout.words());
        rows.put("cgroup v2 mount", v2Mount == null ? "none" : v2Mount + (favordynmods ? " (favordynmods)" : " (no favordynmods)"));
        rows.put("v1 controllers", v1Controllers.isEmpty() ? "none" : String.join(", ", new java.util.TreeSet<>(v1Controllers.keySet())));
        rows.put("cores", Integer.toString(cores));
        rows.put("memory", memoryTotalBytes < 0 ? "unknown" : String.format(java.util.Locale.ROOT, "%.1f GiB", memoryTotalBytes / (double) (1L << 30)));
        rows.put("JDK", jdk);
        return rows;
    }
}
