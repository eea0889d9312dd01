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
    /**
     * Where the library was loaded from. The arguments are classes of their own rather than
     * lambdas: the first lambda in a JVM bootstraps LambdaMetafactory (about 15 ms here), which a
     * short-lived JVM's first spawn would pay, and this is on its way.
     */
    static final String SOURCE = LibraryFile.open(new java.util.function.Function<String, java.net.URL>() {
        @Override
        public java.net.URL apply(String resource) {
            return NativeLibrary.class.getResource(resource);
        }
    }, new LibraryFile.Loader<String>() {
        @Override
        public String load(Path file, String description) {
            return NativeLibrary.load(file, description);
        }
    });

    private NativeLibrary() {}

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
