package io.forkline.agent;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The message of the IOException a failed spawn gets, in the running JDK's own words. They
 * changed in the updates, not with the feature release: 25.0.3 says "Exec failed, error: 2 (No
 * such file or directory) " where earlier builds said "error=2, No such file or directory", and a
 * failure to start the child carries jspawnhelper's "Possible reasons" advice; Debian's 21.0.13
 * has the new words too (taken into 21u), while 17.0.15 and 17.0.19 still have ProcessImpl_md.c's
 * {@code "error=%d, %s"}. Rather than guess by version, the words are read from the JDK's own
 * libjava.so, once, at the first failure: the format string and the advice text are there as C
 * strings.
 */
final class JdkMessages {
    private static final String MODERN_FORMAT = "%s, error: %d (%s) %s";
    private static final String CHDIR_DETAIL = "Failed to access working directory";
    private static final String ADVICE_START = "\nPossible reasons:";

    /** What this JDK's libjava says. */
    record Words(boolean modern, boolean chdirDetail, String spawnAdvice) {}

    private static volatile Words words;

    private JdkMessages() {}

    static IOException failure(int errno, int where) {
        Words w = words;
        if (w == null) words = w = read(Path.of(System.getProperty("java.home"), "lib", "libjava.so"));
        String text = NativeSpawn.errnoText(errno);
        return new IOException(message(w, errno, text.isEmpty() ? "Unknown error " + errno : text, where));
    }

    static String message(Words w, int errno, String text, int where) {
        if (!w.modern()) return "error=" + errno + ", " + text;
        String detail = switch (where) {
            case NativeSpawn.WHERE_PIPE -> "Bad file descriptor";
            case NativeSpawn.WHERE_SPAWN -> "posix_spawn failed";
            case NativeSpawn.WHERE_CHDIR -> w.chdirDetail() ? CHDIR_DETAIL : "Exec failed";
            default -> "Exec failed";
        };
        // Failures of the JDK's own machinery (pipes, starting the helper) carry its advice;
        // the program's own (its directory, its exec) do not.
        String internal = where == NativeSpawn.WHERE_PIPE || where == NativeSpawn.WHERE_SPAWN ? w.spawnAdvice() : "";
        return detail + ", error: " + errno + " (" + text + ") " + internal;
    }

    static Words read(Path libjava) {
        byte[] library;
        // java.io, not Files: on JDK 17 the first FileChannel makes NIO open a socket that it
        // keeps for the JVM's life (FileDispatcherImpl's pre-close fd), one fd more than the
        // program had without the agent.
        try (FileInputStream in = new FileInputStream(libjava.toFile())) {
            library = in.readAllBytes();
        } catch (IOException | RuntimeException e) {
            return new Words(false, false, "");
        }
        boolean modern = indexOf(library, MODERN_FORMAT) >= 0;
        boolean chdir = indexOf(library, CHDIR_DETAIL) >= 0;
        int advice = indexOf(library, ADVICE_START);
        String adviceText = "";
        if (advice >= 0) {
            int end = advice;
            while (end < library.length && library[end] != 0) end++;
            adviceText = new String(library, advice, end - advice, StandardCharsets.UTF_8);
        }
        return new Words(modern, chdir, adviceText);
    }

    private static int indexOf(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) continue outer;
            }
            return i;
        }
        return -1;
    }
}
