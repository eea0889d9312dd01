package io.forkline.sys.shim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The content-named copy of the native library: written once, safely, and used only when no one else could have written it. */
class LibraryCacheTest {
    private static final String SHA = "3de9dfe6287b92065b962ae444ad43f4d67909ea98dbd8dfe5bde85fb26722a0";

    private static URL library(Path dir, String content) throws IOException {
        return Files.writeString(dir.resolve("libforkline.so"), content).toUri().toURL();
    }

    @Test
    void theFirstStartWritesTheCopyOwnerOnlyAndLaterStartsUseIt(@TempDir Path tmp) throws Exception {
        URL library = library(tmp, "ELF...");
        Path cache = tmp.resolve("home/.cache/forkline");
        Path copy = LibraryCache.copyOf(library, SHA, cache);
        assertThat(copy).isEqualTo(cache.resolve("libforkline-" + SHA + ".so")).hasContent("ELF...");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");

        FileTime written = Files.getLastModifiedTime(copy);
        Files.writeString(tmp.resolve("libforkline.so"), "another build, same name: never read again");
        assertThat(LibraryCache.copyOf(library, SHA, cache)).isEqualTo(copy).hasContent("ELF...");
        assertThat(Files.getLastModifiedTime(copy)).isEqualTo(written);
        try (Stream<Path> files = Files.list(cache)) {
            assertThat(files).containsExactly(copy); // no partial copy left beside it
        }
    }

    @Test
    void concurrentFirstStartsAllGetTheWholeCopy(@TempDir Path tmp) throws Exception {
        URL library = library(tmp, "x".repeat(1 << 20));
        Path cache = tmp.resolve("cache");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Path>> starts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                starts.add(pool.submit(() -> {
                    go.await();
                    return LibraryCache.copyOf(library, SHA, cache);
                }));
            }
            go.countDown();
            for (Future<Path> start : starts) assertThat(start.get()).isEqualTo(cache.resolve("libforkline-" + SHA + ".so"));
        } finally {
            pool.shutdown();
        }
        assertThat(Files.size(cache.resolve("libforkline-" + SHA + ".so"))).isEqualTo(1 << 20);
        try (Stream<Path> files = Files.list(cache)) {
            assertThat(files).hasSize(1);
        }
    }

    @Test
    void aDirectoryOrCopyOthersMayWriteIsNeverUsed(@TempDir Path tmp) throws Exception {
        URL library = library(tmp, "ELF...");
        Path shared = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThat(LibraryCache.copyOf(library, SHA, shared)).isNull();

        Path cache = tmp.resolve("cache");
        Path copy = LibraryCache.copyOf(library, SHA, cache);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThat(LibraryCache.copyOf(library, SHA, cache)).isNull();

        Files.delete(copy);
        Files.createSymbolicLink(copy, tmp.resolve("libforkline.so"));
        assertThat(LibraryCache.copyOf(library, SHA, cache)).as("a link planted under the copy's name").isNull();

        Path linkedDir = tmp.resolve("linked");
        Files.createSymbolicLink(linkedDir, cache);
        assertThat(LibraryCache.copyOf(library, SHA, linkedDir)).isNull();
    }

    @Test
    void onlyAHashNamesACopy(@TempDir Path tmp) throws Exception {
        URL library = library(tmp, "ELF...");
        assertThat(LibraryCache.copyOf(library, "../../etc/passwd", tmp.resolve("cache"))).isNull();
        assertThat(LibraryCache.copyOf(library, SHA.toUpperCase(java.util.Locale.ROOT), tmp.resolve("cache"))).isNull();
    }

    @Test
    void writingANewCopyRemovesOldCopiesOfOtherBuilds(@TempDir Path tmp) throws Exception {
        URL library = library(tmp, "ELF...");
        Path cache = tmp.resolve("cache");
        Path old = LibraryCache.copyOf(library, "0".repeat(64), cache);
        Path recent = LibraryCache.copyOf(library, "1".repeat(64), cache);
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minusSeconds(30L * 24 * 3600)));
        Path current = LibraryCache.copyOf(library, SHA, cache);
        assertThat(old).doesNotExist();
        assertThat(recent).exists(); // another build's, still in use perhaps
        assertThat(current).exists();
    }

    @Test
    void theLibraryComesFromItsCopyWhenItIsInAJar() {
        // From target/classes (these tests) it is mapped in place; from a jar, from its cached copy.
        assertThat(Shim.LIBRARY_SOURCE).satisfiesAnyOf(
                source -> assertThat(source).startsWith("file:").endsWith("/libforkline.so"),
                source -> assertThat(source).startsWith("jar:").contains("(mapped from ").contains("/forkline/libforkline-"));
    }
}
