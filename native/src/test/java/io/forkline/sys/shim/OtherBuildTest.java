package io.forkline.sys.shim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A libforkline.so from another build (native/src/test/c/other-build.c, which reports another
 * ABI version and links this build's library for the rest) is refused when it loads, with the
 * layout-mismatch error naming the item and where the library came from. Each load is a child
 * JVM: a JVM loads the library once.
 */
class OtherBuildTest {
    @TempDir
    Path dir;

    @Test
    void aLibraryFromAnotherBuildFailsTheLayoutCheck() throws Exception {
        Path thisBuild = Path.of(LibraryFile.class.getResource(LibraryFile.resourceName("x86_64")).toURI());
        Path other = dir.resolve("other/META-INF/native/linux-x86_64/libforkline.so");
        Files.createDirectories(other.getParent());
        Path source = Path.of("src/test/c/other-build.c").toAbsolutePath();
        Process cc = new ProcessBuilder("cc", "-shared", "-fPIC", "-Wl,--no-as-needed", "-o", other.toString(), source.toString(), thisBuild.toString())
                .redirectErrorStream(true).start();
        String ccOutput = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cc.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(cc.exitValue()).as(ccOutput).isZero();

        String output = probe(dir.resolve("other"));
        assertThat(output)
                .contains("java.lang.IllegalStateException: libforkline.so from " + other.toUri().toURL())
                .contains("does not match its Java bindings: FL_ABI_VERSION is 5, expected 8");
    }

    @Test
    void thisBuildsLibraryLoadsInTheSameProbe() throws Exception {
        assertThat(probe(null)).startsWith("loaded, clone3 usable: true");
    }

    /** Runs {@link LoadProbe} in a child JVM, with {@code first} ahead of this build's classes. */
    private static String probe(Path first) throws IOException, InterruptedException, URISyntaxException {
        List<String> classpath = new ArrayList<>();
        if (first != null) classpath.add(first.toString());
        classpath.add(Path.of(LibraryFile.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        classpath.add(Path.of(LoadProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-cp", String.join(":", classpath), LoadProbe.class.getName())
                .redirectErrorStream(true);
        // An empty cache: with this build's copy cached, its classes would load that copy by the
        // digest compiled into them and never look on the class path for another build's.
        Path cache = Files.createTempDirectory("forkline-cache-");
        builder.environment().put("XDG_CACHE_HOME", cache.toString());
        try {
            Process java = builder.start();
            String output = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(java.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();
            return output;
        } finally {
            try (var walk = Files.walk(cache)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
    }
}
