package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoblogTest {
    static JobResult job(long seq, int exitCode, int signal, String killedBy, String command) {
        return new JobResult(seq, List.of("v" + seq), command, 1, 1_700_000_000_123L, 1_500_000_000L, 2, exitCode, signal, killedBy, null,
                4096, JobResult.MemorySource.CGROUP, 2500, 0, 0, false, 12);
    }

    @Test
    void writesGnuParallelsColumnsThenForklinesOnes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("log");
        try (Joblog log = Joblog.open(file, false)) {
            log.write(job(1, 0, 0, null, "echo 'a b'"));
            log.write(job(2, -1, 15, "timeout", "sleep 9"));
            log.write(job(3, -1, 9, null, "kill -9 $$"));
        }
        List<String> lines = Files.readAllLines(file);
        assertThat(lines.get(0)).isEqualTo("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\tPeakMem\tCPU\tForkFails\tTries");
        assertThat(lines.get(1)).isEqualTo("1\t:\t1700000000.123\t     1.500\t0\t12\t0\t0\techo 'a b'\t4096\t0.003\t0\t2");
        assertThat(lines.get(2).split("\t")).as("a job forkline killed: Exitval -1").contains("-1", "15");
        assertThat(lines.get(3).split("\t")[6]).as("a job a signal ended by itself: Exitval 0").isEqualTo("0");
    }

    @Test
    void appendingKeepsEarlierLinesAndWritesNoSecondHeader(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("log");
        try (Joblog log = Joblog.open(file, false)) {
            log.write(job(1, 0, 0, null, "a"));
        }
        try (Joblog log = Joblog.open(file, true)) {
            log.write(job(2, 0, 0, null, "b"));
        }
        assertThat(Files.readAllLines(file)).hasSize(3).filteredOn(l -> l.startsWith("Seq")).hasSize(1);
        try (Joblog log = Joblog.open(file, false)) {
            log.write(job(3, 0, 0, null, "c"));
        }
        assertThat(Files.readAllLines(file)).as("truncated").hasSize(2);
    }

    @Test
    void theHistoryKnowsWhatRanAndWhatFailedAndTheLastLineOfAJobWins(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("log");
        try (Joblog log = Joblog.open(file, false)) {
            log.write(job(2, 1, 0, null, "b"));
            log.write(job(1, 0, 0, null, "a"));
            log.write(job(2, 0, 0, null, "b"));
            log.write(job(4, 3, 0, null, "d"));
        }
        JoblogHistory h = JoblogHistory.read(file);
        assertThat(h.finished(1)).isTrue();
        assertThat(h.finished(3)).isFalse();
        assertThat(h.failed(2)).as("run again and succeeded").isFalse();
        assertThat(h.failed(4)).isTrue();
        assertThat(h.finishedCount()).isEqualTo(3);
        assertThat(h.lowestSeq()).isEqualTo(1);
        h.checkSameCommand(1, "a");
        assertThatThrownBy(() -> h.checkSameCommand(1, "other")).isInstanceOf(JobSpecException.class)
                .hasMessageContaining("belongs to a different command").hasMessageContaining("'a'").hasMessageContaining("'other'");
    }

    @Test
    void aMissingJoblogIsAnEmptyHistoryAndAMalformedOneIsAnError(@TempDir Path dir) throws IOException {
        assertThat(JoblogHistory.read(dir.resolve("none")).finishedCount()).isZero();
        Path bad = Files.writeString(dir.resolve("bad"), "not a header\n1\t2\n");
        assertThatThrownBy(() -> JoblogHistory.read(bad)).isInstanceOf(IOException.class).hasMessageContaining("line 1").hasMessageContaining("Seq");
        Path short1 = Files.writeString(dir.resolve("short"), String.join("\t", Joblog.COLUMNS) + "\n1\t:\t0\n");
        assertThatThrownBy(() -> JoblogHistory.read(short1)).isInstanceOf(IOException.class).hasMessageContaining("line 2");
        assertThatThrownBy(() -> JoblogHistory.read(dir)).isInstanceOf(IOException.class).hasMessageContaining("cannot read the joblog");
    }

    @Test
    void readsGnuParallelsOwnJoblog(@TempDir Path dir) throws IOException {
        Path gnu = Files.writeString(dir.resolve("gnu"), "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n"
                + "1\t:\t1796279338.188\t     1.890\t0\t0\t-1\t15\tsleep 5\n2\t:\t1796279338.189\t     0.003\t0\t0\t0\t0\tsleep 0\n");
        JoblogHistory h = JoblogHistory.read(gnu);
        assertThat(h.failed(1)).isTrue();
        assertThat(h.failed(2)).isFalse();
    }

    @Test
    void mergingOrdersByJobNumberFindsGapsAndRefusesOverlaps(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        try (Joblog log = Joblog.open(a, false)) {
            log.write(job(3, 0, 0, null, "c"));
            log.write(job(1, 2, 0, null, "a"));
        }
        try (Joblog log = Joblog.open(b, false)) {
            log.write(job(5, 0, 0, null, "e"));
            log.write(job(2, 0, 0, null, "b"));
        }
        StringBuilder out = new StringBuilder();
        JoblogMerge.Report report = JoblogMerge.merge(List.of(a, b), out);
        List<String> lines = out.toString().lines().toList();
        assertThat(lines.get(0)).startsWith("Seq\t");
        assertThat(lines.subList(1, lines.size())).extracting(l -> l.split("\t")[0]).containsExactly("1", "2", "3", "5");
        assertThat(report.jobs()).isEqualTo(4);
        assertThat(report.failed()).isEqualTo(1);
        assertThat(report.missing()).containsExactly(4L);
        assertThatThrownBy(() -> JoblogMerge.merge(List.of(a, a), new StringBuilder())).isInstanceOf(IOException.class)
                .hasMessageContaining("is in both").hasMessageContaining("overlapped");
    }
}
