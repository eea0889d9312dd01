package io.forkline.cli;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.SpawnException;
import io.forkline.cgroup.AppliedLimit;
import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.CgroupException;
import io.forkline.cgroup.CgroupRoot;
import io.forkline.cgroup.CgroupSyscallException;
import io.forkline.cgroup.Controller;
import io.forkline.cgroup.InvalidLimitException;
import io.forkline.cgroup.LimitReport;
import io.forkline.cgroup.Limits;
import io.forkline.cgroup.SkippedLimit;
import io.forkline.cgroup.Stats;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code forkline run -- CMD ARGS...}: spawn one command with inherited stdio, wait, and exit
 * with its status (128 + signal when a signal ended it), as a shell would; 126 or 127 when it
 * cannot be started, 125 when its cgroup limits cannot be applied or forkline itself fails around
 * the child, 2 for a bad command line.
 */
@picocli.CommandLine.Command(
        name = "run",
        mixinStandardHelpOptions = true,
        exitCodeOnExecutionException = 125,
        description = "Runs a command with forkline and exits with its status; --json reports how it ended, on stderr or in a file.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "SIGTERM after this long (500ms, 10s, 1.5s, 2m, 1h, a number of seconds, or ISO-8601 like PT10S), "
                    + "SIGKILL 2 s later.")
    Duration timeout;

    @Option(names = "--cwd", description = "Working directory.")
    Path cwd;

    @Option(names = "--env", description = "NAME=value, repeatable.")
    List<String> env = List.of();

    @Option(names = "--new-session", description = "Run it in a new session (and process group).")
    boolean newSession;

    @Option(names = "--cgroup", description = "A cgroup v2 directory to start it in (born there with CLONE_INTO_CGROUP).")
    Path cgroup;

    @Option(names = "--limit", paramLabel = "FILE=VALUE",
            description = "A cgroup limit in v2 syntax (memory.max, memory.high, memory.swap.max, cpu.max, cpu.weight, "
                    + "pids.max, io.max), repeatable. The command then runs in a cgroup of its own under "
                    + "forkline-run, driven on v1 for pids and cpu where a hybrid host has them there; "
                    + "a limit that cannot be applied is an error, unless its controller is named by --optional.")
    List<String> limits = List.of();

    @Option(names = "--optional", split = ",", paramLabel = "CONTROLLER",
            description = "Controllers (memory, cpu, pids, io) whose limits are skipped, and reported, where unavailable.")
    List<String> optional = List.of();

    @Option(names = "--json", paramLabel = "FILE", arity = "0..1", fallbackValue = STDERR, preprocessor = AttachedValueOnly.class,
            description = "After the command ends, write how it ended as one JSON object: on stderr (--json), or to FILE "
                    + "(--json=FILE, created or truncated before the command starts). Stdout stays the command's.")
    String json;

    /** --json without a file. */
    private static final String STDERR = "-";

    /** Where the --json report goes (stderr or the file), or null without --json. */
    private PrintStream report;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> argv;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        boolean ownGroup = !limits.isEmpty() || !optional.isEmpty();
        if (ownGroup && cgroup != null) throw Errors.usage(spec, "--limit and --optional exclude --cgroup: they make a group of their own");
        Command command;
        try {
            command = Command.of(argv);
        } catch (IllegalArgumentException e) { // an empty argv[0]
            throw Errors.usage(spec, e.getMessage());
        }
        if (cwd != null) {
            if (!Files.isDirectory(cwd)) throw Errors.usage(spec, "--cwd must be a directory, got '" + cwd + "'");
            command.cwd(cwd);
        }
        for (String pair : env) {
            int eq = pair.indexOf('=');
            if (eq <= 0) throw Errors.usage(spec, "--env wants NAME=value, got '" + pair + "'");
            command.env(pair.substring(0, eq), pair.substring(eq + 1));
        }
        if (timeout != null) {
            if (timeout.isZero()) throw Errors.usage(spec, "--timeout must be more than 0, got '" + Errors.given(spec, "--timeout") + "'");
            command.timeout(timeout);
        }
        if (newSession) command.newSession();
        if (cgroup != null) {
            if (!Files.isRegularFile(cgroup.resolve("cgroup.controllers"))) {
                throw Errors.usage(spec, "--cgroup must be a cgroup v2 directory (one with cgroup.controllers), got '" + cgroup + "'");
            }
            command.cgroup(cgroup);
        }
        Limits jobLimits = ownGroup ? parseLimits() : null;
        report = openReport();
        try {
            if (ownGroup) {
                try {
                    return runInOwnGroup(command, jobLimits);
                } catch (CgroupException e) {
                    // A limit that cannot be applied here, or no cgroup we may use.
                    System.err.println("forkline: " + e.getMessage());
                    return 125;
                }
            }
            try (Launcher launcher = Launcher.create()) {
                return finish(launcher.spawn(command).waitFor(), null);
            } catch (SpawnException e) {
                return spawnFailed(e);
            }
        } finally {
            if (report != null && report != System.err) report.close();
        }
    }

    /** Opens --json=FILE now, as a shell opens a redirection: a file that cannot be written is refused before the command runs. */
    private PrintStream openReport() {
        if (json == null) return null;
        if (json.equals(STDERR)) return System.err;
        if (json.isEmpty()) throw Errors.usage(spec, "--json= needs a file name (or use --json alone for stderr)");
        try {
            return new PrintStream(Files.newOutputStream(Path.of(json)), false, StandardCharsets.UTF_8);
        } catch (IOException e) {
            String reason = e instanceof NoSuchFileException ? "no such directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
                    : e.getMessage();
            throw Errors.usage(spec, "--json: cannot write '" + json + "': " + reason);
        } catch (java.nio.file.InvalidPathException e) {
            throw Errors.usage(spec, "--json: '" + json + "' is not a file name: " + e.getReason());
        }
    }

    /** @throws ParameterException for a malformed pair, a limit forkline does not set, or a value out of its range */
    private Limits parseLimits() {
        Limits.Builder builder = Limits.builder();
        for (String pair : limits) {
            int eq = pair.indexOf('=');
            if (eq <= 0) throw Errors.usage(spec, "--limit wants FILE=VALUE (e.g. pids.max=100), got '" + pair + "'");
            builder.set(pair.substring(0, eq), pair.substring(eq + 1));
        }
        for (String name : optional) {
            Controller controller = java.util.Arrays.stream(Controller.values())
                    .filter(c -> c.kernelName().equals(name))
                    .findFirst()
                    .orElseThrow(() -> Errors.usage(spec, "--optional takes memory, cpu, pids or io, got '" + name + "'"));
            builder.optional(controller);
        }
        try {
            return builder.build();
        } catch (InvalidLimitException e) {
            throw Errors.usage(spec, "--limit: " + e.getMessage());
        }
    }

    /**
     * A group of its own, under this host's forkline-run subtree; the group is destroyed
     * afterwards, and so is the subtree when no other run is using it.
     */
    private int runInOwnGroup(Command command, Limits jobLimits) throws Exception {
        CgroupRoot root = CgroupRoot.forThisHost("forkline-run");
        try {
            Cgroup group = root.create("run-" + ProcessHandle.current().pid() + "-" + System.nanoTime(), jobLimits);
            try (Launcher launcher = Launcher.create()) {
                for (AppliedLimit a : group.limits().applied()) {
                    if (report == null) System.err.println("forkline: " + a.limit() + " = " + a.requested() + " -> " + a.hierarchy() + " " + a.file());
                }
                for (SkippedLimit skipped : group.limits().skipped()) System.err.println("forkline: " + skipped);
                return finish(launcher.spawn(command.cgroup(group)).waitFor(), group.limits());
            } catch (SpawnException e) {
                return spawnFailed(e);
            } finally {
                group.destroy(Duration.ofSeconds(10));
            }
        } finally {
            try {
                root.destroy(Duration.ofSeconds(10));
            } catch (CgroupSyscallException e) {
                // EBUSY: another run's group is in the subtree; the last run out removes it.
                if (e.errno() != io.forkline.sys.shim.Errno.EBUSY) throw e;
                root.close();
            }
        }
    }

    private int finish(Exit exit, LimitReport limitReport) {
        if (report != null) {
            report.println(Json.object(json(exit, limitReport)));
            if (report.checkError()) { // PrintStream keeps the IOException to itself
                System.err.println("forkline: cannot write the --json report to '" + json + "' (" + exit.describe() + ")");
                return 125;
            }
        }
        return exit.statusCode();
    }

    private static int spawnFailed(SpawnException e) {
        System.err.println("forkline: " + e.getMessage());
        return e.errnoName().equals("EACCES") || e.errnoName().equals("ENOEXEC") ? 126 : 127;
    }

    static Map<String, Object> json(Exit exit) {
        return json(exit, null);
    }

    /** The exit, and with a cgroup its stats (flat keys; null where the host has no such accounting) and limits. */
    static Map<String, Object> json(Exit exit, LimitReport limitReport) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("pid", exit.pid());
        fields.put("exit_code", exit.signal() == 0 ? exit.exitCode() : null);
        fields.put("signal", exit.signal() == 0 ? null : exit.signal());
        fields.put("core_dumped", exit.coreDumped());
        fields.put("timed_out", exit.timedOut());
        fields.put("user_cpu_us", exit.userCpu().toNanos() / 1000);
        fields.put("system_cpu_us", exit.systemCpu().toNanos() / 1000);
        fields.put("max_rss_bytes", exit.maxRssBytes());
        Stats stats = exit.cgroupStats();
        if (stats != null) {
            fields.put("cgroup_cpu_usage_us", stats.cpu().usageMicros());
            fields.put("cgroup_memory_peak_bytes", stats.memory() == null ? null : stats.memory().peakBytes());
            fields.put("cgroup_oom_kills", stats.memory() == null ? null : stats.memory().oomKills());
            fields.put("cgroup_pids_peak", stats.pids() == null || stats.pids().peak() < 0 ? null : stats.pids().peak());
            fields.put("cgroup_pids_fork_failures", stats.pids() == null ? null : stats.pids().forkFailures());
        }
        if (limitReport != null) {
            for (AppliedLimit a : limitReport.applied()) {
                fields.put("limit " + a.limit(), a.requested() + " -> " + a.hierarchy() + " " + a.file());
            }
            for (SkippedLimit skipped : limitReport.skipped()) fields.put("limit " + skipped.limit(), "skipped: " + skipped.reason());
        }
        return fields;
    }
}
