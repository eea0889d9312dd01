package io.forkline.parallel;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Where one input source's values come from: arguments given after {@code :::}, the lines of a
 * file ({@code ::::} FILE, {@code -a} FILE), or the lines of standard input.
 */
public sealed interface InputSource {
    /** @return a source of these values, in order */
    static InputSource arguments(List<String> values) {
        return new Arguments(List.copyOf(values));
    }

    /** @return a source of the file's lines; {@code -} is standard input */
    static InputSource file(Path path) {
        return path.toString().equals("-") ? Stdin.INSTANCE : new LinesOf(path);
    }

    /** @return a source of standard input's lines */
    static InputSource stdin() {
        return Stdin.INSTANCE;
    }

    /** @return how the source is named in messages */
    String describe();

    /**
     * Values given on the command line.
     *
     * @param values the values
     */
    record Arguments(List<String> values) implements InputSource {
        /** Checks the values. */
        public Arguments {
            Objects.requireNonNull(values, "values");
        }

        @Override
        public String describe() {
            return "::: arguments";
        }
    }

    /**
     * The lines of a file.
     *
     * @param path the file
     */
    record LinesOf(Path path) implements InputSource {
        /** Checks the path. */
        public LinesOf {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }

    /** The lines of standard input. */
    enum Stdin implements InputSource {
        /** The only instance. */
        INSTANCE;

        @Override
        public String describe() {
            return "standard input";
        }
    }
}
