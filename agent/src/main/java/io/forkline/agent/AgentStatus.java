package io.forkline.agent;

/**
 * What the agent is doing, for people and for tests: the system properties
 * {@code forkline.agent.status} ("active", "installed: ..." until java.lang.ProcessImpl loads, or
 * "off: why"), {@code forkline.agent.spawns} and {@code forkline.agent.fallbacks}, kept current on
 * every spawn. Something worth a person's attention (the agent turning itself off, the first
 * fallback) is said once on stderr.
 */
public final class AgentStatus {
    public static final String STATUS = "forkline.agent.status";
    public static final String SPAWNS = "forkline.agent.spawns";
    public static final String FALLBACKS = "forkline.agent.fallbacks";
    /** The JDK builds whose ProcessImpl and childproc.c this agent was checked against. */
    public static final String VERIFIED_ON = "OpenJDK 17, 21 and 25 (Debian 17.0.15, Debian 21.0.13.1, Temurin 25.0.3 and Debian 25.0.5.1)";

    private static volatile boolean active;
    private static long spawns;
    private static long fallbacks;
    private static boolean toldFallback;

    private AgentStatus() {}

    /** @return whether ProcessImpl has been rewritten and spawns go through forkline */
    public static boolean active() {
        return active;
    }

    /** @return spawns made by the agent since the JVM started */
    public static synchronized long spawns() {
        return spawns;
    }

    /** @return spawns the agent handed back to the JDK's own launcher */
    public static synchronized long fallbacks() {
        return fallbacks;
    }

    static void installed(String detail) {
        System.setProperty(STATUS, "installed: " + detail);
        System.setProperty(SPAWNS, "0");
        System.setProperty(FALLBACKS, "0");
    }

    static void activated() {
        active = true;
        System.setProperty(STATUS, "active");
    }

    /** The agent does nothing; {@code tell} when a person should hear why. */
    static void off(String reason, boolean tell) {
        active = false;
        System.setProperty(STATUS, "off: " + reason);
        if (tell) System.err.println("forkline agent: off: " + reason + "; the JDK's own process launcher is used");
    }

    static synchronized void spawned() {
        spawns++;
        System.setProperty(SPAWNS, Long.toString(spawns));
    }

    static synchronized void fellBack(String why) {
        fallbacks++;
        System.setProperty(FALLBACKS, Long.toString(fallbacks));
        if (!toldFallback) {
            toldFallback = true;
            System.err.println("forkline agent: " + why + "; this spawn and any like it use the JDK's own launcher"
                    + " (counted in " + FALLBACKS + ")");
        }
    }
}
