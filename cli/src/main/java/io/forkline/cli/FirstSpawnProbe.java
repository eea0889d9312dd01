package io.forkline.cli;

import io.forkline.Command;
import io.forkline.Launcher;
import java.util.Locale;

/**
 * The JVM that {@code bench first-spawn} starts once per measurement: it times, from its first
 * line of main, a first spawn of {@code /bin/true} and its exit, through forkline
 * ({@code Launcher.create()}, spawn, waitFor) or through the JDK (ProcessBuilder, start,
 * waitFor), and prints {@code first_spawn_ns=N}. Everything the way there is paid once per JVM:
 * loading and linking the classes, the native library, the event loop's thread.
 *
 * <p>Usage: {@code FirstSpawnProbe forkline|processbuilder}
 */
public final class FirstSpawnProbe {
    private FirstSpawnProbe() {}

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        int code;
        long elapsed;
        if (args[0].equals("forkline")) {
            try (Launcher launcher = Launcher.create()) {
                code = launcher.spawn(Command.of("/bin/true")).waitFor().exitCode();
                elapsed = System.nanoTime() - start; // the launcher's close is not part of it
            }
        } else {
            code = new ProcessBuilder("/bin/true").inheritIO().start().waitFor();
            elapsed = System.nanoTime() - start;
        }
        if (code != 0) throw new IllegalStateException("/bin/true exited " + code);
        System.out.printf(Locale.ROOT, "first_spawn_ns=%d%n", elapsed);
    }
}
