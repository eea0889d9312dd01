package io.forkline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rewrite of each served JDK's own ProcessImpl, read from that JDK's lib/modules through its
 * own jrt file system, and the refusal of any other shape.
 */
class ProcessImplRewriterTest {
    static List<String> jdks() {
        return List.of("the build's JDK", "Debian bookworm's OpenJDK 17", "Debian trixie's OpenJDK 21", "Debian trixie's OpenJDK 25");
    }

    private static TestJvms.Jvm jdk(String which) throws Exception {
        return switch (which) {
            case "the build's JDK" -> TestJvms.build();
            case "Debian bookworm's OpenJDK 17" -> TestJvms.debian17();
            case "Debian trixie's OpenJDK 21" -> TestJvms.trixie(21);
            default -> TestJvms.trixie(25);
        };
    }

    /** A JDK's modules, read by its own jrt-fs.jar (java.home given), so another release's classes as that release has them. */
    private static FileSystem modules(Path home) throws Exception {
        return FileSystems.newFileSystem(URI.create("jrt:/"), Map.of("java.home", home.toString()));
    }

    private static List<String> calls(byte[] classfile) {
        List<String> calls = new ArrayList<>();
        ClassModel model = ClassFile.of().parse(classfile);
        for (MethodModel method : model.methods()) {
            if (method.code().isEmpty()) continue;
            for (CodeElement element : method.code().get()) {
                if (element instanceof InvokeInstruction call && call.name().equalsString("forkAndExec")) {
                    calls.add(method.methodName() + ": " + call.opcode() + " " + call.owner().asInternalName() + "." + call.name()
                            + call.type());
                }
            }
        }
        return calls;
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("jdks")
    void theOneCallInTheConstructorGoesToTheBridgeAndTheClassVerifies(String which) throws Exception {
        TestJvms.Jvm jdk = jdk(which);
        try (FileSystem modules = modules(jdk.home())) {
            Path javaBase = modules.getPath("/modules/java.base");
            byte[] original = Files.readAllBytes(javaBase.resolve("java/lang/ProcessImpl.class"));
            int major = ((original[6] & 0xff) << 8) | (original[7] & 0xff);
            assertThat(major).as("%s: class file version", jdk).isEqualTo(44 + jdk.feature());
            assertThat(calls(original)).as("%s", jdk).containsExactly(
                    "<init>: INVOKEVIRTUAL java/lang/ProcessImpl.forkAndExec(I[B[B[BI[BI[B[IZ)I");
            ProcessImplRewriter.Result result = ProcessImplRewriter.rewrite(original);
            assertThat(result.refusal()).as("%s", jdk).isNull();
            assertThat(calls(result.rewritten())).containsExactly(
                    "<init>: INVOKESTATIC java/lang/ForklineSpawnBridge.forkAndExec(Ljava/lang/Object;I[B[B[BI[BI[B[IZ)I");
            // Verified against that JDK's own classes (ProcessImpl's nested classes differ between
            // releases), with the bridge as the agent defines it.
            byte[] bridge = BridgeClass.bytes();
            ClassHierarchyResolver resolver = ClassHierarchyResolver.ofResourceParsing(desc -> {
                if (desc.descriptorString().equals("L" + ProcessImplRewriter.BRIDGE + ";")) return new ByteArrayInputStream(bridge);
                Path file = null;
                try (var moduleDirs = Files.list(modules.getPath("/modules"))) {
                    for (Path module : (Iterable<Path>) moduleDirs::iterator) {
                        Path candidate = module.resolve(desc.descriptorString().substring(1, desc.descriptorString().length() - 1) + ".class");
                        if (Files.exists(candidate)) {
                            file = candidate;
                            break;
                        }
                    }
                    return file == null ? null : Files.newInputStream(file);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(resolver)).verify(result.rewritten()))
                    .as("%s", jdk).isEmpty();
            // Nothing else changed: the same methods and fields, the native method still there.
            ClassModel before = ClassFile.of().parse(original);
            ClassModel after = ClassFile.of().parse(result.rewritten());
            assertThat(after.methods().stream().map(m -> m.methodName() + m.methodType().stringValue()).toList())
                    .isEqualTo(before.methods().stream().map(m -> m.methodName() + m.methodType().stringValue()).toList());
            assertThat(after.fields().size()).isEqualTo(before.fields().size());
            assertThat(after.majorVersion()).isEqualTo(major);
        }
    }

    @Test
    void anotherShapeIsLeftAlone() {
        ClassDesc processImpl = ClassDesc.of("java.lang.ProcessImpl");
        MethodTypeDesc nativeType = MethodTypeDesc.ofDescriptor(ProcessImplRewriter.NATIVE_DESCRIPTOR);
        // Two calls, one outside a constructor: not the JDK 25 shape.
        byte[] twoCalls = ClassFile.of().build(processImpl, type -> {
            type.withMethod("forkAndExec", nativeType, ClassFile.ACC_PRIVATE | ClassFile.ACC_NATIVE, m -> {});
            for (String name : List.of("<init>", "again")) {
                type.withMethodBody(name, MethodTypeDesc.of(ConstantDescs.CD_void), 0, code -> {
                    code.aload(0);
                    for (int i = 0; i < nativeType.parameterCount(); i++) {
                        if (nativeType.parameterType(i).isPrimitive()) code.iconst_0();
                        else code.aconst_null();
                    }
                    code.invokevirtual(processImpl, "forkAndExec", nativeType);
                    code.pop();
                    code.return_();
                });
            }
        });
        assertThat(ProcessImplRewriter.rewrite(twoCalls).rewritten()).isNull();
        assertThat(ProcessImplRewriter.rewrite(twoCalls).refusal()).contains("expected one call").contains("again");
        // No native forkAndExec at all.
        byte[] noNative = ClassFile.of().build(processImpl, type -> {});
        assertThat(ProcessImplRewriter.rewrite(noNative).refusal()).startsWith("no private native int forkAndExec");
        // Another class of the same shape is not ProcessImpl.
        byte[] other = ClassFile.of().build(ClassDesc.of("demo.Other"), type -> {});
        assertThat(ProcessImplRewriter.rewrite(other).refusal()).isEqualTo("not java/lang/ProcessImpl");
    }
}
