package io.forkline.agent;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The class file of {@code java.lang.ForklineSpawnBridge}, written out by hand: one static
 * volatile field, a {@code MethodHandle} to {@link ProcessImplBridge#forkAndExec}, and one
 * static method with the rewritten call's descriptor that invokes it:
 *
 * <pre>{@code
 * final synthetic class java.lang.ForklineSpawnBridge {
 *     static volatile MethodHandle target;
 *     static int forkAndExec(Object process, int mode, byte[] helperpath, byte[] prog, byte[] argBlock,
 *             int argc, byte[] envBlock, int envc, byte[] dir, int[] fds, boolean redirectErrorStream) {
 *         return (int) target.invokeExact(process, mode, helperpath, prog, argBlock, argc, envBlock, envc,
 *                 dir, fds, redirectErrorStream);
 *     }
 * }
 * }</pre>
 *
 * Class file version 52 (Java 8), which every JDK defines, and straight-line code, which needs no
 * stack map frames. Writing these few hundred bytes costs no class loading, where building them
 * with the JDK's Class-File API (24 and later only) cost tens of milliseconds at every start.
 * BridgeClassTest checks the result with that API's verifier.
 */
final class BridgeClass {
    private static final int ACC_STATIC = 0x0008;
    private static final int ACC_FINAL = 0x0010;
    private static final int ACC_SUPER = 0x0020;
    private static final int ACC_VOLATILE = 0x0040;
    private static final int ACC_SYNTHETIC = 0x1000;

    private BridgeClass() {}

    static byte[] bytes() {
        try {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
            DataOutputStream out = new DataOutputStream(buffer);
            out.writeInt(0xCAFEBABE);
            out.writeShort(0); // minor
            out.writeShort(52); // Java 8
            out.writeShort(17); // constant pool count: entries 1 to 16
            utf8(out, ProcessImplRewriter.BRIDGE);                  // 1
            ref(out, 7, 1);                                        // 2  Class this
            utf8(out, "java/lang/Object");                         // 3
            ref(out, 7, 3);                                        // 4  Class super
            utf8(out, "target");                                   // 5
            utf8(out, "Ljava/lang/invoke/MethodHandle;");          // 6
            ref(out, 12, 5, 6);                                    // 7  NameAndType target
            ref(out, 9, 2, 7);                                     // 8  Fieldref this.target
            utf8(out, "java/lang/invoke/MethodHandle");            // 9
            ref(out, 7, 9);                                        // 10 Class MethodHandle
            utf8(out, "invokeExact");                              // 11
            utf8(out, ProcessImplRewriter.BRIDGE_DESCRIPTOR);      // 12
            ref(out, 12, 11, 12);                                  // 13 NameAndType invokeExact
            ref(out, 10, 10, 13);                                  // 14 Methodref MethodHandle.invokeExact
            utf8(out, "forkAndExec");                              // 15
            utf8(out, "Code");                                     // 16
            out.writeShort(ACC_FINAL | ACC_SUPER | ACC_SYNTHETIC);
            out.writeShort(2); // this
            out.writeShort(4); // super
            out.writeShort(0); // interfaces
            out.writeShort(1); // fields
            out.writeShort(ACC_STATIC | ACC_VOLATILE);
            out.writeShort(5);
            out.writeShort(6);
            out.writeShort(0);
            out.writeShort(1); // methods
            out.writeShort(ACC_STATIC);
            out.writeShort(15);
            out.writeShort(12);
            out.writeShort(1); // attributes: Code
            // getstatic target; the eleven arguments (an int, a reference, ..., a boolean);
            // invokevirtual MethodHandle.invokeExact; ireturn
            byte[] code = {
                (byte) 0xb2, 0, 8,                 // getstatic #8
                0x2a,                              // aload_0   process
                0x1b,                              // iload_1   mode
                0x2c,                              // aload_2   helperpath
                0x2d,                              // aload_3   prog
                0x19, 4,                           // aload 4   argBlock
                0x15, 5,                           // iload 5   argc
                0x19, 6,                           // aload 6   envBlock
                0x15, 7,                           // iload 7   envc
                0x19, 8,                           // aload 8   dir
                0x19, 9,                           // aload 9   fds
                0x15, 10,                          // iload 10  redirectErrorStream
                (byte) 0xb6, 0, 14,                // invokevirtual #14
                (byte) 0xac,                       // ireturn
            };
            out.writeShort(16);
            out.writeInt(2 + 2 + 4 + code.length + 2 + 2);
            out.writeShort(12); // max_stack: the handle and eleven one-slot arguments
            out.writeShort(11); // max_locals: the arguments
            out.writeInt(code.length);
            out.write(code);
            out.writeShort(0); // exception table
            out.writeShort(0); // attributes of Code
            out.writeShort(0); // attributes of the class
            out.flush();
            return buffer.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
    }

    private static void utf8(DataOutputStream out, String text) throws IOException {
        out.writeByte(1);
        out.writeUTF(text);
    }

    private static void ref(DataOutputStream out, int tag, int... indexes) throws IOException {
        out.writeByte(tag);
        for (int index : indexes) out.writeShort(index);
    }
}
