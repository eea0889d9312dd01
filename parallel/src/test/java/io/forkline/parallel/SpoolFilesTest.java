package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reuse of grouped output's files, and never while something can still write to one. */
class SpoolFilesTest {
    @Test
    void aPairNothingWritesIsUsedAgain(@TempDir Path dir) throws Exception {
        SpoolFiles files = new SpoolFiles(dir);
        SpoolFiles.Pair first = files.take();
        Files.writeString(first.stdout(), "printed");
        Files.writeString(first.stderr(), "");
        files.give(first, 7, 0);
        assertThat(files.take()).isEqualTo(first);
        assertThat(files.made()).isEqualTo(1);
    }

    @Test
    void aPairGivenBackBeforeItsFilesExistIsUsedAgain(@TempDir Path dir) {
        SpoolFiles files = new SpoolFiles(dir);
        SpoolFiles.Pair failedSpawn = files.take();
        files.give(failedSpawn, -1, -1);
        assertThat(files.take()).isEqualTo(failedSpawn);
    }

    @Test
    void aPairStillHeldByAWriterIsRemovedAndTheNextJobGetsNewFiles(@TempDir Path dir) throws Exception {
        SpoolFiles files = new SpoolFiles(dir);
        SpoolFiles.Pair held = files.take();
        Files.writeString(held.stderr(), "");
        try (FileOutputStream daemon = new FileOutputStream(held.stdout().toFile())) {
            files.give(held, 0, 0);
            assertThat(held.stdout()).doesNotExist();
            assertThat(held.stderr()).doesNotExist();
            SpoolFiles.Pair next = files.take();
            assertThat(next.stdout()).isNotEqualTo(held.stdout());
            daemon.write("late\n".getBytes());
            assertThat(next.stdout()).doesNotExist();
        }
        assertThat(files.made()).isEqualTo(2);
    }

    @Test
    void aLargeOrUnmeasuredFileIsEmptiedWhenGivenBack(@TempDir Path dir) throws Exception {
        SpoolFiles files = new SpoolFiles(dir);
        SpoolFiles.Pair pair = files.take();
        Files.write(pair.stdout(), new byte[(int) SpoolFiles.EMPTY_ON_RETURN_BYTES + 1]);
        Files.writeString(pair.stderr(), "unmeasured");
        files.give(pair, SpoolFiles.EMPTY_ON_RETURN_BYTES + 1, -1);
        assertThat(Files.size(pair.stdout())).isZero();
        assertThat(Files.size(pair.stderr())).isZero();
    }
}
