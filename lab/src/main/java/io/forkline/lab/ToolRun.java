package io.forkline.lab;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import io.forkline.sys.ffm.NativeTool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one of the C programs the native build packs in the jar (tools/*.c, as forkline-NAME)
 * and reads the {@code key=value} line it prints. The experiments' C parents (E3, E5) go
 * through here, so that extracting, running, timing out and cleaning up is written once.
 */
final class ToolRun {
    private ToolRun() {}

    /** The tool failed: its exit and what it said. */
    static final class ToolFailedException extends IOException {
        private static final long serialVersionUID = 1L;

        ToolFailedException(String message) {
            super(message);
        }
    }

    /**
     * Runs {@code forkline-<name>} with the arguments and returns the fields of the last line of
     * its stdout. The extracted copy is deleted afterwards; a run past {@code timeout} is killed.
     *
     * @throws ToolFailedException when it does not exit 0, naming its status and stderr
     */
    static Map<String, String> run(Launcher launcher, String name, Duration timeout, String... args) throws IOException, InterruptedException {
        Path binary = NativeTool.extract("forkline-" + name);
        try {
            List<String> argv = new ArrayList<>(List.of(binary.toString()));
            argv.addAll(List.of(args));
            Exit exit = launcher.spawn(Command.of(argv).stdout(Stdio.capture(1 << 20)).stderr(Stdio.capture(64 << 10)).timeout(timeout)).waitFor();
            if (!exit.success()) {
                throw new ToolFailedException("forkline-" + name + " " + String.join(" ", args) + ": " + exit.describe() + ": "
                        + exit.stderr().text().strip());
            }
            List<String> lines = exit.stdout().text().lines().filter(l -> !l.isBlank()).toList();
            if (lines.isEmpty()) throw new ToolFailedException("forkline-" + name + " printed nothing");
            return fields(lines.getLast());
        } finally {
            Files.deleteIfExists(binary);
        }
    }

    /** Parses {@code a=1 b=two}; a word without '=' is an error, since the tools print none. */
    static Map<String, String> fields(String line) throws ToolFailedException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String word : line.strip().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq <= 0) throw new ToolFailedException("not a key=value line: " + line);
            out.put(word.substring(0, eq), word.substring(eq + 1));
        }
        return out;
    }

    /** @return the field as a long, or an error naming the line */
    static long number(Map<String, String> fields, String key) throws ToolFailedException {
        String value = fields.get(key);
        if (value == null) throw new ToolFailedException("no " + key + " in " + fields);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ToolFailedException(key + " is not a number in " + fields);
        }
    }
}
