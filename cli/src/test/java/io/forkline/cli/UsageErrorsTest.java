package io.forkline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Every kind of bad value, for every option of every subcommand: one line naming the subcommand
 * and what is wrong, one hint line, exit status 2, nothing on stdout, and no stack trace. Where a
 * check were missing, the arguments keep the run short (one spawn, no warm-up).
 */
class UsageErrorsTest {
    /** The CLI in this JVM: {exit code, stdout, stderr}. */
    private static Object[] cli(List<String> args) {
        return cli(Main.commandLine(), args);
    }

    private static Object[] cli(CommandLine commandLine, List<String> args) {
        return CliHarness.inProcess(commandLine, args.toArray(String[]::new)).asArray();
    }

    static Stream<Arguments> badCommandLines() {
        return Stream.of(
                // run: a duration, a number-like duration, pairs, limits, controllers, exclusions, names, the command
                bad("forkline run", "cannot read duration 'xyz': use 500ms, 10s, 2m, 1h or PT10S", "run", "--timeout=xyz", "--", "true"),
                bad("forkline run", "--timeout must be more than 0, got '0'", "run", "--timeout", "0", "--", "true"),
                bad("forkline run", "--timeout must be more than 0, got 'PT0S'", "run", "--timeout", "PT0S", "--", "true"),
                bad("forkline run", "cannot read duration '-5s'", "run", "--timeout=-5s", "--", "true"),
                bad("forkline run", "duration 'PT-1S' is negative", "run", "--timeout", "PT-1S", "--", "true"),
                bad("forkline run", "too long", "run", "--timeout", "999999999d", "--", "true"),
                bad("forkline run", "--env wants NAME=value, got 'FOO'", "run", "--env", "FOO", "--", "true"),
                bad("forkline run", "--env wants NAME=value, got '=x'", "run", "--env", "=x", "--", "true"),
                bad("forkline run", "--limit wants FILE=VALUE (e.g. pids.max=100), got 'pids.max'", "run", "--limit", "pids.max", "--", "true"),
                bad("forkline run", "--limit: invalid memory.max value \"256Q\"", "run", "--limit", "memory.max=256Q", "--", "true"),
                bad("forkline run", "--limit: invalid pids.max value \"-1\"", "run", "--limit", "pids.max=-1", "--", "true"),
                bad("forkline run", "--limit: invalid cpu.weight value \"0\"", "run", "--limit", "cpu.weight=0", "--", "true"),
                bad("forkline run", "--limit: invalid nope.max value", "run", "--limit", "nope.max=1", "--", "true"),
                bad("forkline run", "--optional takes memory, cpu, pids or io, got 'gpu'", "run", "--optional", "pids,gpu", "--limit",
                        "pids.max=5", "--", "true"),
                bad("forkline run", "--limit and --optional exclude --cgroup", "run", "--cgroup", "/tmp", "--limit", "pids.max=5", "--",
                        "true"),
                bad("forkline run", "--cwd must be a directory, got '/nonexistent'", "run", "--cwd", "/nonexistent", "--", "true"),
                bad("forkline run", "--cgroup must be a cgroup v2 directory (one with cgroup.controllers), got '/tmp'", "run", "--cgroup",
                        "/tmp", "--", "true"),
                bad("forkline run", "Unknown option: '--tmeout'", "run", "--tmeout", "5", "--", "true"),
                bad("forkline run", "Missing required parameter: 'CMD'", "run", "--timeout", "5s"),
                bad("forkline run", "argv[0] is empty", "run", "--", ""),
                bad("forkline run", "--json: cannot write '/nonexistent/report.json': no such directory", "run",
                        "--json=/nonexistent/report.json", "--", "true"),
                bad("forkline run", "--json: cannot write '/proc': ", "run", "--json=/proc", "--", "true"),
                bad("forkline run", "--json= needs a file name", "run", "--json=", "--", "true"),
                bad("forkline run", "'maybe' is not a boolean", "run", "--new-session=maybe", "--", "true"),
                // bench spawn: ints, lists of ints, engines, ranges, paths
                bad("forkline bench spawn", "'x' is not an int", "bench", "spawn", "--n", "x"),
                bad("forkline bench spawn", "--n must be 1 or more, got '0'", "bench", "spawn", "--n", "0"),
                bad("forkline bench spawn", "--n must be 1 or more, got '-3'", "bench", "spawn", "--n", "-3"),
                bad("forkline bench spawn", "'x' is not an int", "bench", "spawn", "--concurrency", "1,x", "--n", "1"),
                bad("forkline bench spawn", "--concurrency values must be 1 or more, got 0 in '1,0'", "bench", "spawn", "--concurrency", "1,0",
                        "--n", "1", "--warmup", "0"),
                bad("forkline bench spawn", "unknown engine 'nope': use forkline, processbuilder, c, processbuilder-jvm or processbuilder+agent", "bench", "spawn", "--engines",
                        "forkline,nope", "--n", "1"),
                bad("forkline bench spawn", "--rounds must be 1 to 5, got '6'", "bench", "spawn", "--rounds", "6", "--n", "5", "--warmup", "0"),
                bad("forkline bench spawn", "--warmup must be 0 or more, got '-1'", "bench", "spawn", "--warmup", "-1", "--n", "1",
                        "--rounds", "1", "--engines", "forkline"),
                bad("forkline bench spawn", "--open-fds must be 0 to ", "bench", "spawn", "--open-fds", "-1", "--n", "1", "--rounds", "1",
                        "--warmup", "0", "--engines", "forkline"),
                bad("forkline bench spawn", "'99999999999' is not an int", "bench", "spawn", "--open-fds", "99999999999"),
                bad("forkline bench spawn", "--path must name an executable file", "bench", "spawn", "--path", "/nonexistent/true", "--n", "1",
                        "--rounds", "1", "--warmup", "0", "--engines", "forkline"),
                bad("forkline bench spawn", "'yes' is not a boolean", "bench", "spawn", "--json=yes"),
                // bench cgroup
                bad("forkline bench cgroup", "'ten' is not an int", "bench", "cgroup", "--n", "ten"),
                bad("forkline bench cgroup", "--n must be 1 or more, got '0'", "bench", "cgroup", "--n", "0"),
                bad("forkline bench cgroup", "'x' is not an int", "bench", "cgroup", "--concurrency", "2,x"),
                bad("forkline bench cgroup", "--concurrency values must be 1 or more, got -2 in '-2'", "bench", "cgroup", "--concurrency", "-2",
                        "--n", "1", "--rounds", "1", "--warmup", "0"),
                bad("forkline bench cgroup", "--rounds must be 1 to 1, got '0'", "bench", "cgroup", "--rounds", "0", "--n", "1"),
                bad("forkline bench cgroup", "--warmup must be 0 or more, got '-5'", "bench", "cgroup", "--warmup", "-5", "--n", "1",
                        "--rounds", "1", "--concurrency", "1"),
                bad("forkline bench cgroup", "--burst must be 0 or more, got '-1'", "bench", "cgroup", "--burst", "-1", "--n", "1", "--rounds",
                        "1", "--warmup", "0"),
                bad("forkline bench cgroup", "'1.5' is not an int", "bench", "cgroup", "--burst", "1.5"),
                bad("forkline bench cgroup", "Unknown option: '--with-v2'", "bench", "cgroup", "--with-v2"),
                // bench agent-start
                bad("forkline bench agent-start", "--n must be 1 or more, got '0'", "bench", "agent-start", "--n", "0"),
                bad("forkline bench spawn", "--java must name an executable java, got '/nonexistent/java'", "bench", "spawn",
                        "--java", "/nonexistent/java", "--n", "5"),
                // agent jdk
                bad("forkline agent jdk", "/nonexistent-jdk is not a JDK: no bin/java", "agent", "jdk", "--jdk",
                        "/nonexistent-jdk", "--output", "/tmp/forkline-never-made"),
                bad("forkline agent jdk", "Missing required option: '--jdk=<jdk>'", "agent", "jdk", "--output", "/tmp/x"),
                // bench first-spawn
                bad("forkline bench first-spawn", "--n must be 1 or more, got '0'", "bench", "first-spawn", "--n", "0"),
                // bench heap
                bad("forkline bench heap", "--n must be 1 or more, got '0'", "bench", "heap", "--n", "0"),
                bad("forkline bench heap", "--rounds must be 1 or more, got '0'", "bench", "heap", "--rounds", "0", "--n", "1"),
                bad("forkline bench heap", "'x' is not an int", "bench", "heap", "--heaps", "256,x"),
                bad("forkline bench heap", "--heaps values must be 1 to ", "bench", "heap", "--heaps", "256,0", "--n", "1", "--rounds", "1"),
                bad("forkline bench heap", "got 99999999 in '99999999'", "bench", "heap", "--heaps", "99999999", "--n", "1", "--rounds", "1"),
                // bench primitives, doctor: no values, so stray words and options
                bad("forkline bench primitives", "Unknown options: '--threads', '2'", "bench", "primitives", "--threads", "2"),
                bad("forkline bench primitives", "'please' is not a boolean", "bench", "primitives", "--json=please"),
                bad("forkline doctor", "Unknown option: '--verbose'", "doctor", "--verbose"),
                bad("forkline doctor", "Unmatched argument at index 1: 'extra'", "doctor", "extra"),
                // the hidden heap probe (its hint points at bench, which has --help)
                bad("forkline bench heap-probe", "Missing required option: '--heap-mb=<heapMb>'", "bench", "heap-probe"),
                bad("forkline bench heap-probe", "'big' is not an int", "bench", "heap-probe", "--heap-mb", "big"),
                bad("forkline bench heap-probe", "--heap-mb must be 1 to ", "bench", "heap-probe", "--heap-mb", "-1", "--n", "1"),
                bad("forkline bench heap-probe", "--n must be 1 or more, got '0'", "bench", "heap-probe", "--heap-mb", "1", "--n", "0"),
                // the top level and the bench group
                bad("forkline", "Unmatched argument at index 0: 'bnch'", "bnch"),
                bad("forkline bench", "Unmatched argument at index 1: 'spwn'", "bench", "spwn"),
                // parallel's typed options get the same converters and the same one-line error
                bad("forkline parallel", "cannot read duration 'soon'", "parallel", "--timeout", "soon", "echo", ":::", "a"),
                bad("forkline parallel", "'lots' is not a long", "parallel", "--pids", "lots", "echo", ":::", "a"),
                bad("forkline parallel", "'half' is not a double", "parallel", "--cpus", "half", "echo", ":::", "a"),
                bad("forkline parallel", "expected one of", "parallel", "--output", "sideways", "echo", ":::", "a"));
    }

