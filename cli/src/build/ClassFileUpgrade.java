import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.constant.ClassDesc;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * A build step of the CLI jar (cli/pom.xml runs it after the shade plugin): re-encodes the class
 * files of the named packages that are older than class-file version 50 (Java 6) as version 52
 * (Java 8), with the stack map frames that version requires, computed by the JDK's ClassFile API.
 * Nothing else in them changes.
 *
 * <p>Why: the JVM's AOT cache (JEP 483) cannot keep a class older than version 50 once it has
 * been linked (it was verified by the old type-inferencing verifier, whose results cannot be
 * checked again at run time), nor any class that extends or implements one. picocli 4.7 is built
 * for Java 5, so without this every start of the CLI loads, verifies and links picocli and the
 * CLI's own converters and handlers anew: about 35 ms of {@code forkline run}'s start.
 *
 * <p>Every rewritten class is checked with the ClassFile API's verifier (the JVM's split
 * verifier's rules) before it replaces the original; a class that cannot be rewritten or fails
 * the check is left as it was, and said so. Usage: {@code java ClassFileUpgrade.java JAR PACKAGE/...}.
 */
public final class ClassFileUpgrade {
    private static final int OLDEST_KEPT = 50;
    private static final int TARGET = 52;

    private ClassFileUpgrade() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) throw new IllegalArgumentException("usage: java ClassFileUpgrade.java JAR PACKAGE/...");
        Path jar = Path.of(args[0]);
        List<String> packages = List.of(args).subList(1, args.length);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Map<String, JarEntry> metadata = new LinkedHashMap<>();
        try (JarFile in = new JarFile(jar.toFile())) {
            for (JarEntry entry : java.util.Collections.list(in.entries())) {
                try (InputStream data = in.getInputStream(entry)) {
                    entries.put(entry.getName(), data.readAllBytes());
                }
                metadata.put(entry.getName(), entry);
            }
        }
        ClassHierarchyResolver fromJar = ClassHierarchyResolver.ofResourceParsing(desc -> {
            byte[] bytes = entries.get(internalName(desc) + ".class");
            return bytes == null ? null : new ByteArrayInputStream(bytes);
        });
        ClassFile classFile = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                ClassFile.ClassHierarchyResolverOption.of(fromJar.orElse(ClassHierarchyResolver.defaultResolver())));
        int upgraded = 0;
        List<String> kept = new ArrayList<>();
        for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
            String name = entry.getKey();
            if (!name.endsWith(".class") || name.startsWith("META-INF/") || packages.stream().noneMatch(name::startsWith)) continue;
            ClassModel model = classFile.parse(entry.getValue());
            if (model.majorVersion() >= OLDEST_KEPT) continue;
            try {
                byte[] rewritten = classFile.transformClass(model,
                        ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                                .andThen(ClassTransform.endHandler(builder -> builder.withVersion(TARGET, 0))));
                List<VerifyError> errors = classFile.verify(rewritten);
                if (!errors.isEmpty()) throw new IllegalStateException(errors.getFirst().getMessage());
                entry.setValue(rewritten);
                upgraded++;
            } catch (RuntimeException e) { // jsr/ret, or frames the verifier refuses: keep the original
                kept.add(name + " (" + e.getMessage() + ")");
            }
        }
        String notice = "The class files of " + String.join(", ", packages) + " in this jar were re-encoded from class-file version 49\n"
                + "to 52, with stack map frames computed by the JDK's ClassFile API, so that the JVM's AOT cache can keep\n"
                + "them (forkline's cli/src/build/ClassFileUpgrade.java). Their code is otherwise unchanged.\n";
        entries.put("META-INF/forkline/class-file-upgrade.txt", notice.getBytes(StandardCharsets.UTF_8));
        Path partial = jar.resolveSibling(jar.getFileName() + ".upgrading");
        try (OutputStream file = Files.newOutputStream(partial); JarOutputStream out = new JarOutputStream(file)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                JarEntry copy = new JarEntry(entry.getKey());
                JarEntry original = metadata.get(entry.getKey());
                if (original != null) copy.setTime(original.getTime());
                out.putNextEntry(copy);
                out.write(entry.getValue());
                out.closeEntry();
            }
        }
        Files.move(partial, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        // Quiet when all went well, as a -q build is; the classes left as they were start slower, and say so.
        if (!kept.isEmpty()) {
            System.out.println("ClassFileUpgrade: " + upgraded + " class files of " + packages + " re-encoded as version " + TARGET
                    + "; left as they were: " + kept);
        }
    }

    private static String internalName(ClassDesc desc) {
        String descriptor = desc.descriptorString();
        return descriptor.substring(1, descriptor.length() - 1);
    }
}
