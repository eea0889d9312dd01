package io.forkline.agent;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One JFR event per spawn that the agent made, beside the JDK's own {@code jdk.ProcessStart}
 * (which still fires, from ProcessBuilder). Loaded only once JFR is running in the JVM, as the
 * library's {@code io.forkline.Spawn} is.
 */
@Name("io.forkline.agent.Spawn")
@Label("Process Spawn (forkline agent)")
@Category({"forkline"})
@Description("A ProcessBuilder or Runtime.exec spawn that the forkline agent made with clone3")
@StackTrace(false)
final class AgentSpawnEvent extends Event {
    @Label("Program")
    String program;

    @Label("PID")
    int pid;

    @Label("Fell back to the JDK")
    boolean fallback;

    @Label("Failure")
    String failure;
}