    private static Arguments bad(String command, String message, String... args) {
        return Arguments.of(command, message, List.of(args));
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("badCommandLines")
    void aBadValueIsOneLineAndAHintAndExitStatus2(String command, String message, List<String> args) {
        Object[] result = cli(args);
        String stderr = (String) result[2];
        assertThat(result[0]).as(stderr).isEqualTo(2);
        assertThat((String) result[1]).as("stdout").isEmpty();
        List<String> lines = stderr.lines().toList();
        assertThat(lines).as(stderr).hasSize(2);
        assertThat(lines.get(0)).startsWith(command + ": ").contains(message);
        String help = command.equals("forkline bench heap-probe") ? "forkline bench" : command;
        assertThat(lines.get(1)).endsWith("Try '" + help + " --help'.");
        assertThat(stderr).doesNotContain("\tat ", "Exception");
    }

    @Test
    void aMistypedNameGetsPicocliSuggestion() {
        Object[] result = cli(List.of("run", "--timout", "5", "--", "true"));
        assertThat(((String) result[2]).lines().toList().get(1)).isEqualTo("Did you mean '--timeout'? Try 'forkline run --help'.");
        Object[] subcommand = cli(List.of("bench", "spwn"));
        assertThat(((String) subcommand[2]).lines().toList().get(1)).isEqualTo("Did you mean 'spawn' or 'first-spawn'? Try 'forkline bench --help'.");
    }

    @Test
    void theGlobalConverterReadsEveryDurationFormForEveryCommand() {
        CommandLine cli = Main.commandLine();
        cli.parseArgs("run", "--timeout", "1.5s", "--", "true");
        RunCommand run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.timeout).isEqualTo(java.time.Duration.ofMillis(1500));
        cli = Main.commandLine();
        cli.parseArgs("run", "--timeout", "30", "--", "true");
        assertThat(((RunCommand) cli.getSubcommands().get("run").getCommand()).timeout).isEqualTo(java.time.Duration.ofSeconds(30));
    }

