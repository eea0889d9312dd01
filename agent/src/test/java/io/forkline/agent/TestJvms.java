package io.forkline.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The JVMs the agent is tested on: the build's own (Temurin 25), this machine's default java
 * (Debian bookworm's JDK 17), Debian bullseye's JDK 11 (one it refuses), and Debian trixie's
 * openjdk 21 and 25, which need trixie's C library
 * and so run chrooted in a trixie root that {@code scripts/jdks.sh} makes from Debian's packages
 * and caches (the newest builds the mirror serves, recorded and printed). A JVM that is not
 * here is a skipped test that says why, never a silent pass; in a root-less build the trixie
 * ones are skipped (the root needs debootstrap and chroot).
 */
final class TestJvms {
    /**
     * A way to start one JVM: the command up to and including its java binary, and its JDK's home
     * as this JVM can read it (inside the trixie root for those).
     */
    record Jvm(String name, int feature, List<String> launcher, Path home) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    private static final Path JDKS = REPOSITORY.resolve("scripts/jdks.sh");
    private static Map<String, String> trixie;

    private TestJvms() {}

    /** @return the JVM the build runs on */
    static Jvm build() {
        return new Jvm(System.getProperty("java.vm.vendor") + " " + Runtime.version(), Runtime.version().feature(),
                List.of(AgentJvm.JAVA.toString()), Path.of(System.getProperty("java.home")));
    }

    /** @return Debian bookworm's JDK 17, the default java of this project's machines */
    static Jvm debian17() {
        Path java = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
        Assumptions.assumeTrue(Files.isExecutable(java), "Debian's openjdk-17-jdk-headless is not installed at " + java);
        return new Jvm("Debian bookworm's OpenJDK 17", 17, List.of(java.toString()), java.getParent().getParent());
    }

    /**
     * @return Debian bullseye's OpenJDK 11, a JVM older than any the agent serves, unpacked from
     *     its package by {@code scripts/jdks.sh old} (it runs on this host's C library; a JRE, so
     *     it runs class files, not source files)
     */
    static synchronized Jvm debian11() throws IOException, InterruptedException {
        Map<String, String> values = jdks("old", "Debian bullseye's JDK 11");
        Path home = Path.of(values.get("jdk11"));
        return new Jvm("Debian bullseye's OpenJDK 11", 11, List.of(home.resolve("bin/java").toString()), home);
    }

    /**
     * @param feature 21 or 25
     * @return Debian trixie's openjdk of that release, run in the trixie root with the
     *     repository and /tmp bound at their own paths
     */
    static synchronized Jvm trixie(int feature) throws IOException, InterruptedException {
        if (trixie == null) trixie = prepare();
        String home = trixie.get("jdk" + feature);
        if (home == null) throw new IllegalArgumentException("scripts/jdks.sh prepares no JDK " + feature);
        List<String> launcher = new ArrayList<>(List.of(JDKS.toString(), "run", trixie.get("root"),
                "--bind", REPOSITORY.toString(), "--"));
        launcher.add(home + "/bin/java");
        return new Jvm("Debian trixie's OpenJDK " + feature, feature, launcher, Path.of(trixie.get("root") + home));
    }

    private static Map<String, String> prepare() throws IOException, InterruptedException {
        return jdks("prepare", "the trixie JDKs");
    }

    /** Runs {@code scripts/jdks.sh command} and returns the NAME=VALUE lines it printed; skips where it needs root. */
    private static Map<String, String> jdks(String command, String what) throws IOException, InterruptedException {
        Path err = Files.createTempFile("jdks-", ".err");
        try {
            Process p = new ProcessBuilder(JDKS.toString(), command).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("scripts/jdks.sh " + command + " did not finish in 15 minutes");
            }
            String said = Files.readString(err);
            System.out.print(said); // what the JDKs are made of, in the test output
            Assumptions.assumeTrue(p.exitValue() != 3, what + " need root (scripts/jdks.sh): " + said.strip());
            if (p.exitValue() != 0) throw new IllegalStateException("scripts/jdks.sh " + command + " exited " + p.exitValue() + ":\n" + said);
            Map<String, String> values = new HashMap<>();
            out.lines().forEach(l -> {
                int eq = l.indexOf('=');
                if (eq > 0) values.put(l.substring(0, eq), l.substring(eq + 1));
            });
            return values;
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
