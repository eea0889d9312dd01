package io.forkline.parallel;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A job's command with GNU parallel's replacement strings: {@code {}} (the input), {@code {.}}
 * (without extension), {@code {/}} (basename), {@code {//}} (dirname), {@code {/.}} (basename
 * without extension), {@code {#}} (job number), {@code {%}} (job slot), and {@code {N}},
 * {@code {N.}}, {@code {N/}}, {@code {N//}}, {@code {N/.}} for input source N. Without any
 * replacement string, the input values are appended as the last arguments.
 *
 * <p>Without {@code --shell} each word of the template becomes one argument and no shell is
 * involved: a word that is exactly {@code {}} (or one of its modified forms) gives one argument
 * per input source, as the shell would have split GNU parallel's {@code {}}; inside a longer word
 * the values are joined by spaces. With {@code --shell} the words are joined into one
 * {@code /bin/sh -c} script and every value is shell-quoted, as GNU parallel quotes them.
 * Replacement strings that are none of these (say {@code {x}}) stay as they are.
 */
public final class CommandTemplate {
    private static final Pattern TOKEN = Pattern.compile("\\{(#|%|([0-9]+)?(\\.|/|//|/\\.)?)}");

    /** What a token stands for; {@code source} is 0 for the whole input, else 1-based. */
    private record Token(char kind, int source, String modifier) {}

    /** A word: literal text and tokens, alternating. */
    private record Word(List<Object> parts) {
        boolean isSingleWholeInputToken() {
            return parts.size() == 1 && parts.get(0) instanceof Token t && t.kind == 'v' && t.source == 0;
        }
    }

    private final List<Word> words;
    private final boolean shell;
    private final boolean appendInput;

    private CommandTemplate(List<Word> words, boolean shell, boolean appendInput) {
        this.words = words;
        this.shell = shell;
        this.appendInput = appendInput;
    }

    /**
     * @param words the command and its arguments, with replacement strings
     * @param sourceCount how many input sources there are, for checking {@code {N}}
     * @param shell whether the job runs as a {@code /bin/sh -c} script
     * @throws JobSpecException when there is no command, or {@code {N}} names a source that does not exist
     */
    public static CommandTemplate parse(List<String> words, int sourceCount, boolean shell) throws JobSpecException {
        if (words.isEmpty() || words.get(0).isEmpty()) throw new JobSpecException("no command to run: give it before the inputs, e.g. gzip -k ::: a b");
        List<Word> parsed = new ArrayList<>();
        boolean anyToken = false;
        for (String word : words) {
            List<Object> parts = new ArrayList<>();
            Matcher m = TOKEN.matcher(word);
            int at = 0;
            while (m.find()) {
                if (m.start() > at) parts.add(word.substring(at, m.start()));
                parts.add(token(m, sourceCount, word));
                anyToken = true;
                at = m.end();
            }
            if (at < word.length()) parts.add(word.substring(at));
            parsed.add(new Word(List.copyOf(parts)));
        }
        return new CommandTemplate(List.copyOf(parsed), shell, !anyToken);
    }

    private static Token token(Matcher m, int sourceCount, String word) throws JobSpecException {
        String body = m.group(1);
        if (body.equals("#")) return new Token('#', 0, "");
        if (body.equals("%")) return new Token('%', 0, "");
        int source = 0;
        if (m.group(2) != null) {
            source = Integer.parseInt(m.group(2).length() > 6 ? "999999" : m.group(2));
            if (source == 0) throw new JobSpecException("'" + m.group() + "' in '" + word + "': input sources are numbered from 1");
            if (source > sourceCount) {
                throw new JobSpecException("'" + m.group() + "' in '" + word + "' names input source " + source + ", but there "
                        + (sourceCount == 1 ? "is 1" : "are " + sourceCount));
            }
        }
        return new Token('v', source, m.group(3) == null ? "" : m.group(3));
    }

    /** @return whether the command names the job slot ({@code {%}}), which differs from run to run */
    public boolean usesSlot() {
        for (Word word : words) {
            for (Object part : word.parts()) {
                if (part instanceof Token t && t.kind == '%') return true;
            }
        }
        return false;
    }

    /** @return whether jobs run through {@code /bin/sh -c} */
    public boolean shell() {
        return shell;
    }

    /**
     * @param input the job's input
     * @param slot the job slot it runs in, from 1
     * @return the argv to execute
     */
    public List<String> argv(JobInput input, int slot) {
        if (shell) return List.of("/bin/sh", "-c", script(input, slot));
        List<String> argv = new ArrayList<>(words.size() + input.values().size());
        for (Word word : words) {
            if (word.isSingleWholeInputToken() && input.values().size() > 1) {
                Token t = (Token) word.parts().get(0);
                for (String value : input.values()) argv.add(modify(value, t.modifier));
                continue;
            }
            StringBuilder out = new StringBuilder();
            for (Object part : word.parts()) {
                if (part instanceof String text) out.append(text);
                else out.append(expand((Token) part, input, slot, false));
            }
            argv.add(out.toString());
        }
        if (appendInput) argv.addAll(input.values());
        return argv;
    }

    /**
     * @return how the job's command is shown in a dry run and the joblog: the shell script for
     *     {@code --shell}, else the argv quoted for a shell
     */
    public String display(JobInput input, int slot) {
        return shell ? script(input, slot) : ShellQuoting.join(argv(input, slot));
    }

    private String script(JobInput input, int slot) {
        StringBuilder out = new StringBuilder();
        for (Word word : words) {
            if (!out.isEmpty()) out.append(' ');
            for (Object part : word.parts()) {
                if (part instanceof String text) out.append(text);
                else out.append(expand((Token) part, input, slot, true));
            }
        }
        if (appendInput) {
            for (String value : input.values()) out.append(' ').append(ShellQuoting.quote(value));
        }
        return out.toString();
    }

    private static String expand(Token t, JobInput input, int slot, boolean quote) {
        return switch (t.kind) {
            case '#' -> Long.toString(input.seq());
            case '%' -> Integer.toString(slot);
            default -> {
                if (t.source > 0) {
                    String v = modify(input.values().get(t.source - 1), t.modifier);
                    yield quote ? ShellQuoting.quote(v) : v;
                }
                StringBuilder all = new StringBuilder();
                for (String value : input.values()) {
                    if (!all.isEmpty()) all.append(' ');
                    String v = modify(value, t.modifier);
                    all.append(quote ? ShellQuoting.quote(v) : v);
                }
                yield all.toString();
            }
        };
    }

    /** GNU parallel's modifiers: {@code .} drops the extension, {@code /} keeps the basename, {@code //} the dirname. */
    static String modify(String value, String modifier) {
        return switch (modifier) {
            case "" -> value;
            case "." -> withoutExtension(value);
            case "/" -> basename(value);
            case "//" -> dirname(value);
            case "/." -> withoutExtension(basename(value));
            default -> throw new IllegalArgumentException(modifier);
        };
    }

    /** Drops a final {@code .ext} whose ext has no dot or slash: {@code a/b.tar.gz} is {@code a/b.tar}, {@code dir.x/f} stays. */
    private static String withoutExtension(String value) {
        int dot = value.lastIndexOf('.');
        if (dot < 0 || value.indexOf('/', dot) >= 0) return value;
        return value.substring(0, dot);
    }

    private static String basename(String value) {
        return value.substring(value.lastIndexOf('/') + 1);
    }

    /** As POSIX dirname: {@code a} is {@code .}, {@code /a} is {@code /}, {@code a/b/} is {@code a}. */
    private static String dirname(String value) {
        int end = value.length();
        while (end > 1 && value.charAt(end - 1) == '/') end--;
        int slash = value.lastIndexOf('/', end - 1);
        if (slash < 0) return ".";
        while (slash > 0 && value.charAt(slash - 1) == '/') slash--;
        return slash == 0 ? "/" : value.substring(0, slash);
    }
}
