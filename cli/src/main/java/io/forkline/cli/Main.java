package io.forkline.cli;

import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code forkline}: run commands, benchmark spawning, and inspect what the host offers. */
@Command(
        name = "forkline",
        mixinStandardHelpOptions = true,
        version = "forkline 0.1.0",
        description = "Start processes on Linux at container scale, from the JVM.",
        subcommands = {RunCommand.class, ParallelCommand.class, Main.Bench.class, DoctorCommand.class})
public final class Main {
    private Main() {}

    /** The {@code bench} group. */
    @Command(
            name = "bench",
            mixinStandardHelpOptions = true,
            description = "Benchmarks that report ratios measured side by side in one run.",
            subcommands = {BenchSpawnCommand.class, BenchCgroupCommand.class, BenchHeapCommand.class, BenchPrimitivesCommand.class, BenchParallelCommand.class,
                HeapProbeCommand.class})
    static final class Bench {}

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        // GNU parallel's rule, and env's: options end at the command, whose own options are its own.
        cli.getSubcommands().get("parallel").setStopAtPositional(true);
        cli.getSubcommands().get("run").setStopAtPositional(true);
        // After every subcommand is added: registerConverter reaches only the subcommands it finds.
        cli.registerConverter(Duration.class, Durations.CONVERTER);
        Errors errors = Errors.handler();
        cli.setParameterExceptionHandler(errors).setExecutionExceptionHandler(errors).setExecutionStrategy(Errors.catchingErrors());
        return cli;
    }

    /** @param args the command line */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
