package io.forkline.parallel;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * The joblog: one tab-separated line per finished job, written as the job finishes, in GNU
 * parallel's columns ({@code Seq Host Starttime JobRuntime Send Receive Exitval Signal Command})
 * followed by forkline's own: the job's peak memory in bytes, its CPU time in seconds, the forks
 * its cgroup refused, and how many times it was tried ({@code -} where a value is unknown). The
 * extra columns come after Command, so tools that read GNU's nine columns by position still
 * find them; the Command never holds a tab or a newline ({@link ShellQuoting}).
 *
 * <p>Exitval and Signal follow GNU parallel: the exit status and 0 for a job that exited; 0
 * and the signal for one that a signal ended; -1 and the signal for one that forkline killed
 * (a timeout, a halt, Ctrl-C); 127 (126 for a file that cannot be executed) and 0 for a
 * command that could not be started, as a shell would report it.
 */
public final class Joblog implements AutoCloseable {
    /** GNU parallel's columns, then forkline's. */
    public static final List<String> COLUMNS = List.of("Seq", "Host", "Starttime", "JobRuntime", "Send", "Receive", "Exitval",
            "Signal", "Command", "PeakMem", "CPU", "ForkFails", "Tries");

    private final Path path;
    private final Writer out;

    private Joblog(Path path, Writer out) {
        this.path = path;
        this.out = out;
    }

    /**
     * Opens the joblog for writing: appended to when {@code append} (for a resume, or GNU's
     * {@code +FILE}), else truncated. The header is written when the file is new or empty.
     *
     * @throws IOException when it cannot be opened (named in the message)
     */
    public static Joblog open(Path path, boolean append) throws IOException {
        Writer writer;
        try {
            boolean fresh = !append || !Files.exists(path) || Files.size(path) == 0;
            writer = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING), StandardCharsets.UTF_8));
            if (fresh) {
                writer.write(String.join("\t", COLUMNS));
                writer.write('\n');
                writer.flush();
            }
        } catch (IOException e) {
            throw new IOException("cannot open the joblog " + path + ": " + describe(e), e);
        }
        return new Joblog(path, writer);
    }

    static String describe(IOException e) {
        return switch (e) {
            case java.nio.file.NoSuchFileException n -> "no such file or directory (ENOENT)";
            case java.nio.file.AccessDeniedException a -> "permission denied (EACCES)";
            case java.nio.file.FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage();
        };
    }

    /** Writes one finished job's line and flushes it, so that a resume after a crash sees it. */
    public void write(JobResult job) throws IOException {
        StringBuilder line = new StringBuilder(160);
        line.append(job.seq()).append('\t').append(':').append('\t');
        line.append(String.format(Locale.ROOT, "%.3f", job.startEpochMillis() / 1000.0)).append('\t');
        line.append(String.format(Locale.ROOT, "%10.3f", job.wallNanos() / 1e9)).append('\t');
        line.append(0).append('\t').append(job.receivedBytes()).append('\t');
        line.append(job.joblogExitval()).append('\t').append(job.signal()).append('\t');
        line.append(job.command()).append('\t');
        line.append(job.peakMemoryBytes() < 0 ? "-" : Long.toString(job.peakMemoryBytes())).append('\t');
        line.append(job.cpuMicros() < 0 ? "-" : String.format(Locale.ROOT, "%.3f", job.cpuMicros() / 1e6)).append('\t');
        line.append(job.forkFailures() < 0 ? "-" : Long.toString(job.forkFailures())).append('\t');
        line.append(job.tries()).append('\n');
        try {
            out.write(line.toString());
            out.flush();
        } catch (IOException e) {
            throw new IOException("cannot write the joblog " + path + ": " + describe(e), e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
