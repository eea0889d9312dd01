package io.forkline.agent;

import java.io.FileInputStream;
import java.io.IOException;

/**
 * Low fd numbers held from the agent's start until the shim's first spawn. A child born sharing
 * the JVM's fd table copies only the fds below its highest slot (jdkspawn.c), so the slots must
 * be low; but the shim is loaded only when the JVM first spawns, by which time a service may hold
 * thousands of sockets. So the start holds the lowest free numbers on /dev/null, through streams
 * of the JDK's own (no class to load), and the first spawn closes them just before the shim takes
 * its slots: the shim's F_DUPFD from 3 then gets the same numbers back (another thread opening a
 * file in that instant could take one, which costs a spawn a larger copy, never correctness).
 */
final class FdReservation {
    private static FileInputStream[] held;

    private FdReservation() {}

    static synchronized void hold(int count) {
        if (held != null) return;
        held = new FileInputStream[count];
        for (int i = 0; i < count; i++) {
            try {
                held[i] = new FileInputStream("/dev/null");
            } catch (IOException e) {
                break; // fewer held fds only means fewer low slots
            }
        }
    }

    /** Closes what {@link #hold} opened, so that the shim takes those numbers; idempotent. */
    static synchronized void release() {
        if (held == null) return;
        for (FileInputStream stream : held) {
            try {
                if (stream != null) stream.close();
            } catch (IOException e) {
                // a /dev/null that will not close is one slot fewer
            }
        }
        held = null;
    }
}
