package io.forkline.cli;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.SpawnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code forkline run -- CMD ARGS...}: spawn one command with inherited stdio, wait, and exit
 * with its status (128 + signal when a signal ended it), as a shell would.
 */
@picocli.CommandLine.Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Runs a command with forkline and exits with its status; --json prints how it ended.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--timeout", description = "SIGTERM after this long (ISO-8601 like PT10S, or 10s, 500ms), SIGKILL 2 s later.")
    String timeout;

    @Option(names = "--cwd", description = "Working directory.")
    Path cwd;

    @Option(names = "--env", description = "NAME=value, repeatable.")
    List<String> env = List.of();

    @Option(names = "--new-session", description = "Run it in a new session (and process group).")
    boolean newSession;

    @Option(names = "--cgroup", description = "A cgroup v2 directory to start it in (born there with CLONE_INTO_CGROUP).")
    Path cgroup;

    @Option(names = "--json", description = "Print the exit as JSON on stdout after the command ends.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> argv;

    @Override
    public Integer call() throws Exception {
        Command command = Command.of(argv);
        if (cwd != null) command.cwd(cwd);
        for (String pair : env) {
            int eq = pair.indexOf('=');
            if (eq <= 0) throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--env wants NAME=value, got '" + pair + "'");
            command.env(pair.substring(0, eq), pair.substring(eq + 1));
        }
        if (timeout != null) command.timeout(parseDuration(timeout));
        if (newSession) command.newSession();
        if (cgroup != null) command.cgroup(cgroup);
        try (Launcher launcher = Launcher.create()) {
            Exit exit = launcher.spawn(command).waitFor();
            if (json) System.out.println(Json.object(json(exit)));
            return exit.statusCode();
        } catch (SpawnException e) {
            System.err.println("forkline: " + e.getMessage());
            return e.errnoName().equals("EACCES") || e.errnoName().equals("ENOEXEC") ? 126 : 127;
        }
    }

    static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.startsWith("p")) return Duration.parse(text);
        if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        if (t.endsWith("s")) return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
        if (t.endsWith("m")) return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
        throw new IllegalArgumentException("cannot read duration '" + text + "': use 500ms, 10s, 2m or PT10S");
    }

    static Map<String, Object> json(Exit exit) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("pid", exit.pid());
        fields.put("exit_code", exit.signal() == 0 ? exit.exitCode() : null);
        fields.put("signal", exit.signal() == 0 ? null : exit.signal());
        fields.put("core_dumped", exit.coreDumped());
        fields.put("timed_out", exit.timedOut());
        fields.put("user_cpu_us", exit.userCpu().toNanos() / 1000);
        fields.put("system_cpu_us", exit.systemCpu().toNanos() / 1000);
        fields.put("max_rss_bytes", exit.maxRssBytes());
        return fields;
    }
}
