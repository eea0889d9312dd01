package io.forkline.sys.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Loads {@code libforkline.so} once and links downcalls to it: the only class in forkline that
 * makes restricted calls, and so the one place that suppresses their warning.
 *
 * <p>The library is found by {@link LibraryFile} on the classpath. Calls that
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

    /** A downcall to the process's C library (glibc or musl) that never blocks. */
    static MethodHandle libc(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(libcSymbol(name), descriptor, Linker.Option.critical(false));
    }

    /** A downcall to the process's C library that may block. */
    static MethodHandle libcBlocking(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(libcSymbol(name), descriptor);
    }

    /** As {@link #libc}, or {@code null} when this C library lacks the function. */
    static MethodHandle libcIfPresent(String name, FunctionDescriptor descriptor) {
        return LINKER.defaultLookup().find(name)
                .map(symbol -> LINKER.downcallHandle(symbol, descriptor, Linker.Option.critical(false)))
                .orElse(null);
    }

    /**
     * @return the C library's {@code environ} variable (a {@code char **}) as an 8-byte segment:
     *     the shim links no C library, so it is told where the environment is
     */
    static MemorySegment environ() {
        return libcSymbol("environ").reinterpret(ADDRESS.byteSize());
    }

    private static MemorySegment libcSymbol(String name) {
        return LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsupportedOperationException(
                "this JVM's C library has no " + name));
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
        return LibraryFile.open(NativeLibrary.class::getResource, (file, description) -> open(file, description, source));
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
