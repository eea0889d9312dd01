package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommandTemplateTest {
    private static List<String> argv(List<String> words, int slot, long seq, String... values) throws JobSpecException {
        return CommandTemplate.parse(words, values.length, false).argv(new JobInput(seq, List.of(values)), slot);
    }

    @Test
    void replacementStringsAreGnuParallels() throws JobSpecException {
        assertThat(argv(List.of("x", "{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}"), 2, 7, "dir.x/a/b.tar.gz"))
                .containsExactly("x", "dir.x/a/b.tar.gz", "dir.x/a/b.tar", "b.tar.gz", "dir.x/a", "b.tar", "7", "2");
        // {.} only drops an extension of the last component; {//} of a bare name is ".".
        assertThat(argv(List.of("{.}", "{//}", "{/}"), 1, 1, "dir.x/file")).containsExactly("dir.x/file", "dir.x", "file");
        assertThat(argv(List.of("{//}"), 1, 1, "plain")).containsExactly(".");
        assertThat(argv(List.of("{//}"), 1, 1, "/top")).containsExactly("/");
        assertThat(argv(List.of("{.}"), 1, 1, ".bashrc")).containsExactly("");
    }

    @Test
    void numberedSourcesTakeModifiersToo() throws JobSpecException {
        assertThat(argv(List.of("cp", "{1}", "{2/}", "{1.}.{2/}"), 1, 1, "a/x.txt", "b/y"))
                .containsExactly("cp", "a/x.txt", "y", "a/x.y");
    }

    @Test
    void aWordThatIsTheWholeInputGivesOneArgumentPerSourceAndInsideAWordTheyAreJoined() throws JobSpecException {
        assertThat(argv(List.of("echo", "{}"), 1, 1, "a b", "c")).containsExactly("echo", "a b", "c");
        assertThat(argv(List.of("echo", "<{}>"), 1, 1, "a", "c")).containsExactly("echo", "<a c>");
        assertThat(argv(List.of("echo", "{.}"), 1, 1, "a.x", "b.y")).containsExactly("echo", "a", "b");
    }

    @Test
    void withoutAReplacementStringTheInputIsAppended() throws JobSpecException {
        assertThat(argv(List.of("gzip", "-k"), 1, 1, "my file", "2")).containsExactly("gzip", "-k", "my file", "2");
    }

    @Test
    void unknownBracesStayAsTheyAre() throws JobSpecException {
        assertThat(argv(List.of("awk", "{print $1}", "{x}", "{}"), 1, 1, "f")).containsExactly("awk", "{print $1}", "{x}", "f");
    }

    @Test
    void aShellScriptQuotesEveryValue() throws JobSpecException {
        CommandTemplate t = CommandTemplate.parse(List.of("gzip -c {} > {.}.gz"), 1, true);
        JobInput input = new JobInput(1, List.of("it's a.txt"));
        assertThat(t.argv(input, 1)).containsExactly("/bin/sh", "-c", "gzip -c 'it'\\''s a.txt' > 'it'\\''s a'.gz");
        assertThat(t.display(input, 1)).isEqualTo("gzip -c 'it'\\''s a.txt' > 'it'\\''s a'.gz");
        assertThat(CommandTemplate.parse(List.of("echo"), 1, true).argv(input, 1)).containsExactly("/bin/sh", "-c", "echo 'it'\\''s a.txt'");
    }

    @Test
    void theDisplayIsAShellLineForTheSameArgv() throws JobSpecException {
        CommandTemplate t = CommandTemplate.parse(List.of("printf", "%s\\n", "{}"), 1, false);
        assertThat(t.display(new JobInput(1, List.of("a\tb")), 1)).isEqualTo("printf '%s\\n' $'a\\tb'");
    }

    @Test
    void aSourceThatDoesNotExistIsRefusedWhenParsed() {
        assertThatThrownBy(() -> CommandTemplate.parse(List.of("echo", "{3}"), 2, false))
                .isInstanceOf(JobSpecException.class).hasMessageContaining("{3}").hasMessageContaining("are 2");
        assertThatThrownBy(() -> CommandTemplate.parse(List.of("echo", "{0}"), 2, false))
                .isInstanceOf(JobSpecException.class).hasMessageContaining("numbered from 1");
        assertThatThrownBy(() -> CommandTemplate.parse(List.of(), 1, false)).isInstanceOf(JobSpecException.class)
                .hasMessageContaining("no command");
    }

    @Test
    void knowsWhetherItUsesTheSlot() throws JobSpecException {
        assertThat(CommandTemplate.parse(List.of("x", "{%}"), 1, false).usesSlot()).isTrue();
        assertThat(CommandTemplate.parse(List.of("x", "{#}"), 1, false).usesSlot()).isFalse();
    }
}
