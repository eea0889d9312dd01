package io.forkline.agent;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;

/**
 * What the rewritten {@code java.lang.ProcessImpl} constructor calls instead of its native
 * {@code forkAndExec}, with the same arguments and the {@code ProcessImpl} first. It returns
 * what that method returns (the pid, with the parent's pipe ends in {@code fds}) or throws what
 * it throws, so the JDK's code around the call is unchanged: the Process, its streams, its
 * ProcessHandle and reaper, and ProcessBuilder's "Cannot run program" message.
 *
 * <p>Spawns that forkline cannot make here go to the JDK's own {@code forkAndExec}, called
 * through a method handle (java.base opens java.lang to this module for it, see {@link Agent}).
 * A spawn already inside this bridge on the same thread also takes the JDK's path: nothing on
 * this path starts a process today, and the guard keeps it so should anything (a JFR or logging
 * hook) ever do it, rather than recursing.
 */
public final class ProcessImplBridge {
    private static final ThreadLocal<Boolean> IN_BRIDGE = new ThreadLocal<>();
    private static volatile MethodHandle jdkForkAndExec;

    /**
     * Whether this JVM has JFR at all: a jlink image or a slim runtime may leave the jdk.jfr
     * module out, and naming its classes there would end every spawn in NoClassDefFoundError.
     */
    private static final boolean JFR_PRESENT = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    private ProcessImplBridge() {}

    /** The rewritten call. Its descriptor is ProcessImplRewriter.BRIDGE_DESCRIPTOR. */
    public static int forkAndExec(Object process, int mode, byte[] helperpath, byte[] prog, byte[] argBlock, int argc,
            byte[] envBlock, int envc, byte[] dir, int[] fds, boolean redirectErrorStream) throws IOException {
        // The shim loads at the first spawn (AgentShim); where it cannot, the agent is off from then on.
        if (!AgentStatus.active() || IN_BRIDGE.get() != null || !AgentShim.ready()) {
            return jdk(process, mode, helperpath, prog, argBlock, argc, envBlock, envc, dir, fds, redirectErrorStream);
        }
        IN_BRIDGE.set(Boolean.TRUE);
        AgentSpawnEvent event = JFR_PRESENT && jdk.jfr.FlightRecorder.isInitialized() ? new AgentSpawnEvent() : null;
        if (event != null) event.begin();
        try {
            int[] failure = new int[2];
            int pid = NativeSpawn.forkAndExec(prog, argBlock, argc, envBlock, envc, dir, fds, redirectErrorStream, failure);
            if (pid == NativeSpawn.FAILED) {
                if (failure[1] == NativeSpawn.WHERE_MEMORY) throw new OutOfMemoryError("native memory for a spawn");
                throw JdkMessages.failure(failure[0], failure[1]);
            }
            if (pid == NativeSpawn.FALL_BACK) {
                AgentStatus.fellBack("clone3 and clone(2) are both refused here (seccomp or an old kernel)");
                if (event != null) event.fallback = true;
                return jdk(process, mode, helperpath, prog, argBlock, argc, envBlock, envc, dir, fds, redirectErrorStream);
            }
            AgentStatus.spawned();
            if (event != null) event.pid = pid;
            return pid;
        } catch (IOException e) {
            if (event != null) event.failure = e.getMessage();
            throw e;
        } finally {
            IN_BRIDGE.remove();
            if (event != null && event.shouldCommit()) {
                event.program = new String(prog, 0, Math.max(0, prog.length - 1), StandardCharsets.UTF_8);
                event.commit();
            }
        }
    }

    private static int jdk(Object process, int mode, byte[] helperpath, byte[] prog, byte[] argBlock, int argc,
            byte[] envBlock, int envc, byte[] dir, int[] fds, boolean redirectErrorStream) throws IOException {
        try {
            return (int) jdkForkAndExec(process.getClass()).invokeExact(
                    process, mode, helperpath, prog, argBlock, argc, envBlock, envc, dir, fds, redirectErrorStream);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("ProcessImpl.forkAndExec", t);
        }
    }

    private static MethodHandle jdkForkAndExec(Class<?> processImpl) {
        MethodHandle handle = jdkForkAndExec;
        if (handle != null) return handle;
        try {
            MethodType type = MethodType.methodType(int.class, int.class, byte[].class, byte[].class, byte[].class,
                    int.class, byte[].class, int.class, byte[].class, int[].class, boolean.class);
            handle = MethodHandles.privateLookupIn(processImpl, MethodHandles.lookup())
                    .findVirtual(processImpl, "forkAndExec", type)
                    .asType(type.insertParameterTypes(0, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach the JDK's ProcessImpl.forkAndExec", e);
        }
        jdkForkAndExec = handle;
        return handle;
    }
}
