package io.forkline.sys.shim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkline.sys.SyscallException;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read-lease test of "can anything still write to this file?", against the real kernel. */
class OpenForWritingTest {
    @Test
    @SuppressWarnings("try") // the resources are held open, not used
    void aFileIsOpenForWritingExactlyWhileSomeFdCanWriteIt(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("out"), "x");
        assertThat(Shim.openForWriting(file.toString())).as("nobody has it open").isFalse();
        try (FileOutputStream writer = new FileOutputStream(file.toFile(), true)) {
            assertThat(Shim.openForWriting(file.toString())).as("write-only fd").isTrue();
        }
        try (RandomAccessFile both = new RandomAccessFile(file.toFile(), "rw")) {
            assertThat(Shim.openForWriting(file.toString())).as("read-write fd").isTrue();
        }
        try (FileInputStream reader = new FileInputStream(file.toFile())) {
            assertThat(Shim.openForWriting(file.toString())).as("a reader does not count").isFalse();
        }
        assertThat(Shim.openForWriting(file.toString())).as("and the lease was dropped: asking again works").isFalse();
    }

    @Test
    void aWriterInAnotherProcessCounts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("out");
        Process p = new ProcessBuilder("sh", "-c", "exec sleep 30", "sh").redirectOutput(file.toFile()).start();
        try {
            assertThat(Shim.openForWriting(file.toString())).isTrue();
        } finally {
            p.destroyForcibly().waitFor();
        }
        assertThat(Shim.openForWriting(file.toString())).isFalse();
    }

    @Test
    void aMissingFileIsAnErrorNamingOpenAndThePath(@TempDir Path dir) {
        String missing = dir.resolve("gone").toString();
        assertThatThrownBy(() -> Shim.openForWriting(missing)).isInstanceOf(SyscallException.class)
                .satisfies(e -> assertThat(((SyscallException) e).errno()).isEqualTo(Errno.ENOENT))
                .hasMessageContaining("open").hasMessageContaining(missing);
    }
}
