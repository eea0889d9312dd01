package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobInputsTest {
    private static List<String> all(List<InputSource> sources) throws IOException {
        List<String> out = new ArrayList<>();
        try (JobInputs inputs = JobInputs.open(sources)) {
            for (JobInput in = inputs.next(); in != null; in = inputs.next()) out.add(in.seq() + ":" + String.join(",", in.values()));
        }
        return out;
    }

    @Test
    void severalSourcesCombineAsAProductWithTheLastVaryingFastest() throws IOException {
        assertThat(all(List.of(InputSource.arguments(List.of("a", "b")), InputSource.arguments(List.of("1", "2", "3")))))
                .containsExactly("1:a,1", "2:a,2", "3:a,3", "4:b,1", "5:b,2", "6:b,3");
        try (JobInputs inputs = JobInputs.open(List.of(InputSource.arguments(List.of("a", "b")), InputSource.arguments(List.of("1", "2"))))) {
            assertThat(inputs.knownTotal()).isEqualTo(4);
        }
    }

    @Test
    void fileLinesSplitOnNewlineOnlyAndKeepEmptyLinesAndALastLineWithoutNewline(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("in"), "a\n\nb\r\nlast");
        assertThat(all(List.of(InputSource.file(f)))).containsExactly("1:a", "2:", "3:b\r", "4:last");
        try (JobInputs inputs = JobInputs.open(List.of(InputSource.file(f)))) {
            assertThat(inputs.knownTotal()).as("a streamed source has no size up front").isEqualTo(-1);
        }
    }

    @Test
    void aFileAfterTheFirstSourceIsReadWhole(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("in"), "x\ny\n");
        assertThat(all(List.of(InputSource.arguments(List.of("1", "2")), InputSource.file(f)))).containsExactly("1:1,x", "2:1,y", "3:2,x", "4:2,y");
    }

    @Test
    void anEmptySourceMeansNoJobs(@TempDir Path dir) throws IOException {
        Path empty = Files.writeString(dir.resolve("empty"), "");
        assertThat(all(List.of(InputSource.arguments(List.of("a")), InputSource.file(empty)))).isEmpty();
        assertThat(all(List.of(InputSource.file(empty)))).isEmpty();
    }

    @Test
    void anUnreadableFileIsAnErrorWhenOpenedNamingIt(@TempDir Path dir) {
        assertThatThrownBy(() -> JobInputs.open(List.of(InputSource.file(dir.resolve("missing")))))
                .isInstanceOf(IOException.class).hasMessageContaining("missing").hasMessageContaining("ENOENT");
        assertThatThrownBy(() -> JobInputs.open(List.of(InputSource.arguments(List.of("a")), InputSource.file(dir))))
                .isInstanceOf(IOException.class).hasMessageContaining("is a directory");
    }

    @Test
    void aLineLongerThanTheKernelTakesForAnArgumentIsAnInputError(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("long"), "ok\n" + "x".repeat(LineReader.MAX_LINE_BYTES + 1) + "\n");
        try (JobInputs inputs = JobInputs.open(List.of(InputSource.file(f)))) {
            assertThat(inputs.next().values()).containsExactly("ok");
            assertThatThrownBy(inputs::next).isInstanceOf(IOException.class).hasMessageContaining("line 2").hasMessageContaining("MAX_ARG_STRLEN");
        }
    }

    @Test
    void aMillionLinesStreamOneAtATime(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("many");
        try (var out = Files.newBufferedWriter(f)) {
            for (int i = 1; i <= 1_000_000; i++) out.write(i + "\n");
        }
        long count = 0;
        try (JobInputs inputs = JobInputs.open(List.of(InputSource.file(f)))) {
            for (JobInput in = inputs.next(); in != null; in = inputs.next()) {
                count++;
                if (count == 1_000_000) assertThat(in.values()).containsExactly("1000000");
            }
        }
        assertThat(count).isEqualTo(1_000_000);
    }
}
