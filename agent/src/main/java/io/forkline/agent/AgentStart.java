package io.forkline.agent;

import java.lang.instrument.Instrumentation;

/**
 * The agent's start on a JVM that {@link Premain} found able to load it: everything but the check
 * for the oldest JVMs, which must be made by a class that every JVM can load.
 *
 * <p>Nothing here may throw: an exception out of premain ends the JVM before main. Every failure
 * leaves the JDK's own launcher in place and says so once on stderr.
 */
final class AgentStart {
    private AgentStart() {}

    /**
     * Called by {@link Premain} through reflection (its class file is Java 8's, and may not name
     * this one).
     *
     * @param setting {@code -Dforkline.agent}: "on", or "force"
     */
    static void start(String setting, Instrumentation instrumentation) {
        if (AgentStatus.active()) return; // attached again: ProcessImpl is rewritten already
        try {
            // A URL, not a Path: file system classes are loaded only at the first spawn.
            Agent.install(instrumentation, AgentStart.class.getProtectionDomain().getCodeSource().getLocation(), setting);
        } catch (Throwable t) {
            AgentStatus.off("the agent could not be installed: " + t, true);
        }
    }
}
