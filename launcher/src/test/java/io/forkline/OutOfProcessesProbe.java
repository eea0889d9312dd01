package io.forkline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run as a separate JVM by {@link OutOfProcessesTest}, inside a pids cgroup that the test made
 * for it: it lowers pids.max to just above what it uses, spawns until the kernel says EAGAIN,
 * and checks the launcher still works once a slot is free again. It prints what it saw.
 */
public final class OutOfProcessesProbe {
    private OutOfProcessesProbe() {}

    public static void main(String[] args) throws Exception {
        Path cgroup = Path.of(args[0]);
        try (Launcher launcher = Launcher.create()) {
            launcher.spawn(Command.of("/bin/true")).waitFor(); // start every thread the launcher needs
            int current = Integer.parseInt(Files.readString(cgroup.resolve("pids.current")).trim());
            Files.writeString(cgroup.resolve("pids.max"), String.valueOf(current + 5));
            List<Child> sleepers = new ArrayList<>();
            SpawnException failure = null;
            while (failure == null && sleepers.size() < 100) {
                try {
                    sleepers.add(launcher.spawn(Command.of("sleep", "60")));
                } catch (SpawnException e) {
                    failure = e;
                }
            }
            if (failure == null) {
                System.out.println("no failure after " + sleepers.size() + " spawns");
                System.exit(2);
            }
            System.out.println("spawned=" + sleepers.size());
            System.out.println("syscall=" + failure.syscall() + " errno=" + failure.errnoName());
            System.out.println("message=" + failure.getMessage());
            Child victim = sleepers.removeFirst();
            victim.kill();
            victim.waitFor();
            Child again = launcher.spawn(Command.of("/bin/true"));
            System.out.println("recovered=" + again.waitFor().success());
        }
    }
}
