package io.forkline.sys.shim;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Finds {@code libforkline.so} for this host at {@code META-INF/native/linux-<arch>/} and hands it
 * to a loader as a file, which is what dlopen needs: as it is when the resource is a file, else
 * through its cached copy ({@link LibraryCache}), else through a temporary copy deleted once
 * loaded. One place for both users of the library: the library's JNI bindings
 * ({@link NativeLibrary}) and the drop-in agent's JNI entry, which load it with {@code System.load}.
 */
public final class LibraryFile {
    /** Loads a library file; throws {@link IllegalArgumentException} or {@link UnsatisfiedLinkError} if the file cannot be loaded. */
    @FunctionalInterface
    public interface Loader<T> {
        T load(Path file, String description);
    }

    private LibraryFile() {}

    /** The architectures a build packages (native/src/main/c/build.sh); one library serves every C library. */
    static final List<String> BUILT_ARCHITECTURES = List.of("x86_64", "aarch64");

    /** @return the resource name of the library for this host, {@code /META-INF/native/linux-<arch>/libforkline.so} */
    public static String resourceName() {
        if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")) {
            throw new UnsupportedOperationException(
                    "forkline needs Linux (clone3, pidfd, epoll); this is " + System.getProperty("os.name"));
        }
        return resourceName(architecture(System.getProperty("os.arch")));
    }

    static String resourceName(String architecture) {
        return "/META-INF/native/linux-" + architecture + "/libforkline.so";
    }

    /** The JVM's name of an architecture in the kernel's words, as the jar's folders are named. */
    static String architecture(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> osArch;
        };
    }

    /**
     * @return the C library this JVM runs on, as its loader is named in the process's mappings:
     *     "musl", "glibc", or "unknown C library"
     */
    static String cLibrary() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                if (line.contains("/ld-musl-") || line.contains("/libc.musl-")) return "musl";
                if (line.contains("/libc.so.6") || line.contains("/libc-2.")) return "glibc";
            }
        } catch (IOException | UncheckedIOException e) {
            // not readable (no /proc): say so below
        }
        return "unknown C library";
    }

    /** The message for a host the jar has no library for, naming the host and what the jar carries. */
    static String noLibraryMessage(Function<String, URL> resources, String osArch, String cLibrary) {
        List<String> carried = BUILT_ARCHITECTURES.stream()
                .filter(architecture -> resources.apply(resourceName(architecture)) != null)
                .map(architecture -> "linux-" + architecture)
                .toList();
        return "forkline has no native library for this host, linux-" + architecture(osArch) + " (os.arch " + osArch
                + ", " + cLibrary + "): this jar carries " + (carried.isEmpty() ? "none" : String.join(" and ", carried))
                + " (" + resourceName(architecture(osArch)) + " is not on the classpath; one library serves glibc and musl alike)";
    }

    /**
     * @param resources how to find a resource by its absolute name
     * @param loader what loads the file
     * @return what the loader returned
     * @throws UnsupportedOperationException when there is no library for this host
     */
    public static <T> T open(Function<String, URL> resources, Loader<T> loader) {
        String resource = resourceName();
        URL url = resources.apply(resource);
        if (url == null) {
            throw new UnsupportedOperationException(noLibraryMessage(resources, System.getProperty("os.arch"), cLibrary()));
        }
        try {
            if ("file".equals(url.getProtocol())) return loader.load(Path.of(url.toURI()), url.toString());
            Path cached = LibraryCache.copyOf(url);
            if (cached != null) {
                try {
                    return loader.load(cached, url + " (mapped from " + cached + ")");
                } catch (IllegalArgumentException | UnsatisfiedLinkError unloadable) {
                    LibraryCache.discard(cached); // damaged on disk: the next start writes it again
                }
            }
            // dlopen needs a file; the copy can be unlinked once the library is mapped.
            Path file = Files.createTempFile("libforkline-", ".so");
            try {
                try (InputStream in = url.openStream()) {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                }
                return loader.load(file, url.toString());
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + url + " to a temporary file", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad library URL " + url, e);
        }
    }
}
