package io.forkline.agent;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;

/**
 * The agent's entry: {@code -javaagent:forkline-agent.jar}, or attached to a running JVM.
 *
 * <p>An agent must never be the reason a JVM fails to start, and {@code JAVA_TOOL_OPTIONS} gives
 * it to every JVM a build starts, old ones too. So this class, and only this one, is compiled
 * for Java 8 (the agent's pom compiles it apart, with {@code --release 8}), names no other class
 * of the agent, and checks the runtime before anything else is loaded: on a JVM that cannot load
 * the rest (older than the JDK 17 it is compiled for: 8 and 11 are still met under
 * {@code JAVA_TOOL_OPTIONS}, in build tools' own JVMs) or on another OS it sets
 * {@code forkline.agent.status} to {@code off: why}, prints that one line on stderr, and leaves
 * the JVM as it found it. Only then is {@code AgentStart} loaded, by name. This is the shape of
 * dd-trace-java's AgentPreCheck.
 *
 * <p>Nothing here may throw: an exception out of premain ends the JVM before main.
 */
public final class Premain {
    /**
     * The oldest feature release the rest of the agent's class files load on (the agent's pom
     * compiles them with {@code --release 17}). Which of the releases from here up the agent
     * actually changes anything on is the rest's decision ({@code Agent.refusal}).
     */
    static final int OLDEST_LOADABLE = 17;

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
        try {
            String setting = System.getProperty("forkline.agent", "on");
            if (setting.equals("off")) {
                System.setProperty("forkline.agent.status", "off: -Dforkline.agent=off");
                return;
            }
            String refusal = refusal(System.getProperty("java.specification.version"), System.getProperty("os.name"));
            if (refusal != null) {
                System.setProperty("forkline.agent.status", "off: " + refusal);
                System.err.println("forkline agent: off: " + refusal + "; the JDK's own process launcher is used");
                return;
            }
            Method start = Class.forName("io.forkline.agent.AgentStart", true, Premain.class.getClassLoader())
                    .getDeclaredMethod("start", String.class, Instrumentation.class);
            start.setAccessible(true);
            start.invoke(null, setting, instrumentation);
        } catch (Throwable t) {
            try {
                System.setProperty("forkline.agent.status", "off: the agent could not start: " + t);
                System.err.println("forkline agent: off: the agent could not start: " + t + "; the JDK's own process launcher is used");
            } catch (Throwable ignored) {
                // nothing is left to tell with; the JVM goes on as it would without the agent
            }
        }
    }

    /**
     * @param specification {@code java.specification.version}: "1.8", "11", "17", "25"
     * @param os {@code os.name}
     * @return why this JVM cannot run the agent, or null when it can load the rest of it
     */
    static String refusal(String specification, String os) {
        if (!"Linux".equals(os)) return "not Linux but " + os;
        int feature;
        try {
            String v = specification.startsWith("1.") ? specification.substring(2) : specification;
            int end = 0;
            while (end < v.length() && Character.isDigit(v.charAt(end))) end++;
            feature = Integer.parseInt(v.substring(0, end));
        } catch (RuntimeException e) {
            return "cannot tell this JVM's Java version from java.specification.version=" + specification;
        }
        if (feature < OLDEST_LOADABLE) {
            return "JDK " + feature + " is older than JDK " + OLDEST_LOADABLE + ", the oldest this agent serves";
        }
        return null;
    }
}
