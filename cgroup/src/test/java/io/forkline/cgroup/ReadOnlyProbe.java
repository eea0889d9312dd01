package io.forkline.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started in a private mount namespace ({@code unshare -m}) where the cgroup2 mount has
 * been remounted read-only, which opens a root there and prints what happened. The host's own
 * mount is untouched: the remount lives and dies with the namespace.
 */
final class ReadOnlyProbe {
    record Result(int exitCode, String output) {}

    private ReadOnlyProbe() {}

    public static void main(String[] args) {
        try (CgroupRoot root = CgroupRoot.open(Path.of(args[0]))) {
            System.out.println("opened " + root.v2Path());
        } catch (CgroupException e) {
            System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    static Result run(Path v2Root) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path mount = v2Root.getParent();
        String script = "mount -o remount,bind,ro \"$1\" && exec \"$2\" --enable-native-access=ALL-UNNAMED -Xshare:auto "
                + "-XX:TieredStopAtLevel=1 -cp \"$3\" " + ReadOnlyProbe.class.getName() + " \"$4\"";
        Process p = new ProcessBuilder(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "probe",
                        mount.toString(), java, System.getProperty("java.class.path"), v2Root.toString()))
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        String output;
        // Closed here rather than by the JDK's reaper thread, which may do it after waitFor returns
        // and so after the caller counted its fds.
        try (java.io.InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("probe timed out: " + output);
        }
        return new Result(p.exitValue(), output);
    }
}
