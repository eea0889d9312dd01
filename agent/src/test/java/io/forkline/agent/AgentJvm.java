package io.forkline.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Starts a child JVM on the test classes, with or without the agent jar, and collects its output. */
final class AgentJvm {
    /** What the child JVM printed and how it ended. */
    record Result(int exit, String stdout, String stderr) {
        /** @return stdout without the "#agent" line */
        String observed() {
            return stdout.lines().filter(l -> !l.startsWith("#agent")).reduce("", (a, b) -> a + b + "\n");
        }

        /** @return the "#agent" line */
        String agentLine() {
            return stdout.lines().filter(l -> l.startsWith("#agent")).findFirst().orElse("#agent <missing>");
        }
    }

    static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
    static final Path TEST_CLASSES = Path.of("target", "test-classes").toAbsolutePath();

    private AgentJvm() {}

    static Path agentJar() {
        Path jar = Path.of(System.getProperty("forkline.agent.jar", "target/forkline-agent.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) throw new IllegalStateException("no agent jar at " + jar + ": run `mvn package` first");
        return jar;
    }

    /** @return the JVM options that turn the agent on */
    static List<String> agentOptions() {
        return List.of("--enable-native-access=ALL-UNNAMED", "-javaagent:" + agentJar());
    }

    /**
     * @param jvmOptions options before the main class ({@link #agentOptions()} or none)
     * @param environment the child JVM's whole environment, or null for this JVM's
     */
    static Result run(List<String> jvmOptions, Map<String, String> environment, Path cwd, String mainClass, String... args)
            throws IOException, InterruptedException {
        return run(TestJvms.build(), jvmOptions, environment, cwd, mainClass, args);
    }

    /** As {@link #run(List, Map, Path, String, String...)}, on {@code jvm}. */
    static Result run(TestJvms.Jvm jvm, List<String> jvmOptions, Map<String, String> environment, Path cwd, String mainClass,
            String... args) throws IOException, InterruptedException {
        return run(jvm, TEST_CLASSES, jvmOptions, environment, cwd, mainClass, args);
    }

    /** As {@link #run(TestJvms.Jvm, List, Map, Path, String, String...)}, with {@code classes} as the class path. */
    static Result run(TestJvms.Jvm jvm, Path classes, List<String> jvmOptions, Map<String, String> environment, Path cwd,
            String mainClass, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(jvm.launcher());
        command.add("-Xshare:auto");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classes.toString());
        command.add(mainClass);
        command.addAll(List.of(args));
        return exec(command, environment, cwd);
    }

    /**
     * Runs a single-file source program ({@code java File.java}, JEP 330) on another JVM, whose
     * own compiler builds it, so that it runs where this module's class files do not load.
     */
    static Result runSource(TestJvms.Jvm jvm, List<String> jvmOptions, Path source, Path cwd) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(jvm.launcher());
        command.addAll(jvmOptions);
        command.add(source.toString());
        return exec(command, null, cwd);
    }

    private static Result exec(List<String> command, Map<String, String> environment, Path cwd) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile());
        if (environment != null) {
            builder.environment().clear();
            builder.environment().putAll(environment);
        }
        Path out = Files.createTempFile("agent-jvm-", ".out");
        Path err = Files.createTempFile("agent-jvm-", ".err");
        try {
            Process jvm = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!jvm.waitFor(3, TimeUnit.MINUTES)) {
                jvm.destroyForcibly().waitFor();
                throw new IllegalStateException("child JVM did not finish in 3 minutes: " + command);
            }
            return new Result(jvm.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
