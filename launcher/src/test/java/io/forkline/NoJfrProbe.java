package io.forkline;

/** Run by {@link NoJfrTest} in a runtime without the jdk.jfr module: one spawn, and what it printed. */
public final class NoJfrProbe {
    private NoJfrProbe() {}

    public static void main(String[] args) throws Exception {
        System.out.println("jdk.jfr present: " + ModuleLayer.boot().findModule("jdk.jfr").isPresent());
        try (Launcher launcher = Launcher.create()) {
            Exit exit = launcher.spawn(Command.of("sh", "-c", "echo spawned").stdout(Stdio.capture(100))).waitFor();
            System.out.println(exit.describe() + ": " + exit.stdout().text().strip());
        }
    }
}
