package io.forkline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.reflect.AccessFlag;
import org.junit.jupiter.api.Test;

/** The hand-written bridge class, read and verified by the JDK's own Class-File API. */
class BridgeClassTest {
    @Test
    void theBridgeIsAVerifiedJava8ClassWithOneFieldAndOneMethodThatInvokesIt() {
        byte[] bytes = BridgeClass.bytes();
        assertThat(ClassFile.of().verify(bytes)).isEmpty();
        ClassModel model = ClassFile.of().parse(bytes);
        assertThat(model.majorVersion()).as("Java 8, which every JDK defines").isEqualTo(52);
        assertThat(model.thisClass().asInternalName()).isEqualTo("java/lang/ForklineSpawnBridge");
        assertThat(model.flags().flags()).contains(AccessFlag.FINAL, AccessFlag.SYNTHETIC);
        assertThat(model.fields()).singleElement().satisfies(f -> {
            assertThat(f.fieldName().stringValue()).isEqualTo("target");
            assertThat(f.fieldType().stringValue()).isEqualTo("Ljava/lang/invoke/MethodHandle;");
            assertThat(f.flags().flags()).contains(AccessFlag.STATIC, AccessFlag.VOLATILE);
        });
        assertThat(model.methods()).singleElement().satisfies(m -> {
            assertThat(m.methodName().stringValue()).isEqualTo("forkAndExec");
            assertThat(m.methodType().stringValue()).isEqualTo(ProcessImplRewriter.BRIDGE_DESCRIPTOR);
            assertThat(m.flags().flags()).contains(AccessFlag.STATIC);
            var calls = m.code().orElseThrow().elementStream().filter(e -> e instanceof InvokeInstruction)
                    .map(CodeElement::toString).toList();
            assertThat(calls).singleElement().asString().contains("invokeExact").contains(ProcessImplRewriter.BRIDGE_DESCRIPTOR);
        });
    }
}
