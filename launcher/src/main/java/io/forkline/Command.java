package io.forkline;

import io.forkline.cgroup.Cgroup;
import io.forkline.cgroup.Limits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What to start and how: argv, environment, working directory, standard streams, extra fds,
 * process group or session, parent-death signal, rlimits, umask, timeout and cgroup.
 *
 * <p>A Command is a mutable builder, like {@link ProcessBuilder}; {@link Launcher#spawn(Command)}
 * takes a snapshot, so one Command may be spawned many times and changed in between. It is not
 * safe to change a Command while another thread spawns it.
 *
 * <p>argv[0], unless it contains a slash, is looked up by forkline itself, before the spawn: in
 * the PATH that the command sets with {@link #env(String, String) env("PATH", ...)}, else in the
 * JVM's PATH, and that also when the child gets no PATH ({@link #clearEnvironment()},
 * {@link #removeEnv(String) removeEnv("PATH")}), as {@link ProcessBuilder} does; only when the
 * JVM has no PATH either, in {@code /bin:/usr/bin}. (ProcessBuilder searches the JVM's PATH even
 * when the child's environment has another; a command that sets a PATH means that one.)
 */
public final class Command {
    private final List<String> argv;
    /**
     * What the child's environment starts from, before {@link #env} and {@link #removeEnv}: null
     * for the JVM's, empty after {@link #clearEnvironment()}, a ProcessBuilder's entries as they
     * are after {@link #from(ProcessBuilder)}.
     */
    private Map<String, String> baseEnvironment;
    private final Map<String, String> environmentSet = new LinkedHashMap<>();
    private final Set<String> environmentRemoved = new LinkedHashSet<>();
    private Path cwd;
    private Stdio stdin = Stdio.inherit();
    private Stdio stdout = Stdio.inherit();
    private Stdio stderr = Stdio.inherit();
    private final TreeMap<Integer, Integer> passedFds = new TreeMap<>();
    private boolean newSession;
    private boolean newProcessGroup;
    private int parentDeathSignal;
    /** A TreeMap, in the enum's order as an EnumMap would be: an EnumMap's first use in a JVM reads
     * the enum's values by reflection, which a JVM's first spawn would pay for (about 3 ms). */
    private final TreeMap<ResourceLimit, long[]> limits = new TreeMap<>();
    private int umask = -1;
    private Duration timeout;
    private Duration killGrace = Duration.ofSeconds(2);
    private boolean posixSpawn;
    /** At most one of these three is set: a directory, a group, or limits for a borrowed group. */
    private Path cgroup;
    private Cgroup cgroupGroup;
    private Limits cgroupLimits;

    private Command(List<String> argv) {
        if (argv.isEmpty()) throw new IllegalArgumentException("argv is empty: a command needs at least argv[0]");
        for (int i = 0; i < argv.size(); i++) {
            String arg = Objects.requireNonNull(argv.get(i), "argv[" + i + "] is null");
            requireNoNul(arg, "argv[" + i + "]");
        }
        if (argv.get(0).isEmpty()) throw new IllegalArgumentException("argv[0] is empty: nothing to execute");
        this.argv = List.copyOf(argv);
    }

    /**
     * @param argv the program and its arguments
     * @return a command that inherits the environment, cwd and stdio
     * @throws IllegalArgumentException if argv is empty, argv[0] is empty, or an argument contains NUL
     */
    public static Command of(String... argv) {
        return new Command(List.of(argv));
    }

    /** As {@link #of(String...)}. */
    public static Command of(List<String> argv) {
        return new Command(new ArrayList<>(argv));
    }

    /**
     * A command that starts what {@code builder} would, so that
     * {@code launcher.spawn(Command.from(builder)).toProcess()} behaves as {@code builder.start()}:
     * its command, directory, environment, redirects and {@code redirectErrorStream}.
     *
     * <p>The environment is taken as {@code builder.environment()} holds it, every entry verbatim,
     * as the JDK's environment block would carry it: the JDK has checked the entries when they
     * were put, and it allows names that {@link #env(String, String)} refuses, such as the empty
     * one (the child gets {@code "=value"}). When it equals the JVM's, the child simply inherits
     * the JVM's. As with {@code builder.start()}, argv[0] is looked up in the JVM's PATH, not in
     * a PATH the builder's environment holds; one set later with {@code env("PATH", ...)} is.
     *
     * <p>Redirects map to {@link Stdio}: {@code PIPE} to {@link Stdio#pipe()}, {@code INHERIT}
     * to {@link Stdio#inherit()}, {@code DISCARD} to {@link Stdio#discard()}, {@code from(file)}
     * to {@link Stdio#readFrom}, {@code to(file)} to {@link Stdio#writeTo}, {@code appendTo(file)}
     * to {@link Stdio#appendTo}; {@code redirectErrorStream(true)} to
     * {@link Stdio#mergeIntoStdout()}, the builder's error redirect then being ignored, as
     * {@link ProcessBuilder#redirectError(ProcessBuilder.Redirect)} says (the JDK still creates
     * or truncates a file it names; forkline leaves the file alone). A file that cannot be opened
     * fails the spawn ({@link SpawnException}, an IOException as {@code start()} throws). The
     * builder is read once: later changes to it do not reach the command. Calling {@code builder.environment()} here gives the builder its own
     * copy of the JVM's environment if it had none, which changes nothing it starts.
     *
     * @param builder what to start
     * @return a command for what {@code builder.start()} would start
     * @throws IllegalArgumentException where {@code builder.start()} would throw: an empty command
     *     (the JDK throws IndexOutOfBoundsException), an empty argv[0], or a NUL byte in an
     *     argument (the JDK throws IOException); also a NUL byte in the directory's path
     * @throws NullPointerException if an argument is null, as with {@code builder.start()}
     */
    public static Command from(ProcessBuilder builder) {
        Command command = of(builder.command());
        if (builder.directory() != null) command.cwd(builder.directory().toPath());
        Map<String, String> environment = builder.environment();
        if (!environment.equals(System.getenv())) command.baseEnvironment = new LinkedHashMap<>(environment);
        command.stdin(stdio(builder.redirectInput()));
        command.stdout(stdio(builder.redirectOutput()));
        command.stderr(builder.redirectErrorStream() ? Stdio.mergeIntoStdout() : stdio(builder.redirectError()));
        return command;
    }

    private static Stdio stdio(ProcessBuilder.Redirect redirect) {
        // DISCARD is a WRITE to /dev/null; the launcher's own /dev/null saves an open.
        if (redirect.equals(ProcessBuilder.Redirect.DISCARD)) return Stdio.discard();
        return switch (redirect.type()) {
            case PIPE -> Stdio.pipe();
            case INHERIT -> Stdio.inherit();
            case READ -> Stdio.readFrom(redirect.file().toPath());
            case WRITE -> Stdio.writeTo(redirect.file().toPath());
            case APPEND -> Stdio.appendTo(redirect.file().toPath());
        };
    }

    /** Starts from an empty environment instead of the JVM's. */
    public Command clearEnvironment() {
        baseEnvironment = Map.of();
        environmentSet.clear();
        environmentRemoved.clear();
        return this;
    }

    /** Sets one environment variable. */
    public Command env(String name, String value) {
        requireEnvName(name);
        requireNoNul(Objects.requireNonNull(value, "value"), "environment value of " + name);
        environmentRemoved.remove(name);
        environmentSet.put(name, value);
        return this;
    }

    /** Sets several environment variables. */
    public Command env(Map<String, String> variables) {
        variables.forEach(this::env);
        return this;
    }

    /** Removes one environment variable. */
    public Command removeEnv(String name) {
        requireEnvName(name);
        environmentSet.remove(name);
        environmentRemoved.add(name);
        return this;
    }

    /** Sets the working directory; the child fails with a chdir error if it does not exist. */
    public Command cwd(Path directory) {
        requireNoNul(directory.toString(), "cwd");
        this.cwd = directory;
        return this;
    }

    /** Sets stdin: inherit, discard, readFrom, or pipe. */
    public Command stdin(Stdio stdio) {
        switch (Objects.requireNonNull(stdio, "stdio")) {
            case Stdio.Capture c -> throw new IllegalArgumentException("stdin cannot be captured");
            case Stdio.Stream s -> throw new IllegalArgumentException("stdin cannot be streamed to a listener");
            case Stdio.MergeIntoStdout m -> throw new IllegalArgumentException("only stderr can merge into stdout");
            case Stdio.File f when f.mode() != Stdio.FileMode.READ ->
                throw new IllegalArgumentException("stdin can only read from a file");
            default -> {}
        }
        this.stdin = stdio;
        return this;
    }

    /** Sets stdout. */
    public Command stdout(Stdio stdio) {
        requireOutput(stdio, "stdout");
        if (stdio instanceof Stdio.MergeIntoStdout) throw new IllegalArgumentException("only stderr can merge into stdout");
        this.stdout = stdio;
        return this;
    }

    /** Sets stderr; {@link Stdio#mergeIntoStdout()} sends it wherever stdout goes. */
    public Command stderr(Stdio stdio) {
        requireOutput(stdio, "stderr");
        this.stderr = stdio;
        return this;
    }

    /**
     * Passes one of the JVM's fds to the child.
     *
     * @param parentFd the fd in the JVM; it must stay open until the spawn returns
     * @param childFd the number it gets in the child, 3 or more
     */
    public Command passFd(int parentFd, int childFd) {
        if (childFd < 3) throw new IllegalArgumentException("childFd must be >= 3 (0-2 are set with stdin/stdout/stderr), got " + childFd);
        if (parentFd < 0) throw new IllegalArgumentException("parentFd must be >= 0, got " + parentFd);
        passedFds.put(childFd, parentFd);
        return this;
    }

    /** Runs the child in a new session (setsid), and so in a new process group. */
    public Command newSession() {
        this.newSession = true;
        return this;
    }

    /** Runs the child in a new process group that it leads; signals from timeouts and close reach the whole group. */
    public Command newProcessGroup() {
        this.newProcessGroup = true;
        return this;
    }

    /**
     * Asks the kernel to send {@code signal} to the child when the launcher dies. Such spawns run on
     * the launcher's own spawner thread, because Linux sends the signal when the thread that
     * spawned the child exits, not the process.
     */
    public Command parentDeathSignal(int signal) {
        if (signal < 1 || signal > 64) throw new IllegalArgumentException("signal must be 1..64, got " + signal);
        this.parentDeathSignal = signal;
        return this;
    }

    /** Sets an rlimit in the child; {@link ResourceLimit#UNLIMITED} means no limit. */
    public Command limit(ResourceLimit resource, long soft, long hard) {
        Objects.requireNonNull(resource, "resource");
        if (soft != ResourceLimit.UNLIMITED && hard != ResourceLimit.UNLIMITED && Long.compareUnsigned(soft, hard) > 0) {
            throw new IllegalArgumentException(resource + ": soft limit " + soft + " is above hard limit " + hard);
        }
        if ((soft < 0 && soft != ResourceLimit.UNLIMITED) || (hard < 0 && hard != ResourceLimit.UNLIMITED)) {
            throw new IllegalArgumentException(resource + ": limits must be >= 0 or UNLIMITED, got " + soft + "/" + hard);
        }
        limits.put(resource, new long[] {soft, hard});
        return this;
    }

    /** Sets the child's umask, 0 to 0777. */
    public Command umask(int mask) {
        if (mask < 0 || mask > 0777) throw new IllegalArgumentException("umask must be 0..0777, got 0" + Integer.toOctalString(mask));
        this.umask = mask;
        return this;
    }

    /**
     * Ends the child when it runs longer than this: SIGTERM, then SIGKILL after the kill grace
     * ({@link #killGrace(Duration)}). With a new process group or session, the whole group is signalled.
     */
    public Command timeout(Duration limit) {
        if (limit.isNegative() || limit.isZero()) throw new IllegalArgumentException("timeout must be positive, got " + limit);
        this.timeout = limit;
        return this;
    }

    /** How long a timed-out child gets between SIGTERM and SIGKILL; default 2 s, zero sends SIGKILL at once. */
    public Command killGrace(Duration grace) {
        if (grace.isNegative()) throw new IllegalArgumentException("kill grace must be >= 0, got " + grace);
        this.killGrace = grace;
        return this;
    }

    /**
     * Starts the child inside a cgroup v2 directory: born there through clone3 CLONE_INTO_CGROUP,
     * or, where clone3 is refused, spawned and then moved by writing its pid to cgroup.procs
     * ({@link Child#cgroupPlacement()} says which). The directory must be a cgroup v2 group that
     * the launcher may write to.
     */
    public Command cgroup(Path v2Group) {
        requireNoNul(v2Group.toString(), "cgroup");
        clearCgroup();
        this.cgroup = v2Group;
        return this;
    }

    /**
     * Starts the child in {@code group}: born in its v2 directory through clone3
     * CLONE_INTO_CGROUP with the group's own directory fd, and, on hybrid hosts, joined to its v1
     * groups (pids, cpu) by the child itself before it execs, so the program never runs outside
     * the group's limits. {@link Exit#cgroupStats()} reports the group's stats when the child is
     * reaped. The caller owns the group: it must stay open while the child is spawned. As the
     * group may hold other processes, a {@link #timeout(Duration) timeout} signals the child's
     * process group (or the child), not the cgroup; {@link Child#killTree()} kills the cgroup.
     */
    public Command cgroup(Cgroup group) {
        Objects.requireNonNull(group, "group");
        clearCgroup();
        this.cgroupGroup = group;
        return this;
    }

    /**
     * Starts the child in a cgroup of its own with these limits, taken from the launcher's
     * {@link Launcher.Builder#cgroupPool pool} (no mkdir on the fast path) and given back, emptied
     * with cgroup.kill and reset, when the child has been reaped. {@link Exit#cgroupStats()} reports
     * what the job used; {@link Child#killTree()}, and a {@link #timeout(Duration) timeout} after
     * its grace, kill the job's whole tree with cgroup.kill. Use
     * {@link Limits#NONE} for a group with accounting and tree kill only.
     *
     * @throws NullPointerException if {@code limits} is null
     */
    public Command cgroupLimits(Limits limits) {
        Objects.requireNonNull(limits, "limits");
        clearCgroup();
        this.cgroupLimits = limits;
        return this;
    }

    private void clearCgroup() {
        cgroup = null;
        cgroupGroup = null;
        cgroupLimits = null;
    }

    /**
     * Takes the posix_spawn path even where clone3 works. It exists to test the fallback and for
     * hosts that want it; rlimits, umask and a parent-death signal are refused there, and a child
     * meant for a cgroup is moved into it after it started ({@link CgroupPlacement#MIGRATED}).
     */
    public Command usePosixSpawn() {
        this.posixSpawn = true;
        return this;
    }

    /** @return the argv */
    public List<String> argv() {
        return argv;
    }

    // ---- read by the launcher -------------------------------------------------------------

    boolean inheritsEnvironmentUnchanged() {
        return baseEnvironment == null && environmentSet.isEmpty() && environmentRemoved.isEmpty();
    }

    /** @return the child's environment as NAME=value entries */
    List<String> environment(Map<String, String> jvmEnvironment) {
        Map<String, String> env = new LinkedHashMap<>(baseEnvironment != null ? baseEnvironment : jvmEnvironment);
        environmentRemoved.forEach(env::remove);
        env.putAll(environmentSet);
        List<String> entries = new ArrayList<>(env.size());
        env.forEach((name, value) -> entries.add(name + "=" + value));
        return entries;
    }

    /**
     * The PATH that argv[0] is looked up in (see the class comment): the one this command sets,
     * else the JVM's, whatever the child's environment holds otherwise; a ProcessBuilder's PATH
     * ({@link #from(ProcessBuilder)}) is not searched, as {@link ProcessBuilder#start()} does not.
     *
     * @return the PATH to search, or null for {@link ExecutableResolver#DEFAULT_PATH}
     */
    String searchPath(Map<String, String> jvmEnvironment) {
        String commandPath = environmentSet.get("PATH");
        return commandPath != null ? commandPath : jvmEnvironment.get("PATH");
    }

    Path cwd() {
        return cwd;
    }

    Stdio stdin() {
        return stdin;
    }

    Stdio stdout() {
        return stdout;
    }

    Stdio stderr() {
        return stderr;
    }

    Map<Integer, Integer> passedFds() {
        return Collections.unmodifiableMap(passedFds);
    }

    boolean isNewSession() {
        return newSession;
    }

    boolean isNewProcessGroup() {
        return newProcessGroup;
    }

    int parentDeathSignalNumber() {
        return parentDeathSignal;
    }

    Map<ResourceLimit, long[]> limits() {
        return limits;
    }

    int umaskValue() {
        return umask;
    }

    Duration timeoutValue() {
        return timeout;
    }

    Duration killGraceValue() {
        return killGrace;
    }

    boolean isPosixSpawn() {
        return posixSpawn;
    }

    Path cgroupDirectory() {
        return cgroup;
    }

    Cgroup cgroupGroup() {
        return cgroupGroup;
    }

    Limits cgroupLimitsValue() {
        return cgroupLimits;
    }

    private static void requireOutput(Stdio stdio, String which) {
        Objects.requireNonNull(stdio, "stdio");
        if (stdio instanceof Stdio.File f && f.mode() == Stdio.FileMode.READ) {
            throw new IllegalArgumentException(which + " cannot read from a file");
        }
    }

    private static void requireEnvName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.indexOf('=') >= 0) {
            throw new IllegalArgumentException("environment name must be non-empty and contain no '=': \"" + name + "\"");
        }
        requireNoNul(name, "environment name");
    }

    private static void requireNoNul(String value, String what) {
        int at = value.indexOf('\0');
        if (at >= 0) throw new IllegalArgumentException(what + " contains a NUL byte at index " + at + ": C strings end there");
    }

    @Override
    public String toString() {
        return "Command" + argv;
    }
}
