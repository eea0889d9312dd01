package io.forkline.agent;

import java.nio.charset.StandardCharsets;

/** Run as a child JVM by AgentControlTest: one spawn, its output, and what the agent says. */
public final class SpawnOnce {
    private SpawnOnce() {}

    public static void main(String[] args) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "echo hello").start();
        System.out.print(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        System.out.println("exit=" + p.waitFor());
        printAgent();
    }

    static void printAgent() {
        System.out.println("#agent status=" + System.getProperty("forkline.agent.status")
                + " spawns=" + System.getProperty("forkline.agent.spawns")
                + " fallbacks=" + System.getProperty("forkline.agent.fallbacks"));
    }
}
