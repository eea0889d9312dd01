package io.forkline;

/**
 * Run as a separate JVM by {@link IgnoredSignalsTest}: it makes the JVM ignore SIGHUP, SIGPIPE
 * and SIGCHLD, as a native library loaded into a JVM may (the case behind JDK-8364611), then
 * spawns children on the clone3 path and the posix_spawn path that report their ignored signals,
 * and a pipeline whose writer should die of SIGPIPE.
 */
public final class IgnoredSignalsProbe {
    private IgnoredSignalsProbe() {}

    public static void main(String[] args) throws Throwable {
        // sun.misc.Signal (module jdk.unsupported, on every JDK) sets SIG_IGN itself when given
        // SignalHandler.SIG_IGN; reached by reflection, as javac warns on its name.
        Class<?> signalClass = Class.forName("sun.misc.Signal");
        Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
        Object ignore = handlerClass.getField("SIG_IGN").get(null);
        for (String signal : new String[] {"HUP", "PIPE", "CHLD"}) {
            Object s = signalClass.getConstructor(String.class).newInstance(signal);
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, s, ignore);
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
