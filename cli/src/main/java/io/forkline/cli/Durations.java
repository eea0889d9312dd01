package io.forkline.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Durations as people write them on a command line: {@code 500ms}, {@code 10s}, {@code 1.5s},
 * {@code 2m}, {@code 1h}, {@code 1d}, a plain number of seconds ({@code 30}, {@code 2.5}: GNU
 * parallel's {@code --timeout} takes seconds), or ISO-8601 ({@code PT10S}). Registered for every
 * {@link Duration} option of the CLI in {@link Main#commandLine()}.
 *
 * <p>A duration is never negative, and at most {@link #MAX} (what fits in a {@code long} of
 * nanoseconds), so that code taking one may call {@link Duration#toNanos()} without overflow.
 */
final class Durations {
    /** The longest duration read: about 292 years, the most a {@code long} of nanoseconds holds. */
    static final Duration MAX = Duration.ofNanos(Long.MAX_VALUE);

    /** For picocli: the same parse, its error as a conversion error that picocli prefixes with the option's name. */
    static final CommandLine.ITypeConverter<Duration> CONVERTER = text -> {
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    };

    private static final String EXPECTED = "use 500ms, 10s, 2m, 1h or PT10S";
    /** A decimal number without sign or exponent, then an optional unit. */
    private static final Pattern HUMAN = Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(ms|s|m|h|d)?");

    private Durations() {}

    /**
     * @param text such as {@code 500ms}, {@code 1.5s}, {@code 2m}, {@code 1h}, {@code 1d}, {@code 30} (seconds) or {@code PT10S}
     * @return the duration, rounded to the nanosecond
     * @throws IllegalArgumentException naming the text and the accepted forms, for anything else, a negative duration,
     *     or one longer than {@link #MAX}
     */
    static Duration parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        Duration duration;
        if (t.startsWith("p") || t.startsWith("-p") || t.startsWith("+p")) {
            try {
                duration = Duration.parse(t);
            } catch (DateTimeParseException | ArithmeticException e) {
                throw unreadable(text);
            }
        } else {
            Matcher m = HUMAN.matcher(t);
            if (!m.matches()) throw unreadable(text);
            BigDecimal nanosPerUnit = BigDecimal.valueOf(switch (m.group(2) == null ? "s" : m.group(2)) {
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                default -> 86_400_000_000_000L; // d
            });
            BigDecimal nanos = new BigDecimal(m.group(1)).multiply(nanosPerUnit).setScale(0, RoundingMode.HALF_UP);
            if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) throw tooLong(text);
            duration = Duration.ofNanos(nanos.longValueExact());
        }
        if (duration.isNegative()) throw new IllegalArgumentException("duration '" + text + "' is negative: " + EXPECTED);
        if (duration.compareTo(MAX) > 0) throw tooLong(text);
        return duration;
    }

    private static IllegalArgumentException unreadable(String text) {
        return new IllegalArgumentException("cannot read duration '" + text + "': " + EXPECTED);
    }

    private static IllegalArgumentException tooLong(String text) {
        return new IllegalArgumentException("duration '" + text + "' is too long: at most " + MAX.toDays() + "d");
    }
}
