package io.forkline.sys.shim;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The extracted copy of {@code libforkline.so} for a library in a jar: dlopen needs a file, and
 * extracting to a new temporary file at every start costs a copy and a {@code SecureRandom} for
 * the temporary name (about 35 ms of a CLI's start). Instead each library content has one file,
 * {@code libforkline-<sha256>.so}, in {@code $XDG_CACHE_HOME/forkline} (else
 * {@code ~/.cache/forkline}); a start that finds it maps it at once. The SHA-256 comes from the
 * build ({@code libforkline.so.sha256} beside the library, see {@code build.sh}), so no start
 * hashes anything.
 *
 * <p>Only a directory and a file that this user owns and that no one else may write are used, so
 * no other user can plant a library there. A copy is written beside its final name, flushed, and
 * renamed into place, so concurrent starts never see a partial file; two starts that both miss
 * write the same bytes and the last rename wins. Anything unexpected (no home directory, a
 * read-only file system, a directory someone else owns) returns {@code null}, and the caller
 * extracts to a temporary file as before.
 */
final class LibraryCache {
    /** {@code st_mode} bits (sys/stat.h). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IWGRP = 0020;
    private static final int S_IWOTH = 0002;
    /** Copies of other builds are removed when a new one is written and they are this old. */
    private static final Duration STALE = Duration.ofDays(7);

    private LibraryCache() {}

    /**
     * @param library the library's URL in the jar, whose {@code .sha256} sibling names its content
     * @return the cached copy, written now when it was missing; {@code null} when no safe cache can be used
     */
    static Path copyOf(URL library) {
        try {
            String sha256 = sha256Of(library);
            Path base = cacheHome();
            return sha256 == null || base == null ? null : copyOf(library, sha256, base.resolve("forkline"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * @param library the library's URL
     * @param sha256 its content's SHA-256, in lower-case hex
     * @param dir the cache directory, made (owner only) when missing
     * @return the cached copy, written now when it was missing; {@code null} when {@code dir} or the copy in it is not safe to use
     */
    static Path copyOf(URL library, String sha256, Path dir) {
        try {
            if (!isSha256(sha256) || !isOurDirectory(dir)) return null;
            Path file = dir.resolve("libforkline-" + sha256 + ".so");
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                write(library, dir, file);
                removeStaleCopies(dir, file);
            }
            return isOurs(file, false) ? file : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * @param sha256 the library's digest as the build recorded it, or null
     * @return its copy in the cache when one is there and safe to use, else null (nothing is written)
     */
    static Path existingCopy(String sha256) {
        try {
            Path base = cacheHome();
            if (sha256 == null || !isSha256(sha256) || base == null) return null;
            Path dir = base.resolve("forkline");
            Path file = dir.resolve("libforkline-" + sha256 + ".so");
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return null;
            return isOurs(dir, true) && isOurs(file, false) ? file : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** After a copy failed to load: removes it, so that the next start writes it again. */
    static void discard(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // The next start will fail to load it too, and fall back to a temporary file.
        }
    }

    private static String sha256Of(URL library) throws IOException {
        URL sibling = URI.create(library + ".sha256").toURL();
        InputStream opened;
        try {
            opened = sibling.openStream();
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException missing) {
            return null; // built without sha256sum: no cache
        }
        try (InputStream in = opened) {
            String text = new String(in.readNBytes(128), StandardCharsets.US_ASCII).strip();
            return isSha256(text) ? text : null;
        }
    }

    /** 64 lower-case hex digits; by hand, because a regular expression costs the JVM's start its classes. */
    private static boolean isSha256(String text) {
        if (text.length() != 64) return false;
        for (int i = 0; i < 64; i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) return false;
        }
        return true;
    }

    /** @return {@code $XDG_CACHE_HOME}, else {@code ~/.cache}; {@code null} when neither is an absolute path */
    private static Path cacheHome() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && xdg.startsWith("/")) return Path.of(xdg);
        String home = System.getProperty("user.home");
        return home != null && home.startsWith("/") ? Path.of(home, ".cache") : null;
    }

    /** Makes {@code dir} (owner only) when it is missing; then whether it is ours alone. */
    private static boolean isOurDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException raced) {
                // Another start made it first; it is checked below like any other.
            }
        }
        return isOurs(dir, true);
    }

    /**
     * Whether {@code path} is a directory or regular file (not a link) that this user owns and no
     * one else may write. Read as the raw mode and uid ({@code unix:mode,uid}): the permission set
     * of {@code PosixFileAttributes} is an EnumSet, whose first use in a JVM calls the enum's
     * values() by reflection, and that sets up method handles (about 10 ms of a first spawn).
     */
    private static boolean isOurs(Path path, boolean directory) throws IOException {
        Map<String, Object> attributes = Files.readAttributes(path, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) attributes.get("mode");
        int type = mode & S_IFMT;
        if (directory ? type != S_IFDIR : type != S_IFREG) return false;
        if ((mode & (S_IWGRP | S_IWOTH)) != 0) return false;
        // /proc/self belongs to this process's effective uid.
        return attributes.get("uid").equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    }

    private static void write(URL library, Path dir, Path file) throws IOException {
        Path partial = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        try {
            // java.io, not Files.createFile or a FileChannel: on JDK 17 the first file channel
            // (createFile opens one too) makes NIO open a socket that it keeps for the JVM's life
            // (its pre-close fd), one fd the agent would leave in a program that never used NIO.
            // The name is this start's own, in a directory no one else may write; it is made
            // owner-only before any byte is in it.
            try (InputStream in = library.openStream();
                    FileOutputStream out = new FileOutputStream(partial.toFile())) {
                Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-------"));
                in.transferTo(out);
                out.getFD().sync(); // the rename below must never publish a name whose bytes are not on disk yet
            }
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** Copies of other builds, and partial copies a crashed start left, once they are old enough. */
    private static void removeStaleCopies(Path dir, Path keep) {
        FileTime before = FileTime.from(Instant.now().minus(STALE));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "{libforkline-*.so,.libforkline-*.tmp}")) {
            for (Path entry : entries) {
                if (entry.equals(keep)) continue;
                if (Files.getLastModifiedTime(entry, LinkOption.NOFOLLOW_LINKS).compareTo(before) < 0) Files.deleteIfExists(entry);
            }
        } catch (IOException e) {
            // Pruning is best effort: a copy left behind costs disk space, not correctness.
        }
    }
}
