package io.forkline.sys.shim;

import java.nio.file.Path;

/**
 * Loads {@code libforkline.so} once, for {@link Natives}: the only restricted call forkline makes
 * ({@code System.load}, which JDK 24 and later warn about unless the caller's module has native
 * access), and so the one place that suppresses its warning.
 *
 * <p>The library is found by {@link LibraryFile} on the classpath.
 */
final class NativeLibrary {
    /** Where the library was loaded from. */
    static final String SOURCE = LibraryFile.open(NativeLibrary.class::getResource, NativeLibrary::load);

    private NativeLibrary() {}

    /** Makes sure the library is loaded; the first call loads it. */
    static void ensureLoaded() {
        // SOURCE's initialiser did the work.
    }

    @SuppressWarnings("restricted")
    private static String load(Path file, String description) {
        try {
            System.load(file.toString());
        } catch (IllegalCallerException e) {
            throw new UnsupportedOperationException("forkline needs native access: run java with "
                    + "--enable-native-access=ALL-UNNAMED (or =io.forkline.sys on the module path), "
                    + "or put Enable-Native-Access: ALL-UNNAMED in the jar manifest", e);
        }
        return description;
    }
}
