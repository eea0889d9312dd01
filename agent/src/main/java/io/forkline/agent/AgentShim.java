package io.forkline.agent;

import io.forkline.sys.shim.LibraryFile;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;

/**
 * The shim, loaded for JNI at the JVM's first spawn rather than at its start: loading it (finding
 * the library in the jar, its cached copy, dlopen) costs a JVM that never spawns about 30 ms.
 * The first caller loads it, hands it the fds {@link FdReservation} held, and every caller after
 * gets the same answer.
 */
final class AgentShim {
    private static URL agentJar;
    /** 1: clone3, 0: clone(2), below 0: not loaded (-errno, or {@link #UNLOADED}). */
    private static volatile int state = Integer.MIN_VALUE;
    private static final int UNLOADED = Integer.MIN_VALUE;

    private AgentShim() {}

    /** Where the library is, at the agent's start. */
    static synchronized void prepare(URL jar) {
        agentJar = jar;
    }

    /**
     * Loads the shim once. On failure the agent turns itself off, says why once, and this
     * returns false for every caller, whose spawn then goes to the JDK.
     *
     * @return whether the shim is loaded and ready to spawn
     */
    static boolean ready() {
        int known = state;
        if (known != UNLOADED) return known >= 0;
        synchronized (AgentShim.class) {
            if (state == UNLOADED) state = load();
            return state >= 0;
        }
    }

    @SuppressWarnings("restricted") // System.load: the one restricted call, for the shim's JNI entry
    private static int load() {
        int clone3;
        try {
            clone3 = LibraryFile.open(resource -> inJar(agentJar, resource), (file, description) -> {
                System.load(file.toString());
                FdReservation.release();
                return NativeSpawn.init(Agent.FD_SLOTS, NativeSpawn.jdkChild(Runtime.version()));
            });
        } catch (RuntimeException | LinkageError e) {
            // LinkageError: the library's UnsatisfiedLinkError, and a shaded class this JVM cannot
            // load (UnsupportedClassVersionError, should the jar's be newer than the agent's 17):
            // either turns the agent off, and this spawn goes to the JDK, rather than failing it.
            FdReservation.release(); // no shim will take them
            AgentStatus.off("cannot load libforkline.so from " + agentJar + ": " + e, true);
            return -1;
        }
        if (clone3 < 0) AgentStatus.off("the shim could not start (errno " + -clone3 + ")", true);
        return clone3;
    }

    private static URL inJar(URL jar, String resource) {
        try {
            return URI.create("jar:" + jar.toURI() + "!" + resource).toURL();
        } catch (MalformedURLException | java.net.URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
