package io.forkline;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One JFR event per spawn, from the call to {@link Launcher#spawn(Command)} until it returns:
 * record with {@code -XX:StartFlightRecording} or {@code jcmd <pid> JFR.start} and look for
 * {@code io.forkline.Spawn} to see where spawn time goes under load. Until JFR is started in
 * the JVM this class is not even loaded (loading an event class costs tens of milliseconds of
 * JFR set-up), so the first spawn after JFR starts loads it; after that, disabled, it costs a
 * flag check.
 */
@Name("io.forkline.Spawn")
@Label("Process Spawn")
@Category({"forkline"})
@Description("A child process started by a forkline Launcher")
@StackTrace(false)
final class SpawnEvent extends Event {
    @Label("Executable")
    String executable;

    @Label("PID")
    int pid;

    @Label("Used posix_spawn fallback")
    boolean fallback;

    @Label("Failure")
    String failure;
}
