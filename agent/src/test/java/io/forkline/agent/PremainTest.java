package io.forkline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.InputStream;
import java.util.List;
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

    /**
     * The rest of the agent is compiled for 17, so 17 and every later release get past the entry
     * (which of them the agent then changes anything on is AgentTest's). A real JDK 11 refused,
     * and real 17 and 21 let through, are AgentControlTest's; 8 and the edges are checked here.
     */
    @Test
    void jvmsOlderThanTheRestOfTheAgentAreRefusedWithTheirVersion() {
        assertThat(Premain.OLDEST_LOADABLE).isEqualTo(17);
        assertThat(Premain.refusal("1.8", "Linux")).isEqualTo("JDK 8 is older than JDK 17, the oldest this agent serves");
        assertThat(Premain.refusal("11", "Linux")).isEqualTo("JDK 11 is older than JDK 17, the oldest this agent serves");
        assertThat(Premain.refusal("16", "Linux")).isEqualTo("JDK 16 is older than JDK 17, the oldest this agent serves");
        assertThat(Premain.refusal("17", "Linux")).isNull();
        assertThat(Premain.refusal("21", "Linux")).isNull();
        assertThat(Premain.refusal("25", "Linux")).isNull();
        assertThat(Premain.refusal("22", "Linux")).as("between: the rest decides (verified releases, -Dforkline.agent=force)").isNull();
        assertThat(Premain.refusal("26", "Linux")).as("newer: the rest decides").isNull();
        assertThat(Premain.refusal("17", "Mac OS X")).isEqualTo("not Linux but Mac OS X");
        assertThat(Premain.refusal("x.y", "Linux")).startsWith("cannot tell this JVM's Java version");
    }

    @Test
    void theRestOfTheAgentIsAJava17ClassFile() throws Exception {
        for (Class<?> c : List.of(Agent.class, AgentStart.class, ProcessImplBridge.class, NativeSpawn.class)) {
            try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class");
                    DataInputStream data = new DataInputStream(in)) {
                data.readInt();
                data.readUnsignedShort();
                assertThat(data.readUnsignedShort()).as("%s: major version 61 is Java 17", c.getSimpleName()).isEqualTo(61);
            }
        }
    }
}
