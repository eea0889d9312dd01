package io.forkline.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JDK with the agent built in: a jlink image of a user's JDK whose JVMs start with
 * {@code -javaagent} and {@code --enable-native-access=ALL-UNNAMED} through jlink's
 * {@code --add-options}, which the JVM reads from the image itself. Unlike
 * {@code JAVA_TOOL_OPTIONS}, it makes every JVM print nothing: no {@code Picked up
 * JAVA_TOOL_OPTIONS: ...} line on stderr, which breaks any program that reads a child JVM's
 * stderr (five of the JDK's own tests fail on that line alone). The user points JAVA_HOME at it.
 *
 * <p>The image holds every module of the JDK it is made from, unless told fewer, and a copy of
 * the agent jar at {@code lib/forkline/forkline-agent.jar}, named by its absolute path in the
 * options, so the image must stay where it was made. A JDK without {@code jmods} (Temurin 24
 * and later) is linked from its own run-time image (JEP 493), which cannot include
 * {@code jdk.jlink}: that one module is left out, and said so. The image is checked before it is
 * reported: its {@code java} must start with the agent active and print nothing on stderr.
 */
public final class AgentJdkImage {
    /** Where the agent jar goes in the image. */
    static final String AGENT_IN_IMAGE = "lib/forkline/forkline-agent.jar";
    private static final long TOOL_TIMEOUT_MINUTES = 10;

    /**
     * What was made.
     *
     * @param modules the modules the image holds
     * @param leftOut modules of the JDK the image could not hold, with why
     * @param agentStatus {@code forkline.agent.status} in a JVM of the image
     */
    public record Result(Path image, List<String> modules, List<String> leftOut, String agentStatus) {}

    private AgentJdkImage() {}

    /**
     * @param jdk the JDK to copy (its home: {@code bin/jlink} and {@code bin/java} in it)
     * @param output the image's directory, which must not exist yet
     * @param agentJar the agent jar to build in
     * @param modules the modules to include, or empty for all of the JDK's
     * @throws IllegalArgumentException for a bad JDK, an existing output, a missing agent jar
     * @throws IllegalStateException when jlink fails or the image does not start with the agent
     */
    public static Result build(Path jdk, Path output, Path agentJar, List<String> modules) throws IOException, InterruptedException {
        Path home = jdk.toAbsolutePath().normalize();
        Path image = output.toAbsolutePath().normalize();
        Path jlink = home.resolve("bin/jlink");
        Path java = home.resolve("bin/java");
        if (!Files.isExecutable(java)) throw new IllegalArgumentException(home + " is not a JDK: no bin/java");
        if (!Files.isExecutable(jlink)) {
            throw new IllegalArgumentException(home + " has no bin/jlink: a JDK is needed, not a JRE (Debian: openjdk-N-jdk-headless)");
        }
        if (Files.exists(image)) throw new IllegalArgumentException(image + " exists: jlink makes the image's directory itself");
        if (!Files.isRegularFile(agentJar)) throw new IllegalArgumentException("no agent jar at " + agentJar);

        List<String> leftOut = new ArrayList<>();
        List<String> included = new ArrayList<>();
        boolean fromRuntimeImage = !Files.isDirectory(home.resolve("jmods"));
        for (String module : modules.isEmpty() ? modulesOf(java) : modules) {
            if (fromRuntimeImage && module.equals("jdk.jlink")) {
                leftOut.add("jdk.jlink (this JDK has no jmods, so its image is linked from the run-time image, JEP 493, "
                        + "which cannot hold jlink itself)");
            } else {
                included.add(module);
            }
        }
        if (!included.contains("java.instrument")) included.add("java.instrument"); // -javaagent needs it

        Path agentInImage = image.resolve(AGENT_IN_IMAGE);
        String options = "-javaagent:" + agentInImage + " --enable-native-access=ALL-UNNAMED";
        try {
            run(List.of(jlink.toString(), "--add-modules", String.join(",", included), "--output", image.toString(),
                    "--add-options=" + options), "jlink");
            Files.createDirectories(agentInImage.getParent());
            Files.copy(agentJar, agentInImage, StandardCopyOption.COPY_ATTRIBUTES);
            String status = check(image.resolve("bin/java"));
            return new Result(image, List.copyOf(included), List.copyOf(leftOut), status);
        } catch (IOException | InterruptedException | RuntimeException e) {
            removeTree(image); // no half-made image, which would also stop the next try ("exists")
            throw e;
        }
    }

    private static void removeTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort: the error being thrown says what went wrong; the directory names itself
        }
    }

    /** The modules {@code java --list-modules} names, without their versions. */
    private static List<String> modulesOf(Path java) throws IOException, InterruptedException {
        List<String> modules = new ArrayList<>();
        for (String line : run(List.of(java.toString(), "--list-modules"), "java --list-modules").split("\n")) {
            String name = line.strip();
            int at = name.indexOf('@');
            if (at >= 0) name = name.substring(0, at);
            if (!name.isEmpty()) modules.add(name);
        }
        return modules;
    }

    /** The image's java must start with the agent active and say nothing on stderr. */
    private static String check(Path java) throws IOException, InterruptedException {
        Process jvm = new ProcessBuilder(java.toString(), "-XshowSettings:properties", "-version").start();
        jvm.getOutputStream().close();
        // -XshowSettings and -version print on stderr; the agent's own words would be there too.
        String err = new String(jvm.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        String out = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!jvm.waitFor(TOOL_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            jvm.destroyForcibly().waitFor();
            throw new IllegalStateException(java + " did not start in " + TOOL_TIMEOUT_MINUTES + " minutes");
        }
        String status = null;
        for (String line : err.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith(AgentStatus.STATUS + " = ")) status = trimmed.substring(AgentStatus.STATUS.length() + 3);
            if (trimmed.startsWith("Picked up ") || trimmed.startsWith("forkline agent:")) {
                throw new IllegalStateException(java + " is not quiet: " + trimmed);
            }
        }
        if (jvm.exitValue() != 0 || status == null || status.startsWith("off")) {
            throw new IllegalStateException(java + " does not start with the agent (exit " + jvm.exitValue()
                    + ", forkline.agent.status " + status + "):\n" + err + out);
        }
        return status;
    }

    private static String run(List<String> command, String what) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(TOOL_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException(what + " did not finish in " + TOOL_TIMEOUT_MINUTES + " minutes");
        }
        if (process.exitValue() != 0) throw new IllegalStateException(what + " exited " + process.exitValue() + ":\n" + output);
        return output;
    }
}
