package io.forkline.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether one of this process's standard streams is a terminal. */
final class Terminal {
    private Terminal() {}

    /**
     * Reads where the fd points: a pseudo-terminal ({@code /dev/pts/N}) or a console
     * ({@code /dev/ttyN}, {@code /dev/console}). {@code System.console()} cannot say this for
     * stderr alone, which is where forkline's progress view goes while stdout is piped.
     */
    static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
