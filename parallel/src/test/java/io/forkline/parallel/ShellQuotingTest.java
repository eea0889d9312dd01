package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShellQuotingTest {
    @Test
    void quotesOnlyWhatNeedsIt() {
        assertThat(ShellQuoting.quote("plain-1.txt")).isEqualTo("plain-1.txt");
        assertThat(ShellQuoting.quote("")).isEqualTo("''");
        assertThat(ShellQuoting.quote("a b")).isEqualTo("'a b'");
        assertThat(ShellQuoting.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(ShellQuoting.quote("$HOME")).isEqualTo("'$HOME'");
        assertThat(ShellQuoting.quote("line\nnext")).isEqualTo("$'line\\nnext'");
        assertThat(ShellQuoting.join(List.of("echo", "a b", "c"))).isEqualTo("echo 'a b' c");
    }

    @Test
    void aShellReadsTheQuotedWordsBackAsTheSameArgv() throws Exception {
        List<String> words = List.of("a b", "it's", "$x", "tab\there", "new\nline", "back\\slash", "*", "");
        String line = "printf '[%s]\\n' " + ShellQuoting.join(words);
        Process p = new ProcessBuilder("bash", "-c", line).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        StringBuilder expected = new StringBuilder();
        for (String w : words) expected.append('[').append(w).append("]\n");
        assertThat(out).isEqualTo(expected.toString());
    }
}
