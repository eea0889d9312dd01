package io.forkline.lab;

import io.forkline.sys.shim.NativeTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one of the programs an experiment measures with (a native tool, a Go program) and reads
 * the {@code key=value} line it prints. The program's stdout and stderr go to files in the
 * experiment's work directory, so no thread is needed to drain them and nothing is left behind
 * that the run's directory removal does not remove.
 */
final class ProgramRun {
    private static final AtomicLong RUNS = new AtomicLong();
    /** How long a killed program may take to be reaped before the run gives up on it. */
    private static final Duration REAP_GRACE = Duration.ofSeconds(5);

    private ProgramRun() {}

    /**
     * What a finished program printed.
     *
     * @param exitCode its exit status
     * @param stdout its standard output
     * @param stderr its standard error
     */
    record Output(int exitCode, String stdout, String stderr) {}

    /**
     * Extracts a program of the native build, or says that this build lacks it.
     *
     * @throws SkippedException when the jar holds no such program (a build without the native side)
     */
    static Path extractTool(String name) throws SkippedException {
        try {
            return NativeTool.extract(name);
        } catch (IOException e) {
            throw new SkippedException(name + " from the native build (./mvnw package builds it): " + e.getMessage());
        }
    }

    /**
     * Runs {@code command} in {@code workDirectory} and waits at most {@code timeout} for it.
     *
     * @param environment the program's whole environment, or null for this JVM's
     * @throws IOException when it cannot be started, or does not end in time (it is killed and reaped)
     */
    static Output run(List<String> command, Map<String, String> environment, Path workDirectory, Duration timeout)
            throws IOException, InterruptedException {
        String name = Path.of(command.getFirst()).getFileName().toString();
        long run = RUNS.incrementAndGet();
        Path stdout = workDirectory.resolve(name + "-" + run + ".out");
        Path stderr = workDirectory.resolve(name + "-" + run + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDirectory.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        if (environment != null) {
            builder.environment().clear();
            builder.environment().putAll(environment);
        }
        Process process = builder.start();
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IOException(String.join(" ", command) + " did not finish in " + timeout.toSeconds() + " s: killed");
            }
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
                // Interrupted or timed out: still reap it, so that no child outlives the experiment.
                boolean interrupted = Thread.interrupted();
                process.waitFor(REAP_GRACE.toNanos(), TimeUnit.NANOSECONDS);
                if (interrupted) Thread.currentThread().interrupt();
            }
        }
        try {
            return new Output(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    /**
     * Like {@link #run}, for a program that must succeed.
     *
     * @throws IOException when it exits with a status other than 0, with its stderr
     */
    static String runToSuccess(List<String> command, Map<String, String> environment, Path workDirectory, Duration timeout)
            throws IOException, InterruptedException {
        Output output = run(command, environment, workDirectory, timeout);
        if (output.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + output.exitCode() + ": " + output.stderr().strip());
        }
        return output.stdout();
    }

    /**
     * The {@code key=value} pairs of one line, separated by spaces, as forkline's tools print them.
     *
     * @param line the line, as printed
     * @param values the pairs, in the order printed
     */
    record KeyValues(String line, Map<String, String> values) {
        KeyValues {
            Objects.requireNonNull(line, "line");
            values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }

        /** @throws IllegalArgumentException when a word of the line is not {@code key=value} */
        static KeyValues parse(String line) {
            Map<String, String> values = new LinkedHashMap<>();
            String stripped = line.strip();
            if (stripped.isEmpty()) throw new IllegalArgumentException("no key=value pairs in an empty line");
            for (String word : stripped.split("\\s+")) {
                int equals = word.indexOf('=');
                if (equals <= 0) throw new IllegalArgumentException("not key=value: '" + word + "' in: " + stripped);
                values.put(word.substring(0, equals), word.substring(equals + 1));
            }
            return new KeyValues(stripped, values);
        }

        /** @throws IllegalArgumentException when the key is missing */
        String text(String key) {
            String value = values.get(key);
            if (value == null) throw new IllegalArgumentException("no " + key + "= in: " + line);
            return value;
        }

        /** @throws IllegalArgumentException when the key is missing or not an integer */
        long longValue(String key) {
            try {
                return Long.parseLong(text(key));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " is not an integer in: " + line, e);
            }
        }

        /** @throws IllegalArgumentException when the key is missing or not a number */
        double doubleValue(String key) {
            try {
                return Double.parseDouble(text(key));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " is not a number in: " + line, e);
            }
        }

        /** @throws IllegalArgumentException when the key is missing or not a comma-separated list of integers */
        long[] longs(String key) {
            String text = text(key);
            if (text.isEmpty()) return new long[0];
            try {
                return java.util.Arrays.stream(text.split(",")).mapToLong(Long::parseLong).toArray();
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " is not a list of integers in: " + line, e);
            }
        }
    }
}
