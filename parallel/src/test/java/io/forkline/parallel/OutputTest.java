package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputTest {
    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aTagStartsEveryLineAndWholeLinesWaitForTheirNewline() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OutputSink sink = new OutputSink(out, true);
        LineWriter w = new LineWriter(sink, "a 1\t".getBytes(StandardCharsets.UTF_8), true);
        byte[] first = "one\ntw".getBytes(StandardCharsets.UTF_8);
        w.write(first, 0, first.length);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("a 1\tone\n");
        byte[] rest = "o\nthree".getBytes(StandardCharsets.UTF_8);
        w.write(rest, 0, rest.length);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("a 1\tone\na 1\ttwo\n");
        w.end();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("a 1\tone\na 1\ttwo\na 1\tthree");
    }

    @Test
    void aSpoolSpillsToAFileBeyondItsLimitAndGivesBackItsMemory(@TempDir Path dir) throws Exception {
        Spool.Budget budget = new Spool.Budget(1 << 20, dir);
        Spool spool = new Spool(budget);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            String line = "line " + i + "\n";
            expected.append(line);
            spool.append(bytes(line));
        }
        assertThat(spool.size()).isGreaterThan(Spool.MEMORY_LIMIT);
        assertThat(spool.spilled()).isTrue();
        try (var files = Files.list(dir)) {
            assertThat(files.count()).as("the spill file is unlinked as soon as it is open").isZero();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        spool.drainTo(new LineWriter(new OutputSink(out, false), null, false));
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected.toString());
        spool.close();
        assertThat(budget.take(1 << 20)).as("all memory given back").isTrue();
    }

    @Test
    void aSpoolSpillsAtOnceWhenTheRunsBudgetIsSpent(@TempDir Path dir) throws Exception {
        Spool.Budget budget = new Spool.Budget(0, dir);
        Spool spool = new Spool(budget);
        spool.append(bytes("small\n"));
        assertThat(spool.spilled()).isTrue();
        spool.close();
    }
}
