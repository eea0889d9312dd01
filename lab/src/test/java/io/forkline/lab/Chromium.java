package io.forkline.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;

/**
 * Headless Chromium, to look at the report as a person's browser draws it. Installed the first
 * time as the build installs its other tools ({@code scripts/toolchains.sh browser}, as root), so
 * these tests run in CI; where it cannot be installed (not root) they are skipped and say why.
 */
final class Chromium {
    private static final Path BINARY = Path.of("/usr/bin/chromium");
    private static final Path INSTALLER = Path.of("..", "scripts", "toolchains.sh");

    private static boolean versionSaid;

    private Chromium() {}

    /** @return the browser, installed now if need be; skips the test where it cannot be */
    static Path require() throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY) && Files.isExecutable(INSTALLER)) {
            Process install = new ProcessBuilder(INSTALLER.toString(), "browser").inheritIO().start();
            if (!install.waitFor(15, TimeUnit.MINUTES)) install.destroyForcibly().waitFor();
        }
        Assumptions.assumeTrue(Files.isExecutable(BINARY),
                "chromium is not installed and could not be (run 'sudo scripts/toolchains.sh browser')");
        if (!versionSaid && Files.isExecutable(INSTALLER)) {
            versionSaid = true;
            // Which browser drew what the tests looked at, in the test output.
            Process versions = new ProcessBuilder(INSTALLER.toString(), "--versions", "browser").redirectErrorStream(true).start();
            System.out.print(new String(versions.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            versions.waitFor();
        }
        return BINARY;
    }

    /** Draws {@code page} in a {@code width} x {@code height} window and returns the picture. */
    static BufferedImage screenshot(Path page, int width, int height, Path work) throws IOException, InterruptedException {
        Path shot = work.resolve("shot-" + System.nanoTime() + ".png");
        // The flags keep a headless browser from reaching for the network at start (this
        // project's machines have none but the package mirrors).
        Process p = new ProcessBuilder(require().toString(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + work.resolve("profile"), "--window-size=" + width + "," + height,
                "--screenshot=" + shot, page.toUri().toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("chromium.log").toFile()).start();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) p.destroyForcibly().waitFor();
        assertThat(ended).as("chromium ended (log: %s)", work.resolve("chromium.log")).isTrue();
        BufferedImage image = ImageIO.read(shot.toFile());
        assertThat(image).as("chromium's screenshot %s (log: %s)", shot, work.resolve("chromium.log")).isNotNull();
        return image;
    }
}
