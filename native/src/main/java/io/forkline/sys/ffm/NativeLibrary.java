package io.forkline.sys.ffm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads {@code libforkline.so} once and links downcalls to it: the only class in forkline that
 * makes restricted calls, and so the one place that suppresses their warning.
 *
 * <p>The library is taken from the classpath at {@code META-INF/native/linux-<arch>/}; from a jar,
 * through its cached copy ({@link LibraryCache}). Calls that
 * never block are linked with {@link Linker.Option#critical(boolean)} to skip the thread-state
 * transition; calls that may block (spawn, epoll_wait, poll, open) are not, so that they never
 * hold up a safepoint.
 */
@SuppressWarnings("restricted")
final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP;
    /** Where the library was loaded from. */
    static final String SOURCE;

    static {
        String[] source = new String[1];
        LOOKUP = load(source);
        SOURCE = source[0];
    }

    private NativeLibrary() {}

    /** A downcall that never blocks. */
    static MethodHandle quick(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor, Linker.Option.critical(false));
    }

    /** A downcall that may block. */
    static MethodHandle blocking(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    /** Checks that the library has these symbols, for downcalls that are linked on first use. */
    static void requireSymbols(String... names) {
        for (String name : names) symbol(name);
    }

    private static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsupportedOperationException(
                "libforkline.so from " + SOURCE + " lacks the symbol " + name
                        + ": the jar and its native library come from different builds"));
    }

    private static SymbolLookup load(String[] source) {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> System.getProperty("os.arch");
        };
        if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")) {
            throw new UnsupportedOperationException(
                    "forkline needs Linux (clone3, pidfd, epoll); this is " + System.getProperty("os.name"));
        }
        String resource = "/META-INF/native/linux-" + arch + "/libforkline.so";
        URL url = NativeLibrary.class.getResource(resource);
        if (url == null) {
            throw new UnsupportedOperationException("forkline has no native library for linux-" + arch
                    + ": " + resource + " is not on the classpath");
        }
        try {
            if ("file".equals(url.getProtocol())) return open(Path.of(url.toURI()), url.toString(), source);
            Path cached = LibraryCache.copyOf(url, resource);
            if (cached != null) {
                try {
                    return open(cached, url + " (mapped from " + cached + ")", source);
                } catch (IllegalArgumentException unloadable) {
                    LibraryCache.discard(cached); // damaged on disk: the next start writes it again
                }
            }
            // dlopen needs a file; the copy can be unlinked once the library is mapped.
            Path file = Files.createTempFile("libforkline-", ".so");
            try {
                try (InputStream in = url.openStream()) {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                }
                return open(file, url.toString(), source);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + url + " to a temporary file", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad library URL " + url, e);
        }
    }

    private static SymbolLookup open(Path file, String description, String[] source) {
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(file, Arena.global());
            source[0] = description;
            return lookup;
        } catch (IllegalCallerException e) {
            throw new UnsupportedOperationException("forkline needs native access: run java with "
                    + "--enable-native-access=ALL-UNNAMED (or =io.forkline.sys on the module path), "
                    + "or put Enable-Native-Access: ALL-UNNAMED in the jar manifest", e);
        }
    }

}
