package io.forkline.agent;

import java.lang.instrument.Instrumentation;
import java.nio.file.Path;

/**
 * The agent's entry: {@code -javaagent:forkline-agent.jar}, or attached to a running JVM.
 *
 * <p>Nothing here may throw: an exception out of premain ends the JVM before main. Every failure
 * leaves the JDK's own launcher in place and says so once on stderr.
 */
public final class Premain {
    private Premain() {}

    /** Called before main with {@code -javaagent}. */
    public static void premain(String arguments, Instrumentation instrumentation) {
        start(instrumentation);
    }

    /** Called when the agent is attached to a running JVM; ProcessImpl is then retransformed. */
    public static void agentmain(String arguments, Instrumentation instrumentation) {
        start(instrumentation);
    }

    private static void start(Instrumentation instrumentation) {
        String setting = System.getProperty("forkline.agent", "on");
        if (setting.equals("off")) {
            AgentStatus.off("-Dforkline.agent=off", false);
            return;
        }
        if (AgentStatus.active()) return; // attached again: ProcessImpl is rewritten already
        try {
            Path jar = Path.of(Premain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Agent.install(instrumentation, jar, setting);
        } catch (Throwable t) {
            AgentStatus.off("the agent could not be installed: " + t, true);
        }
    }
}
