package io.forkline.agent;

import com.sun.tools.attach.VirtualMachine;
import java.nio.charset.StandardCharsets;

/**
 * Run as a child JVM by AgentControlTest: spawns once without the agent (so ProcessImpl is
 * loaded), attaches the agent to itself, and spawns again: the agent must rewrite the loaded class.
 */
public final class LateAttach {
    private LateAttach() {}

    public static void main(String[] args) throws Exception {
        spawn("before");
        VirtualMachine vm = VirtualMachine.attach(Long.toString(ProcessHandle.current().pid()));
        try {
            vm.loadAgent(args[0]);
        } finally {
            vm.detach();
        }
        spawn("after");
        SpawnOnce.printAgent();
    }

    private static void spawn(String label) throws Exception {
        Process p = new ProcessBuilder("echo", label).start();
        System.out.print(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        p.waitFor();
    }
}
