package io.forkline.agent;

import static java.lang.constant.ConstantDescs.CD_Object;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.instrument.ClassFileTransformer;
import java.lang.reflect.AccessFlag;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites {@code java.lang.ProcessImpl} as it loads, with the JDK's Class-File API: the one call
 * in its constructor to the private native {@code forkAndExec} becomes a static call to
 * {@code java.lang.ForklineSpawnBridge.forkAndExec} (see {@link Agent}), which hands it to
 * {@link ProcessImplBridge#forkAndExec}, with the same arguments and the receiver first. The
 * operand stack is the same before and after, so nothing else in the method changes.
 *
 * <p>The class is rewritten only in the shape this agent was verified on: a private native
 * instance method {@code int forkAndExec(int, byte[], byte[], byte[], int, byte[], int, byte[],
 * int[], boolean)} and exactly one call to it, in a constructor. Any other shape (another JDK,
 * another OS's ProcessImpl) leaves the class as it is, and the agent says why.
 */
final class ProcessImplRewriter implements ClassFileTransformer {
    static final String TARGET = "java/lang/ProcessImpl";
    private static final ClassDesc PROCESS_IMPL = ClassDesc.ofInternalName(TARGET);
    static final MethodTypeDesc NATIVE_TYPE = MethodTypeDesc.ofDescriptor("(I[B[B[BI[BI[B[IZ)I");
    static final ClassDesc BRIDGE = Agent.JAVA_LANG_BRIDGE;
    static final MethodTypeDesc BRIDGE_TYPE = NATIVE_TYPE.insertParameterTypes(0, CD_Object);

    /** The rewritten class, or why it was left alone. */
    record Result(byte[] rewritten, String refusal) {}

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
            ProtectionDomain domain, byte[] classfile) {
        if (loader != null || !TARGET.equals(className)) return null;
        try {
            Result result = rewrite(classfile);
            if (result.rewritten() == null) {
                AgentStatus.off("java.lang.ProcessImpl is not the shape this agent was verified on ("
                        + AgentStatus.VERIFIED_ON + "): " + result.refusal(), true);
            } else {
                AgentStatus.activated();
            }
            return result.rewritten();
        } catch (RuntimeException | Error e) {
            // A transformer's exception is swallowed by the JVM; the class then loads unchanged.
            AgentStatus.off("rewriting java.lang.ProcessImpl failed: " + e, true);
            return null;
        }
    }

    static Result rewrite(byte[] classfile) {
        ClassFile files = ClassFile.of();
        ClassModel model = files.parse(classfile);
        if (!model.thisClass().asSymbol().equals(PROCESS_IMPL)) return new Result(null, "not " + TARGET);
        boolean nativeFound = false;
        for (MethodModel method : model.methods()) {
            if (isForkAndExec(method.methodName().stringValue(), method.methodTypeSymbol())) {
                nativeFound = method.flags().has(AccessFlag.NATIVE) && method.flags().has(AccessFlag.PRIVATE)
                        && !method.flags().has(AccessFlag.STATIC);
            }
        }
        if (!nativeFound) {
            return new Result(null, "no private native int forkAndExec" + NATIVE_TYPE.descriptorString());
        }
        List<String> callers = new ArrayList<>();
        for (MethodModel method : model.methods()) {
            CodeModel code = method.code().orElse(null);
            if (code == null) continue;
            for (CodeElement element : code) {
                if (isTheCall(element)) callers.add(method.methodName().stringValue());
            }
        }
        if (callers.size() != 1 || !callers.get(0).equals("<init>")) {
            return new Result(null, "expected one call to forkAndExec, in a constructor; found calls in " + callers);
        }
        byte[] rewritten = files.transformClass(model, ClassTransform.transformingMethodBodies(
                method -> method.methodName().equalsString("<init>"),
                (builder, element) -> {
                    if (isTheCall(element)) builder.invokestatic(BRIDGE, "forkAndExec", BRIDGE_TYPE);
                    else builder.with(element);
                }));
        return new Result(rewritten, null);
    }

    private static boolean isForkAndExec(String name, MethodTypeDesc type) {
        return name.equals("forkAndExec") && type.equals(NATIVE_TYPE);
    }

    private static boolean isTheCall(CodeElement element) {
        return element instanceof InvokeInstruction call
                && (call.opcode() == Opcode.INVOKEVIRTUAL || call.opcode() == Opcode.INVOKESPECIAL)
                && call.owner().asSymbol().equals(PROCESS_IMPL)
                && isForkAndExec(call.name().stringValue(), call.typeSymbol());
    }
}
