package io.forkline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JDK's words, read from its libjava.so: this JDK's, and an older build's. */
class JdkMessagesTest {
    @Test
    void thisJdksWordsAreRead() {
        JdkMessages.Words words = JdkMessages.read(Path.of(System.getProperty("java.home"), "lib", "libjava.so"));
        // Temurin 25.0.3, the build the agent was verified on
        assertThat(words.modern()).isTrue();
        assertThat(words.spawnAdvice()).startsWith("\nPossible reasons:\n").contains("launchMechanism=FORK");
        assertThat(JdkMessages.message(words, 2, "No such file or directory", NativeSpawn.WHERE_EXEC))
                .isEqualTo("Exec failed, error: 2 (No such file or directory) ");
        assertThat(JdkMessages.message(words, 11, "Resource temporarily unavailable", NativeSpawn.WHERE_SPAWN))
                .startsWith("posix_spawn failed, error: 11 (Resource temporarily unavailable) \nPossible reasons:");
    }

    @Test
    void anOlderBuildsWordsAndAnUnreadableLibrary(@TempDir Path dir) throws Exception {
        Path older = dir.resolve("libjava.so");
        Files.write(older, "\0error=%d, %s\0Exec failed\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        JdkMessages.Words words = JdkMessages.read(older);
        assertThat(words.modern()).isFalse();
        assertThat(JdkMessages.message(words, 13, "Permission denied", NativeSpawn.WHERE_CHDIR)).isEqualTo("error=13, Permission denied");
        assertThat(JdkMessages.read(dir.resolve("missing.so")).modern()).isFalse();
    }

    /**
     * Each served JDK's own words for a program that is not there: 17 still says
     * "error=2, ..." (ProcessImpl_md.c's IOE_FORMAT); Debian's 21.0.13 has the newer words, taken
     * into 21u, as 25.0.3 has them. The differential test holds the agent to the JDK's real message.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "JDK {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {17, 21, 25})
    void eachServedJdksWordsAreRead(int feature) throws Exception {
        TestJvms.Jvm jdk = feature == 17 ? TestJvms.debian17() : TestJvms.trixie(feature);
        JdkMessages.Words words = JdkMessages.read(jdk.home().resolve("lib/libjava.so"));
        String expected = feature == 17 ? "error=2, No such file or directory" : "Exec failed, error: 2 (No such file or directory) ";
        assertThat(JdkMessages.message(words, 2, "No such file or directory", NativeSpawn.WHERE_EXEC)).as("%s", jdk).isEqualTo(expected);
        assertThat(JdkMessages.message(words, 2, "No such file or directory", NativeSpawn.WHERE_CHDIR)).as("%s", jdk).isEqualTo(expected);
    }
}