    /** A command that fails the way a bug does. */
    @CommandLine.Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @CommandLine.Option(names = "--error")
        boolean error;

        @Override
        public Integer call() {
            if (error) throw new ExceptionInInitializerError(new UnsupportedOperationException("no native library"));
            throw new IllegalStateException("a bug\nover two lines");
        }
    }

    @Test
    void anUnexpectedExceptionIsOneLineAndExitStatus255() {
        CommandLine cli = Main.commandLine();
        cli.addSubcommand(new Boom());
        Object[] result = cli(cli, List.of("boom"));
        assertThat(result[0]).isEqualTo(255);
        assertThat((String) result[2]).isEqualTo("forkline: internal error: java.lang.IllegalStateException: a bug over two lines"
                + System.lineSeparator());
    }

    @Test
    void anErrorIsReportedTheSameWay() {
        CommandLine cli = Main.commandLine();
        cli.addSubcommand(new Boom());
        Object[] result = cli(cli, List.of("boom", "--error"));
        assertThat(result[0]).isEqualTo(255);
        assertThat((String) result[2]).isEqualTo("forkline: internal error: java.lang.UnsupportedOperationException: no native library"
                + System.lineSeparator());
    }

    @Test
    void runKeepsItsOwnStatusForItsOwnFailures() {
        CommandLine cli = Main.commandLine();
        CommandLine run = cli.getSubcommands().get("run");
        Errors errors = Errors.handler();
        PrintStream err = System.err;
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            assertThat(errors.handleExecutionException(new java.io.IOException("EMFILE"), run, null)).isEqualTo(125);
            assertThat(errors.handleExecutionException(new java.io.IOException("EMFILE"), cli.getSubcommands().get("doctor"), null))
                    .isEqualTo(255);
        } finally {
            System.setErr(err);
        }
    }
}
