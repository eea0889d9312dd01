package io.forkline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The entry every JVM loads: its class file version, and which JVMs it lets on to the rest. */
class PremainTest {
    @Test
    void theEntryIsAJava8ClassFileSoThatEveryJvmCanLoadIt() throws Exception {
        try (InputStream in = Premain.class.getResourceAsStream("Premain.class");
                DataInputStream data = new DataInputStream(in)) {
            assertThat(data.readInt()).isEqualTo(0xCAFEBABE);
            data.readUnsignedShort(); // minor
            assertThat(data.readUnsignedShort()).as("major version: 52 is Java 8").isEqualTo(52);
        }
    }

    @Test
    void jvmsOlderThanTheRestOfTheAgentAreRefusedWithTheirVersion() {
        assertThat(Premain.refusal("1.8", "Linux")).isEqualTo("JDK 8 is older than the JDK 25 this agent serves");
        assertThat(Premain.refusal("11", "Linux")).isEqualTo("JDK 11 is older than the JDK 25 this agent serves");
        assertThat(Premain.refusal("17", "Linux")).isEqualTo("JDK 17 is older than the JDK 25 this agent serves");
        assertThat(Premain.refusal("21", "Linux")).isEqualTo("JDK 21 is older than the JDK 25 this agent serves");
        assertThat(Premain.refusal("25", "Linux")).isNull();
        assertThat(Premain.refusal("26", "Linux")).as("newer: the rest decides (shape, -Dforkline.agent=force)").isNull();
        assertThat(Premain.refusal("25", "Mac OS X")).isEqualTo("not Linux but Mac OS X");
        assertThat(Premain.refusal("x.y", "Linux")).startsWith("cannot tell this JVM's Java version");
    }
}
