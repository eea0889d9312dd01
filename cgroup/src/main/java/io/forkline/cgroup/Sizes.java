package io.forkline.cgroup;

import java.util.OptionalLong;

/**
 * Byte sizes as the kernel reads them in {@code memory.max}, {@code memory.high} and
 * {@code memory.swap.max} (memparse in {@code lib/cmdline.c}): a decimal number with an optional
 * one-letter suffix, in upper or lower case, for binary multiples: {@code K} (2<sup>10</sup>),
 * {@code M} (2<sup>20</sup>), {@code G}, {@code T}, {@code P}, {@code E} (2<sup>60</sup>).
 * {@code 512M} is 536870912 bytes. No fractions, no sign, no {@code B}, no hexadecimal or octal
 * (memparse would read {@code 010} as 8; here it is 10), nothing above {@link Long#MAX_VALUE}.
 *
 * <p>{@link Limits} reads its memory values with this and writes the byte count; use
 * {@link #parseBytes(String)} to read a size the same way anywhere else (a CLI's
 * {@code --memory 512M}).
 */
public final class Sizes {
    /** What a size looks like, for error messages. */
    public static final String EXPECTED = "a byte count (0 or more) with an optional K, M, G, T, P or E suffix "
            + "for binary multiples (512M is 536870912 bytes)";

    private static final String SUFFIXES = "kmgtpe";

    private Sizes() {}

    /**
     * @param text such as {@code 4096}, {@code 64k}, {@code 512M} or {@code 2G}; surrounding whitespace is ignored
     * @return the number of bytes
     * @throws IllegalArgumentException naming the text and what a size looks like, for anything else or for a size
     *     above {@link Long#MAX_VALUE} bytes
     */
    public static long parseBytes(String text) {
        OptionalLong bytes = text == null ? OptionalLong.empty() : bytes(text.strip());
        if (bytes.isEmpty()) throw new IllegalArgumentException("cannot read size '" + text + "': " + EXPECTED);
        return bytes.getAsLong();
    }

    /** @return the byte count, or empty when {@code text} is not a size or is too large */
    static OptionalLong bytes(String text) {
        int digits = text.length();
        int shift = 0;
        if (digits > 0) {
            int suffix = SUFFIXES.indexOf(Character.toLowerCase(text.charAt(digits - 1)));
            if (suffix >= 0) {
                shift = 10 * (suffix + 1);
                digits--;
            }
        }
        if (digits == 0 || digits > 19) return OptionalLong.empty();
        for (int i = 0; i < digits; i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') return OptionalLong.empty();
        }
        long number;
        try {
            number = Long.parseLong(text, 0, digits, 10);
        } catch (NumberFormatException tooLarge) {
            return OptionalLong.empty();
        }
        if (number > Long.MAX_VALUE >> shift) return OptionalLong.empty();
        return OptionalLong.of(number << shift);
    }
}
