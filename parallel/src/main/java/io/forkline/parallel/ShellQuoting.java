package io.forkline.parallel;

import java.util.List;

/**
 * Quotes words for a POSIX shell, so that a job's command line as shown (dry run, joblog) can be
 * pasted into a shell and means the same argv, and so that values put into a {@code --shell}
 * script stay one word each. Words with control characters use bash's {@code $'...'} form, which
 * also keeps tabs and newlines out of the joblog's tab-separated lines.
 */
public final class ShellQuoting {
    private ShellQuoting() {}

    /** @return {@code word} quoted for a shell, or as it is when it needs no quoting */
    public static String quote(String word) {
        if (word.isEmpty()) return "''";
        boolean plain = true;
        boolean control = false;
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (c < 0x20 || c == 0x7f) control = true;
            if (!isPlain(c)) plain = false;
        }
        if (plain) return word;
        if (control) return ansiC(word);
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** @return the words quoted and joined by spaces */
    public static String join(List<String> words) {
        StringBuilder out = new StringBuilder();
        for (String word : words) {
            if (!out.isEmpty()) out.append(' ');
            out.append(quote(word));
        }
        return out.toString();
    }

    private static boolean isPlain(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "_@%+=:,./-".indexOf(c) >= 0 || c > 0x7f;
    }

    private static String ansiC(String word) {
        StringBuilder out = new StringBuilder("$'");
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                case '\'' -> out.append("\\'");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) out.append(String.format("\\x%02x", (int) c));
                    else out.append(c);
                }
            }
        }
        return out.append('\'').toString();
    }
}
