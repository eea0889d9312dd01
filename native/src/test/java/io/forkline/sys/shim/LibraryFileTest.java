package io.forkline.sys.shim;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class LibraryFileTest {
    @Test
    void theJvmsArchitectureNamesAreTheKernels() {
        assertThat(LibraryFile.architecture("amd64")).isEqualTo("x86_64");
        assertThat(LibraryFile.architecture("aarch64")).isEqualTo("aarch64");
        assertThat(LibraryFile.architecture("riscv64")).isEqualTo("riscv64");
        assertThat(LibraryFile.resourceName("aarch64")).isEqualTo("/META-INF/native/linux-aarch64/libforkline.so");
    }

    @Test
    void thisJvmRunsOnGlibc() {
        assertThat(LibraryFile.cLibrary()).isEqualTo("glibc");
    }

    @Test
    void theBuildCarriesBothArchitectures() {
        for (String architecture : LibraryFile.BUILT_ARCHITECTURES) {
            assertThat(LibraryFile.class.getResource(LibraryFile.resourceName(architecture))).as(architecture).isNotNull();
        }
    }

    /** The digest compiled into the classes is the library's own, so the cached copy it names is this build's. */
    @Test
    void theDigestBesideTheClassesIsTheLibrarys() throws Exception {
        for (String architecture : LibraryFile.BUILT_ARCHITECTURES) {
            String digest = LibraryFile.builtDigest(architecture);
            assertThat(digest).as(architecture).matches("[0-9a-f]{64}");
            byte[] library;
            try (java.io.InputStream in = LibraryFile.class.getResourceAsStream(LibraryFile.resourceName(architecture))) {
                library = in.readAllBytes();
            }
            assertThat(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(library)))
                    .as(architecture).isEqualTo(digest);
        }
    }

    /** With this build's copy in the cache, the library is not looked up in the jar at all. */
    @Test
    void aCachedCopyIsLoadedWithoutLookingInTheJar() {
        // This build's copy, written now if no start has made it yet (from target/classes, as
        // here, the library is loaded in place and no copy is made).
        assertThat(LibraryCache.copyOf(LibraryFile.class.getResource(LibraryFile.resourceName()))).isNotNull();
        java.util.List<String> lookedUp = new java.util.ArrayList<>();
        java.nio.file.Path loaded = LibraryFile.open(name -> {
            lookedUp.add(name);
            return LibraryFile.class.getResource(name);
        }, (file, description) -> {
            assertThat(description).contains("the copy of this build's libforkline.so");
            return file;
        });
        assertThat(lookedUp).isEmpty();
        assertThat(loaded.getFileName().toString())
                .isEqualTo("libforkline-" + LibraryFile.builtDigest(LibraryFile.architecture(System.getProperty("os.arch"))) + ".so");
    }

    @Test
    void aHostWithoutALibraryIsNamedWithWhatTheJarCarries() {
        Function<String, URL> onlyAarch64 = name -> name.contains("linux-aarch64") ? url(name) : null;
        assertThat(LibraryFile.noLibraryMessage(onlyAarch64, "riscv64", "musl"))
                .contains("no native library for this host, linux-riscv64 (os.arch riscv64, musl)")
                .contains("this jar carries linux-aarch64 (")
                .contains("/META-INF/native/linux-riscv64/libforkline.so is not on the classpath");
        assertThat(LibraryFile.noLibraryMessage(LibraryFile.class::getResource, "amd64", "glibc"))
                .contains("linux-x86_64 (os.arch amd64, glibc): this jar carries linux-x86_64 and linux-aarch64");
        assertThat(LibraryFile.noLibraryMessage(name -> null, "ppc64le", "unknown C library"))
                .contains("linux-ppc64le (os.arch ppc64le, unknown C library): this jar carries none");
    }

    private static URL url(String name) {
        try {
            return URI.create("file:/jar" + name).toURL();
        } catch (MalformedURLException e) {
            throw new AssertionError(e);
        }
    }
}
