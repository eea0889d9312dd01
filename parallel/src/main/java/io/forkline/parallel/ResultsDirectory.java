package io.forkline.parallel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * {@code --results DIR} in GNU parallel's layout: each job's files are in
 * {@code DIR/1/<value 1>/2/<value 2>/...}, one directory level per input source, and hold its
 * {@code stdout}, {@code stderr} and {@code seq} (as GNU parallel writes them), plus
 * {@code exitval} and {@code signal} (its joblog Exitval and Signal). The child writes its
 * stdout and stderr straight into the files; a retried job's last try is what stays.
 *
 * <p>Values are made safe as GNU parallel makes them, {@code /} as {@code \_} and {@code \} as
 * {@code \\}; beyond that, an empty value, {@code .} and {@code ..} (which GNU parallel would
 * write outside the job's directory) get a leading {@code \}, and a value longer than a file
 * name may be is cut and ends in a hash of the whole.
 */
final class ResultsDirectory {
    /** NAME_MAX on Linux file systems, in bytes. */
    private static final int NAME_MAX = 255;

    private final Path root;

    ResultsDirectory(Path root) {
        this.root = root;
    }

    /** @return the job's directory, created with its parents */
    Path jobDirectory(JobInput input) throws IOException {
        Path dir = root;
        for (int i = 0; i < input.values().size(); i++) {
            dir = dir.resolve(Integer.toString(i + 1)).resolve(component(input.values().get(i)));
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot make the results directory " + dir + ": " + Joblog.describe(e), e);
        }
        return dir;
    }

    /** Writes the job's seq, exitval and signal beside the stdout and stderr its child wrote. */
    void finish(Path dir, JobResult job) throws IOException {
        try {
            Files.writeString(dir.resolve("seq"), Long.toString(job.seq()));
            Files.writeString(dir.resolve("exitval"), Integer.toString(job.joblogExitval()));
            Files.writeString(dir.resolve("signal"), Integer.toString(job.signal()));
        } catch (IOException e) {
            throw new IOException("cannot write the results of job " + job.seq() + " in " + dir + ": " + Joblog.describe(e), e);
        }
    }

    static String component(String value) {
        String safe = value.replace("\\", "\\\\").replace("/", "\\_");
        if (safe.isEmpty() || safe.equals(".") || safe.equals("..")) safe = "\\" + safe;
        byte[] bytes = safe.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= NAME_MAX) return safe;
        String hash;
        try {
            hash = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always present", e);
        }
        // Cut on a character boundary, leaving room for the hash.
        StringBuilder cut = new StringBuilder();
        int used = 0;
        for (int i = 0; i < safe.length(); ) {
            int cp = safe.codePointAt(i);
            int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (used + len > NAME_MAX - 18) break;
            cut.appendCodePoint(cp);
            used += len;
            i += Character.charCount(cp);
        }
        return cut + "\\~" + hash;
    }
}
