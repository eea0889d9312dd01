package io.forkline.cli;

import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the CLI for tests: in this JVM (fast), or as a process of its own (for stdin, signals, heap limits, shards). */
final class CliHarness {
    private CliHarness() {}

    /** What a CLI run returned and printed ({@code stdoutBytes} counts what was printed past the capture). */
    record Result(int code, String stdout, String stderr, long stdoutBytes) {
        Result(int code, String stdout, String stderr) {
            this(code, stdout, stderr, stdout.length());
        }

        /** @return {exit code, stdout, stderr}, as the older tests take it */
        Object[] asArray() {
            return new Object[] {code, stdout, stderr};
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    /** Runs the CLI in this JVM, with stdout and stderr captured. Never give it stdin as an input. */
    static Result inProcess(String... args) {
        return inProcess(Main.commandLine(), args);
    }

    /** Runs this command line in this JVM, with stdout and stderr captured. */
    static synchronized Result inProcess(picocli.CommandLine commandLine, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            int code = commandLine.execute(args);
            return new Result(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** The argv that starts the CLI in a JVM of its own, with these JVM options first. */
    static List<String> javaCommand(List<String> jvmOptions, List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.add("--enable-native-access=ALL-UNNAMED");
        argv.addAll(jvmOptions);
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.add(Main.class.getName());
        argv.addAll(args);
        return argv;
    }

    /**
     * Starts the CLI as its own process, through forkline's launcher (so a test can signal it by
     * its pidfd), with stdout and stderr captured.
     */
    static Child start(Launcher launcher, List<String> jvmOptions, List<String> args, Path stdin, Map<String, String> env)
            throws IOException {
        Command command = Command.of(javaCommand(jvmOptions, args))
                .stdin(stdin == null ? Stdio.discard() : Stdio.readFrom(stdin))
                .stdout(Stdio.capture(64 << 20))
                .stderr(Stdio.capture(4 << 20))
                .timeout(Duration.ofMinutes(5));
        env.forEach(command::env);
        return launcher.spawn(command);
    }

    /** Runs the CLI as its own process and waits for it. */
    static Result external(List<String> jvmOptions, List<String> args, Path stdin, Map<String, String> env) throws Exception {
        try (Launcher launcher = Launcher.create()) {
            Exit exit = start(launcher, jvmOptions, args, stdin, env).waitFor();
            return new Result(exit.statusCode(), exit.stdout().text(), exit.stderr().text(), exit.stdout().totalBytes());
        }
    }
}
