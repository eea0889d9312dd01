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
}
