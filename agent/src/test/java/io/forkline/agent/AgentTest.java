package io.forkline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which JDKs the agent changes anything on, and what it reproduces of each one's child. */
class AgentTest {
    private static Runtime.Version v(String version) {
        return Runtime.Version.parse(version);
    }

    @Test
    void theVerifiedReleasesAreServedAndOthersOnlyWhenForced() {
        for (String served : new String[] {"17.0.15+6", "17.0.19+10", "21.0.13.1+2", "25.0.3+9", "25.0.5.1+2"}) {
            assertThat(Agent.refusal("on", null, v(served))).as(served).isNull();
        }
        for (String unknown : new String[] {"18.0.2+9", "20.0.2+9", "22.0.2+9", "24.0.2+12", "26+35"}) {
            assertThat(Agent.refusal("on", null, v(unknown))).as(unknown)
                    .startsWith("JDK " + unknown + " is not one this agent was verified on (OpenJDK 17, 21 and 25")
                    .endsWith("-Dforkline.agent=force tries it anyway, rewriting only a ProcessImpl of the same shape");
            assertThat(Agent.refusal("force", null, v(unknown))).as(unknown).isNull();
        }
        assertThat(Agent.refusal("on", "FORK", v("21.0.13.1+2"))).isEqualTo(
                "jdk.lang.Process.launchMechanism is set, so the JDK's own launcher is kept");
    }

    /**
     * What each JDK's child does with signals, as seen on Debian's 17.0.15, 17.0.19 and 21.0.13
     * and on Temurin's 25.0.3 and Debian's 25.0.5 (the differential test compares them for real).
     */
    @Test
    void eachJdksChildSignalsAreTheOnesItsChildGets() {
        assertThat(NativeSpawn.jdkChild(v("17.0.15+6"))).as("17: the spawning thread's mask (SIGQUIT blocked)")
                .isEqualTo(NativeSpawn.CALLER_MASK);
        assertThat(NativeSpawn.jdkChild(v("17.0.19+10"))).isEqualTo(NativeSpawn.CALLER_MASK);
        assertThat(NativeSpawn.jdkChild(v("21.0.13.1+2"))).as("21: empty mask, SIGPIPE as inherited").isZero();
        assertThat(NativeSpawn.jdkChild(v("25.0.2+10"))).isZero();
        assertThat(NativeSpawn.jdkChild(v("25.0.3+9"))).as("25.0.3: JDK-8364611").isEqualTo(NativeSpawn.DEFAULT_PIPE);
        assertThat(NativeSpawn.jdkChild(v("25.0.5.1+2"))).isEqualTo(NativeSpawn.DEFAULT_PIPE);
    }
}
