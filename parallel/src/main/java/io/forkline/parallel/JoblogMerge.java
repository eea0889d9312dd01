package io.forkline.parallel;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code forkline parallel --merge-joblogs}: the joblogs of a run's shards as one, ordered by
 * job number, in forkline's columns (a GNU parallel joblog's missing columns are {@code -}).
 * Within one joblog the last line of a job wins, as for a resume; a job in two joblogs means
 * the shards overlapped, and is an error. The merged log is held in memory while it is sorted.
 */
public final class JoblogMerge {
    private JoblogMerge() {}

    /**
     * What the merge found.
     *
     * @param jobs how many jobs
     * @param failed how many of them failed
     * @param highestSeq the highest job number
     * @param missing job numbers from 1 to the highest that no joblog has (at most the first 20)
     * @param missingCount how many such numbers there are
     */
    public record Report(long jobs, long failed, long highestSeq, List<Long> missing, long missingCount) {}

    /**
     * @param joblogs the shards' joblogs
     * @param out where the merged joblog goes
     * @return what was merged
     * @throws IOException when a joblog cannot be read or is malformed, or two have the same job
     */
    public static Report merge(List<Path> joblogs, Appendable out) throws IOException {
        TreeMap<Long, String[]> merged = new TreeMap<>();
        Map<Long, Path> from = new HashMap<>();
        for (Path path : joblogs) {
            Map<Long, String[]> own = read(path);
            for (Map.Entry<Long, String[]> e : own.entrySet()) {
                Path earlier = from.putIfAbsent(e.getKey(), path);
                if (earlier != null) {
                    throw new IOException("job " + e.getKey() + " is in both " + earlier + " and " + path
                            + ": the shards overlapped (were they given the same --shard?)");
                }
                merged.put(e.getKey(), e.getValue());
            }
        }
        out.append(String.join("\t", Joblog.COLUMNS)).append('\n');
        long failed = 0;
        List<Long> missing = new ArrayList<>();
        long missingCount = 0;
        long expected = 1;
        for (Map.Entry<Long, String[]> e : merged.entrySet()) {
            for (; expected < e.getKey(); expected++) {
                missingCount++;
                if (missing.size() < 20) missing.add(expected);
            }
            expected = e.getKey() + 1;
            String[] fields = e.getValue();
            if (!fields[6].equals("0") || !fields[7].equals("0")) failed++;
            out.append(String.join("\t", fields)).append('\n');
        }
        return new Report(merged.size(), failed, merged.isEmpty() ? 0 : merged.lastKey(), List.copyOf(missing), missingCount);
    }

    private static Map<Long, String[]> read(Path path) throws IOException {
        Map<Long, String[]> entries = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String header = in.readLine();
            if (header == null) return entries;
            String[] names = header.split("\t", -1);
            int[] columnOf = new int[Joblog.COLUMNS.size()];
            for (int c = 0; c < columnOf.length; c++) {
                columnOf[c] = -1;
                for (int i = 0; i < names.length; i++) {
                    if (names[i].equals(Joblog.COLUMNS.get(c))) columnOf[c] = i;
                }
            }
            for (int c : new int[] {0, 6, 7, 8}) {
                if (columnOf[c] < 0) {
                    throw new IOException(path + ": line 1 is not a joblog header: it has no " + Joblog.COLUMNS.get(c) + " column");
                }
            }
            long lineNumber = 1;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNumber++;
                if (line.isEmpty()) continue;
                String[] fields = line.split("\t", -1);
                if (fields.length < names.length) {
                    throw new IOException(path + ": line " + lineNumber + " has " + fields.length + " columns, the header " + names.length);
                }
                String[] row = new String[columnOf.length];
                for (int c = 0; c < row.length; c++) row[c] = columnOf[c] < 0 ? "-" : fields[columnOf[c]];
                try {
                    long seq = Long.parseLong(row[0]);
                    Long.parseLong(row[6]);
                    Long.parseLong(row[7]);
                    entries.put(seq, row);
                } catch (NumberFormatException e) {
                    throw new IOException(path + ": line " + lineNumber + " is not a joblog line: Seq, Exitval or Signal is not a number");
                }
            }
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(path + ":")) throw e;
            throw new IOException("cannot read the joblog " + path + ": " + Joblog.describe(e), e);
        }
        return entries;
    }
}
