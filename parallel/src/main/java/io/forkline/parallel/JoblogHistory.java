package io.forkline.parallel;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an earlier run's joblog says, for {@code --resume} and {@code --resume-failed}: which
 * job numbers finished, and which of those failed (the last line of a job counts, so a job a
 * resume ran again is judged by its new line). Kept as bit sets, so a joblog of millions of
 * jobs costs a bit or two per job. The commands of the lowest-numbered jobs are kept too, to
 * tell a joblog of another command before anything runs again.
 */
public final class JoblogHistory {
    /** How many of the lowest-numbered jobs' commands are kept for the same-command check. */
    static final int CHECKED_COMMANDS = 1000;
    /** An empty history: nothing ran. */
    public static final JoblogHistory EMPTY = new JoblogHistory(null, new BitSet(), new BitSet(), new TreeMap<>());

    private final Path path;
    private final BitSet finished;
    private final BitSet failed;
    private final TreeMap<Long, String> commands;

    private JoblogHistory(Path path, BitSet finished, BitSet failed, TreeMap<Long, String> commands) {
        this.path = path;
        this.finished = finished;
        this.failed = failed;
        this.commands = commands;
    }

    /**
     * Reads a joblog; a file that does not exist is an empty history (the first run).
     *
     * @throws IOException when it cannot be read, or is not a joblog (the message names the line)
     */
    public static JoblogHistory read(Path path) throws IOException {
        BitSet finished = new BitSet();
        BitSet failed = new BitSet();
        TreeMap<Long, String> commands = new TreeMap<>();
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            Columns columns = null;
            long lineNumber = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNumber++;
                if (columns == null) {
                    columns = Columns.of(line, path);
                    continue;
                }
                if (line.isEmpty()) continue;
                Entry e = columns.entry(line, path, lineNumber);
                if (e.seq > Integer.MAX_VALUE) throw notAJoblog(path, lineNumber, "job number " + e.seq + " is too large");
                int bit = (int) e.seq;
                finished.set(bit);
                failed.set(bit, e.failed);
                if (commands.size() < CHECKED_COMMANDS || e.seq <= commands.lastKey()) {
                    commands.put(e.seq, e.command);
                    if (commands.size() > CHECKED_COMMANDS) commands.pollLastEntry();
                }
            }
        } catch (NoSuchFileException e) {
            return new JoblogHistory(path, finished, failed, commands);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(path + ":")) throw e;
            throw new IOException("cannot read the joblog " + path + ": " + Joblog.describe(e), e);
        }
        return new JoblogHistory(path, finished, failed, commands);
    }

    /** @return whether job {@code seq} has a line */
    public boolean finished(long seq) {
        return seq <= Integer.MAX_VALUE && finished.get((int) seq);
    }

    /** @return whether job {@code seq}'s last line says it failed */
    public boolean failed(long seq) {
        return seq <= Integer.MAX_VALUE && failed.get((int) seq);
    }

    /** @return how many jobs have a line */
    public int finishedCount() {
        return finished.cardinality();
    }

    /** @return the lowest job number with a line, or -1 */
    public long lowestSeq() {
        return commands.isEmpty() ? -1 : commands.firstKey();
    }

    /**
     * Checks that job {@code seq}, which the joblog knows, is the same command now. Only the
     * lowest-numbered jobs are checked (their commands are kept); the others pass.
     *
     * @throws JobSpecException when the joblog ran a different command as that job
     */
    public void checkSameCommand(long seq, String command) throws JobSpecException {
        String recorded = commands.get(seq);
        if (recorded == null || recorded.equals(command)) return;
        throw new JobSpecException("the joblog " + path + " belongs to a different command: its job " + seq + " ran '" + recorded
                + "', this one would run '" + command + "'. Resume with the same command and inputs, or use another joblog");
    }

    /** One line's fields that a resume needs. */
    private record Entry(long seq, boolean failed, String command) {}

    /** Where a joblog's columns are, from its header (GNU parallel's nine, or with forkline's after them). */
    private record Columns(int seq, int exitval, int signal, int command, int count) {
        static Columns of(String header, Path path) throws IOException {
            List<String> names = List.of(header.split("\t", -1));
            Map<String, Integer> at = new HashMap<>();
            for (int i = 0; i < names.size(); i++) at.putIfAbsent(names.get(i), i);
            for (String required : List.of("Seq", "Exitval", "Signal", "Command")) {
                if (!at.containsKey(required)) {
                    throw notAJoblog(path, 1, "the header has no " + required + " column (a joblog starts with Seq\tHost\tStarttime...)");
                }
            }
            return new Columns(at.get("Seq"), at.get("Exitval"), at.get("Signal"), at.get("Command"), names.size());
        }

        Entry entry(String line, Path path, long lineNumber) throws IOException {
            String[] fields = line.split("\t", -1);
            if (fields.length < count) throw notAJoblog(path, lineNumber, "it has " + fields.length + " columns, the header " + count);
            try {
                long seq = Long.parseLong(fields[this.seq]);
                long exitval = Long.parseLong(fields[this.exitval]);
                long signal = Long.parseLong(fields[this.signal]);
                if (seq < 1) throw notAJoblog(path, lineNumber, "job number " + seq + " is below 1");
                return new Entry(seq, exitval != 0 || signal != 0, fields[this.command]);
            } catch (NumberFormatException e) {
                throw notAJoblog(path, lineNumber, "Seq, Exitval or Signal is not a number");
            }
        }
    }

    private static IOException notAJoblog(Path path, long line, String why) {
        return new IOException(path + ": line " + line + " is not a joblog line: " + why);
    }
}
