package io.forkline.cli;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code forkline}: run commands, benchmark spawning, and inspect what the host offers. */
@Command(
        name = "forkline",
        mixinStandardHelpOptions = true,
        version = "forkline 0.1.0",
        description = "Start processes on Linux at container scale, from the JVM.")
public final class Main {
    /**
     * The subcommands, in the order {@code --help} lists them. picocli reads a command's
     * annotations by reflection when the command is added, most of the CLI's own start-up time,
     * so {@link #main} adds only the one it runs.
     */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

    static {
        SUBCOMMANDS.put("run", RunCommand::new);
        SUBCOMMANDS.put("parallel", ParallelCommand::new);
        SUBCOMMANDS.put("lab", LabCommand::commandLine);
        SUBCOMMANDS.put("bench", Bench::new);
        SUBCOMMANDS.put("agent", Agent::new);
        SUBCOMMANDS.put("doctor", DoctorCommand::new);
    }

    private Main() {}

    /** The {@code bench} group. */
    @Command(
            name = "bench",
            mixinStandardHelpOptions = true,
            description = "Benchmarks that report ratios measured side by side in one run.",
            subcommands = {BenchSpawnCommand.class, BenchCgroupCommand.class, BenchHeapCommand.class, BenchAgentStartCommand.class,
                BenchFirstSpawnCommand.class, BenchPrimitivesCommand.class, BenchParallelCommand.class,
                HeapProbeCommand.class})
    static final class Bench {}

    /** The {@code agent} group: the drop-in agent's tools. */
    @Command(
            name = "agent",
            mixinStandardHelpOptions = true,
            description = "The drop-in agent (agent/target/forkline-agent.jar): a JDK with it built in.",
            subcommands = {AgentJdkCommand.class})
    static final class Agent {}

    /** @return the whole command line, every subcommand in it */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * @param first the first word of the command line
     * @return the command line with only that subcommand when {@code first} names one, else with all of them
     */
    static CommandLine commandLine(String first) {
        CommandLine cli = new CommandLine(new Main());
        SUBCOMMANDS.forEach((name, command) -> {
            if (first == null || !SUBCOMMANDS.containsKey(first) || first.equals(name)) cli.addSubcommand(name, command.get());
        });
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // GNU parallel's rule, and env's: options end at the command, whose own options are its own.
        for (String name : new String[] {"run", "parallel"}) {
            if (cli.getSubcommands().containsKey(name)) cli.getSubcommands().get(name).setStopAtPositional(true);
        }
        // After every subcommand is added: registerConverter reaches only the subcommands it finds.
        cli.registerConverter(Duration.class, Durations.CONVERTER);
        Errors errors = Errors.handler();
        cli.setParameterExceptionHandler(errors).setExecutionExceptionHandler(errors).setExecutionStrategy(Errors.catchingErrors());
        return cli;
    }

    /** @param args the command line */
    public static void main(String[] args) {
        System.exit(commandLine(args.length == 0 ? null : args[0]).execute(args));
    }
}
