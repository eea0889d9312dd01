package io.forkline.cli;

import io.forkline.Launcher;
import io.forkline.sys.shim.Shim;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code forkline doctor}: what this host offers forkline. It only reads; it never writes under /sys. */
@picocli.CommandLine.Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Prints the kernel, clone3 support, the native library, the cgroup layout and fd limits.")
final class DoctorCommand implements Callable<Integer> {
    @Override
    public Integer call() throws IOException {
        System.out.println("kernel:          " + read("/proc/sys/kernel/osrelease"));
        System.out.println("java:            " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
        System.out.println("native library:  " + Shim.LIBRARY_SOURCE);
        System.out.println("clone3:          " + (Launcher.clone3Usable()
                ? "usable (CLONE_VM|CLONE_VFORK|CLONE_PIDFD|CLONE_CLEAR_SIGHAND)"
                : "refused: spawns take the posix_spawn fallback"));
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files") || line.startsWith("Max processes")) {
                System.out.println("limit:           " + line.replaceAll("\\s{2,}", "  ").trim());
            }
        }
        System.out.println("pid_max:         " + read("/proc/sys/kernel/pid_max"));
        cgroups();
        return 0;
    }

    private static void cgroups() throws IOException {
        List<String> v1 = new ArrayList<>();
        String v2 = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length < 4) continue;
            if (f[2].equals("cgroup2")) v2 = f[1];
            if (f[2].equals("cgroup")) v1.add(f[1]);
        }
        if (v2 == null) {
            System.out.println("cgroup v2:       not mounted");
        } else {
            String controllers = read(v2 + "/cgroup.controllers");
            System.out.println("cgroup v2:       " + v2 + " controllers: " + (controllers.isEmpty() ? "(none)" : controllers));
        }
        System.out.println("cgroup v1:       " + (v1.isEmpty() ? "none" : String.join(" ", v1)));
        System.out.println("layout:          " + (v1.isEmpty() ? "unified (cgroup v2 only)" : v2 != null ? "hybrid" : "legacy (v1 only)"));
    }

    /**
     * Reads a small /proc or /sys file in one read. Files.readString reads sysctl integers such
     * as pid_max in two steps, and the kernel answers a read at a non-zero offset with EOF.
     */
    private static String read(String path) {
        try (java.io.FileInputStream in = new java.io.FileInputStream(path)) {
            return new String(in.readNBytes(1 << 16), java.nio.charset.StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
