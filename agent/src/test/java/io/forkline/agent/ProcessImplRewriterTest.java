package io.forkline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rewrite of the running JDK's own ProcessImpl, and its refusal of any other shape. */
class ProcessImplRewriterTest {
    private static byte[] jdkProcessImpl() throws Exception {
        return Files.readAllBytes(Path.of(URI.create("jrt:/java.base/java/lang/ProcessImpl.class")));
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

    @Test
    void theOneCallInTheConstructorGoesToTheBridgeAndTheClassVerifies() throws Exception {
        byte[] original = jdkProcessImpl();
        assertThat(calls(original)).containsExactly(
                "<init>: INVOKEVIRTUAL java/lang/ProcessImpl.forkAndExec(I[B[B[BI[BI[B[IZ)I");
        ProcessImplRewriter.Result result = ProcessImplRewriter.rewrite(original);
        assertThat(result.refusal()).isNull();
        assertThat(calls(result.rewritten())).containsExactly(
                "<init>: INVOKESTATIC java/lang/ForklineSpawnBridge.forkAndExec(Ljava/lang/Object;I[B[B[BI[BI[B[IZ)I");
        assertThat(ClassFile.of().verify(result.rewritten())).isEmpty();
        // Nothing else changed: the same methods and fields, the native method still there.
        ClassModel before = ClassFile.of().parse(original);
        ClassModel after = ClassFile.of().parse(result.rewritten());
        assertThat(after.methods().stream().map(m -> m.methodName() + m.methodType().stringValue()).toList())
                .isEqualTo(before.methods().stream().map(m -> m.methodName() + m.methodType().stringValue()).toList());
        assertThat(after.fields().size()).isEqualTo(before.fields().size());
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
