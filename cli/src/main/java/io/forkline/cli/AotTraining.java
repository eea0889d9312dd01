package io.forkline.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The training run of the CLI's AOT cache (JDK 25: JEP 483, 514, 515). {@code ./forkline} runs
 * this once after every build of the jar, as
 * {@code java -XX:AOTCacheOutput=cli/target/forkline.aot -cp forkline.jar io.forkline.cli.AotTraining},
 * and then starts the CLI with {@code -XX:AOTCache}: the classes these commands load come
 * parsed, verified and linked from the cache, with the method profiles they gathered here.
 * Each command runs as {@link Main#main} would run it, with only its own subcommand built.
 */
public final class AotTraining {
    /** One training command and the exit status it should end with (the test checks that each still takes its path). */
    record Command(int status, List<String> args) {
        Command(int status, String... args) {
            this(status, List.of(args));
        }
    }

    /** The common quick paths; a command that takes long (bench) or changes the host (cgroup limits) has no place here. */
    static final List<Command> COMMANDS = List.of(
            new Command(0, "run", "--", "/bin/true"),
            new Command(3, "run", "--json", "--timeout", "10s", "--env", "FORKLINE_AOT_TRAINING=1", "--", "/bin/sh", "-c", "exit 3"),
            new Command(2, "run", "--timeout=soon", "--", "/bin/true"), // a usage error
            new Command(127, "run", "--", "/nonexistent/forkline-aot-training"), // a spawn error
            new Command(0, "--help"),
            new Command(0, "--version"),
            new Command(0, "run", "--help"),
            new Command(0, "doctor"),
            // forkline parallel:
            new Command(0, "parallel", "--quiet", "echo", ":::", "a", "b"),
            new Command(0, "parallel", "--json", "--timeout", "10s", "true", ":::", "1"),
            // A long run: what the per-job path loads and links only once it has run a while
            // comes from the cache too, which took 5% off 5000 jobs of /bin/true (3.0 s to 2.85 s).
            new Command(0, manyJobs(2000)));

    private static List<String> manyJobs(int jobs) {
        List<String> args = new ArrayList<>(List.of("parallel", "--quiet", "-j", "2", "true", ":::"));
        for (int i = 1; i <= jobs; i++) args.add(Integer.toString(i));
        return List.copyOf(args);
    }

    private AotTraining() {}

    /**
     * Runs every training command in this JVM; their exit statuses do not matter.
     *
     * @param args none
     */
    public static void main(String[] args) {
        for (Command command : COMMANDS) run(command);
    }

    /** @return its exit status, run as {@link Main#main} runs a command line */
    static int run(Command command) {
        return Main.commandLine(command.args().getFirst()).execute(command.args().toArray(String[]::new));
    }
}
