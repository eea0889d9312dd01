package io.forkline.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * How every subcommand ends on an error, installed once in {@link Main#commandLine()}.
 *
 * <ul>
 *   <li>A usage error (picocli's, or a {@link ParameterException} that a command throws for a
 *       value it rejects, see {@link #usage}) is one line {@code forkline SUBCOMMAND: message}, one
 *       hint line ({@code Try 'forkline SUBCOMMAND --help'.}, after picocli's suggestion for a
 *       mistyped option or subcommand), and exit status {@value #USAGE}.
 *   <li>Anything else a command throws is a bug or an environment forkline does not expect: one
 *       line {@code forkline: internal error: ...}, the stack trace only with
 *       {@code FORKLINE_DEBUG=1}, and exit status {@value #INTERNAL}, or the command's own
 *       {@code exitCodeOnExecutionException} where it declares one ({@code run}: 125).
 * </ul>
 */
final class Errors implements CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {
    /** A bad command line. */
    static final int USAGE = CommandLine.ExitCode.USAGE;
    /** An unexpected failure of forkline itself. */
    static final int INTERNAL = 255;

    private Errors() {}

    /** @return the handler for both kinds */
    static Errors handler() {
        return new Errors();
    }

    /**
     * Runs the parsed command as picocli's default strategy does, but hands an {@link Error} (a
     * native library that failed to load, a class that failed to initialise) to the execution
     * exception handler too, which picocli would let escape with its stack trace.
     */
    static CommandLine.IExecutionStrategy catchingErrors() {
        return parseResult -> {
            try {
                return new CommandLine.RunLast().execute(parseResult);
            } catch (Error e) {
                throw new CommandLine.ExecutionException(lastCommand(parseResult), e.toString(), e);
            }
        };
    }

    /**
     * @param spec the command's spec ({@code @Spec}), so that the error names the subcommand
     * @param message what is wrong and what is expected, on one line
     * @return a usage error for a value the command rejects after parsing, to be thrown
     */
    static ParameterException usage(CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /**
     * @return the value of {@code option} as the user typed it (the last one when repeated), or
     *     its default when it was not given, for messages that quote it
     */
    static String given(CommandSpec spec, String option) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (parsed != null && parsed.hasMatchedOption(option)) {
            List<String> typed = parsed.matchedOption(option).originalStringValues();
            if (!typed.isEmpty()) return typed.getLast();
        }
        return spec.findOption(option).defaultValueString();
    }

    /** @throws ParameterException unless {@code value} of {@code option} is at least {@code min} */
    static void requireAtLeast(CommandSpec spec, String option, long value, long min) {
        if (value < min) throw usage(spec, option + " must be " + min + " or more, got '" + given(spec, option) + "'");
    }

    /** @throws ParameterException unless {@code value} of {@code option} is from {@code min} to {@code max} */
    static void requireRange(CommandSpec spec, String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw usage(spec, option + " must be " + min + " to " + max + ", got '" + given(spec, option) + "'");
        }
    }

    /** @throws ParameterException unless every value of the list option {@code option} is at least {@code min} */
    static void requireAllAtLeast(CommandSpec spec, String option, List<Integer> values, long min) {
        for (int value : values) {
            if (value < min) {
                throw usage(spec, option + " values must be " + min + " or more, got " + value + " in '" + given(spec, option) + "'");
            }
        }
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine command = ex.getCommandLine();
        PrintWriter err = command.getErr();
        err.println(command.getCommandSpec().qualifiedName(" ") + ": " + oneLine(ex.getMessage()));
        String hint = "Try '" + withHelp(command).getCommandSpec().qualifiedName(" ") + " --help'.";
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
            hint = "Did you mean " + unmatched.getSuggestions().stream().map(s -> "'" + s + "'").collect(Collectors.joining(" or "))
                    + "? " + hint;
        }
        err.println(hint);
        err.flush();
        return USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine command, CommandLine.ParseResult parseResult) {
        Throwable failure = ex instanceof CommandLine.ExecutionException && ex.getCause() != null ? ex.getCause() : ex;
        if (failure instanceof ExceptionInInitializerError && failure.getCause() != null) failure = failure.getCause();
        PrintWriter err = command.getErr();
        err.println("forkline: internal error: " + oneLine(failure.toString()));
        if ("1".equals(System.getenv("FORKLINE_DEBUG"))) failure.printStackTrace(err);
        err.flush();
        int declared = command.getCommandSpec().exitCodeOnExecutionException();
        return declared == CommandLine.ExitCode.SOFTWARE ? INTERNAL : declared;
    }

    /** The hidden internal commands have no --help of their own; their parent has. */
    private static CommandLine withHelp(CommandLine command) {
        CommandLine c = command;
        while (c.getParent() != null && c.getCommandSpec().findOption("--help") == null) c = c.getParent();
        return c;
    }

    private static CommandLine lastCommand(CommandLine.ParseResult parseResult) {
        CommandLine.ParseResult last = parseResult;
        while (last.hasSubcommand()) last = last.subcommand();
        return last.commandSpec().commandLine();
    }

    private static String oneLine(String message) {
        return message == null ? "(no message)" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
