package io.forkline.sys.shim;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Extracts one of the programs that the native build packs beside libforkline.so. */
public final class NativeTool {
    private NativeTool() {}

    public static Path extract(String name) throws IOException {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> System.getProperty("os.arch");
        };
        String resource = "/META-INF/native/linux-" + arch + "/" + name;
        try (InputStream in = NativeTool.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException(resource + " is not in the jar: rebuild with ./forkline (mvnw install)");
            Path file = Files.createTempFile(name + "-", "");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            if (!file.toFile().setExecutable(true, true)) throw new IOException("cannot make " + file + " executable");
            return file;
        }
    }
}
