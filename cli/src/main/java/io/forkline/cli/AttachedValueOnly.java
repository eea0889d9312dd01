package io.forkline.cli;

import java.util.Map;
import java.util.Stack;
import picocli.CommandLine;

/**
 * For an option whose value is optional ({@code --json} or {@code --json=FILE}): only a value
 * attached with {@code =} is the option's. Without it picocli would take the next word, so
 * {@code forkline run --json ls} would write to a file named ls instead of running it.
 */
final class AttachedValueOnly implements CommandLine.IParameterPreprocessor {
    @Override
    public boolean preprocess(Stack<String> args, CommandLine.Model.CommandSpec commandSpec, CommandLine.Model.ArgSpec argSpec,
            Map<String, Object> info) {
        // picocli says " " here when the next word is a word of its own, and "=" for --json=FILE.
        if (commandSpec.parser().separator().equals(info.get("separator"))) return false; // picocli takes FILE
        argSpec.setValue(((CommandLine.Model.OptionSpec) argSpec).fallbackValue());
        return true;
    }
}
