package io.forkline.agent;

import java.lang.instrument.ClassFileTransformer;
import java.nio.charset.StandardCharsets;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rewrites {@code java.lang.ProcessImpl} as it loads: the one call in its constructor to the
 * private native {@code forkAndExec} becomes a static call to
 * {@code java.lang.ForklineSpawnBridge.forkAndExec} ({@link BridgeClass}), which hands it to
 * {@link ProcessImplBridge#forkAndExec}, with the same arguments and the receiver first.
 *
 * <p>The class file is patched in place, not rebuilt (JVMS 4): six entries are appended to the
 * constant pool (the bridge class, its method's name, descriptor, name-and-type and method
 * reference), and the call's three bytes, {@code invokevirtual} (or {@code invokespecial}) and
 * a pool index, become {@code invokestatic} and the new reference's index. The instruction keeps
 * its length and the operand stack its shape (the receiver is the bridge's first argument), so no
 * offset, stack map frame or exception range moves, and entries appended to the pool renumber
 * nothing. That needs no bytecode library, and so runs the same on every JDK and loads a handful
 * of classes: the JDK's Class-File API exists only from 24, and its first use costs some 30 ms
 * of class loading in every JVM the agent is given to.
 *
 * <p>The class is rewritten only in the shape this agent was verified on: a private native
 * instance method {@code int forkAndExec(int, byte[], byte[], byte[], int, byte[], int, byte[],
 * int[], boolean)} and exactly one call to it, in a constructor. JDK 17, 21 and 25 all have it
 * (read in 21u's ProcessImpl.java and 17u's ProcessImpl_md.c, and in the class files of Debian's
 * 17.0.15, trixie's 21.0.13.1 and 25.0.5.1 and Temurin's 25.0.3, which ProcessImplRewriterTest
 * rewrites and verifies, each against its own JDK's classes). Their class files differ in version (61, 65, 69) and constant pool, neither of
 * which the patch depends on: it reads every constant tag up to Java 25's and appends. Any other
 * shape (another OS's ProcessImpl, a JDK that changes the call) leaves the class as it is, and
 * the agent says why.
 */
final class ProcessImplRewriter implements ClassFileTransformer {
    static final String TARGET = "java/lang/ProcessImpl";
    static final String NATIVE_DESCRIPTOR = "(I[B[B[BI[BI[B[IZ)I";
    static final String BRIDGE = "java/lang/ForklineSpawnBridge";
    /** The native method's descriptor with the receiver, as an Object, in front. */
    static final String BRIDGE_DESCRIPTOR = "(Ljava/lang/Object;" + NATIVE_DESCRIPTOR.substring(1);

    private static final int ACC_PRIVATE = 0x0002;
    private static final int ACC_STATIC = 0x0008;
    private static final int ACC_NATIVE = 0x0100;
    private static final int INVOKEVIRTUAL = 0xb6;
    private static final int INVOKESPECIAL = 0xb7;
    private static final int INVOKESTATIC = 0xb8;

    /** The rewritten class, or why it was left alone. */
    record Result(byte[] rewritten, String refusal) {}

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
            ProtectionDomain domain, byte[] classfile) {
        if (loader != null || !TARGET.equals(className)) return null;
        try {
            Result result = rewrite(classfile);
            if (result.rewritten() != null) Agent.prepareBridge(); // before the rewritten class can run
            if (result.rewritten() == null) {
                AgentStatus.off("java.lang.ProcessImpl is not the shape this agent was verified on ("
                        + AgentStatus.VERIFIED_ON + "): " + result.refusal(), true);
            } else {
                AgentStatus.activated();
            }
            return result.rewritten();
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            // A transformer's exception is swallowed by the JVM; the class then loads unchanged.
            AgentStatus.off("rewriting java.lang.ProcessImpl failed: " + e, true);
            return null;
        }
    }

    static Result rewrite(byte[] classfile) {
        ClassBytes c = new ClassBytes(classfile);
        if (!TARGET.equals(c.className(c.thisClass))) return new Result(null, "not " + TARGET);
        boolean nativeFound = false;
        List<String> callers = new ArrayList<>();
        int call = -1;
        for (ClassBytes.Method m : c.methods) {
            String name = c.utf8(m.name());
            if (name.equals("forkAndExec") && c.utf8(m.descriptor()).equals(NATIVE_DESCRIPTOR)) {
                nativeFound = (m.access() & (ACC_PRIVATE | ACC_NATIVE)) == (ACC_PRIVATE | ACC_NATIVE) && (m.access() & ACC_STATIC) == 0;
            }
            for (int at : c.instructions(m)) {
                int opcode = classfile[at] & 0xff;
                if ((opcode == INVOKEVIRTUAL || opcode == INVOKESPECIAL) && isTheNativeMethod(c, c.u2(at + 1))) {
                    callers.add(name);
                    call = at;
                }
            }
        }
        if (!nativeFound) return new Result(null, "no private native int forkAndExec" + NATIVE_DESCRIPTOR);
        if (callers.size() != 1 || !callers.get(0).equals("<init>")) {
            return new Result(null, "expected one call to forkAndExec, in a constructor; found calls in " + callers);
        }
        return new Result(c.withStaticCall(call, BRIDGE, "forkAndExec", BRIDGE_DESCRIPTOR), null);
    }

    private static boolean isTheNativeMethod(ClassBytes c, int methodref) {
        if (c.tag(methodref) != ClassBytes.METHODREF) return false;
        int owner = c.u2(c.entry(methodref) + 1);
        int nameAndType = c.u2(c.entry(methodref) + 3);
        return TARGET.equals(c.className(owner)) && c.utf8(c.u2(c.entry(nameAndType) + 1)).equals("forkAndExec")
                && c.utf8(c.u2(c.entry(nameAndType) + 3)).equals(NATIVE_DESCRIPTOR);
    }

    /** A class file read just far enough to find methods, walk their code and patch one call (JVMS 4). */
    static final class ClassBytes {
        static final int UTF8 = 1;
        static final int CLASS = 7;
        static final int METHODREF = 10;
        static final int NAME_AND_TYPE = 12;

        /** One method: its flags, name and descriptor indexes, and its code array (offset -1: none). */
        record Method(int access, int name, int descriptor, int code, int codeLength) {}

        private final byte[] bytes;
        /** Offset of each constant pool entry's tag, by index (0 and the slot after a long or double unused). */
        private final int[] entries;
        private final int poolEnd;
        final int thisClass;
        final List<Method> methods = new ArrayList<>();

        ClassBytes(byte[] bytes) {
            this.bytes = bytes;
            if (bytes.length < 10 || u4(0) != 0xCAFEBABE) throw new IllegalArgumentException("not a class file");
            int count = u2(8);
            entries = new int[count];
            int at = 10;
            for (int i = 1; i < count; i++) {
                entries[i] = at;
                int tag = bytes[at] & 0xff;
                at += switch (tag) {
                    case UTF8 -> 3 + u2(at + 1);
                    case 3, 4, 9, METHODREF, 11, NAME_AND_TYPE, 17, 18 -> 5; // int, float, refs, name-and-type, dynamic
                    case 5, 6 -> 9; // long, double: two slots
                    case CLASS, 8, 16, 19, 20 -> 3; // class, string, method type, module, package
                    case 15 -> 4; // method handle
                    default -> throw new IllegalArgumentException("constant pool tag " + tag + " at entry " + i);
                };
                if (tag == 5 || tag == 6) i++;
            }
            poolEnd = at;
            thisClass = u2(at + 2);
            at += 6;
            at += 2 + 2 * u2(at); // interfaces
            at = skipMembers(at, null); // fields
            skipMembers(at, methods);
        }

        /** Reads fields or methods from {@code at}; collects methods into {@code into}. */
        private int skipMembers(int at, List<Method> into) {
            int count = u2(at);
            at += 2;
            for (int i = 0; i < count; i++) {
                int access = u2(at);
                int name = u2(at + 2);
                int descriptor = u2(at + 4);
                int attributes = u2(at + 6);
                at += 8;
                int code = -1;
                int codeLength = 0;
                for (int a = 0; a < attributes; a++) {
                    int length = u4(at + 2);
                    if (into != null && utf8(u2(at)).equals("Code")) {
                        codeLength = u4(at + 10); // after name, length, max_stack, max_locals
                        code = at + 14;
                    }
                    at += 6 + length;
                }
                if (into != null) into.add(new Method(access, name, descriptor, code, codeLength));
            }
            return at;
        }

        /** @return the offset of every instruction in the method's code */
        List<Integer> instructions(Method m) {
            List<Integer> out = new ArrayList<>();
            for (int pc = 0; m.code() >= 0 && pc < m.codeLength(); ) {
                int at = m.code() + pc;
                out.add(at);
                pc += length(bytes[at] & 0xff, pc, at);
            }
            return out;
        }

        /** An instruction's length in bytes (JVMS 6.5), {@code pc} relative to the code's start for the switches' padding. */
        private int length(int opcode, int pc, int at) {
            switch (opcode) {
                case 0x10, 0x12, 0x15, 0x16, 0x17, 0x18, 0x19, 0x36, 0x37, 0x38, 0x39, 0x3a, 0xa9, 0xbc:
                    return 2; // bipush, ldc, loads, stores, ret, newarray
                case 0x11, 0x13, 0x14, 0x84, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xbb, 0xbd, 0xc0, 0xc1, 0xc6, 0xc7:
                    return 3; // sipush, ldc_w, ldc2_w, iinc, field and method access, new, anewarray, casts, ifnull
                case 0xc5:
                    return 4; // multianewarray
                case 0xb9, 0xba, 0xc8, 0xc9:
                    return 5; // invokeinterface, invokedynamic, goto_w, jsr_w
                case 0xc4:
                    return (bytes[at + 1] & 0xff) == 0x84 ? 6 : 4; // wide iinc, other wide
                case 0xaa: { // tableswitch
                    int pad = 3 - (pc & 3);
                    int low = u4(at + 1 + pad + 4);
                    int high = u4(at + 1 + pad + 8);
                    return 1 + pad + 12 + 4 * (high - low + 1);
                }
                case 0xab: { // lookupswitch
                    int pad = 3 - (pc & 3);
                    return 1 + pad + 8 + 8 * u4(at + 1 + pad + 4);
                }
                default:
                    if (opcode >= 0x99 && opcode <= 0xa8) return 3; // if<cond>, goto, jsr
                    return 1;
            }
        }

        /**
         * @return a copy with the 3-byte invoke instruction at {@code call} turned into
         *     {@code invokestatic owner.name descriptor}, whose reference is appended to the pool
         */
        byte[] withStaticCall(int call, String owner, String name, String descriptor) {
            int count = entries.length;
            var added = new java.io.ByteArrayOutputStream();
            utf8Entry(added, owner);                        // count
            refEntry(added, CLASS, count, -1);              // count + 1
            utf8Entry(added, name);                         // count + 2
            utf8Entry(added, descriptor);                   // count + 3
            refEntry(added, NAME_AND_TYPE, count + 2, count + 3); // count + 4
            refEntry(added, METHODREF, count + 1, count + 4);     // count + 5
            byte[] extra = added.toByteArray();
            byte[] out = new byte[bytes.length + extra.length];
            System.arraycopy(bytes, 0, out, 0, poolEnd);
            System.arraycopy(extra, 0, out, poolEnd, extra.length);
            System.arraycopy(bytes, poolEnd, out, poolEnd + extra.length, bytes.length - poolEnd);
            int newCount = count + 6;
            out[8] = (byte) (newCount >>> 8);
            out[9] = (byte) newCount;
            int at = call + extra.length;
            out[at] = (byte) INVOKESTATIC;
            out[at + 1] = (byte) ((count + 5) >>> 8);
            out[at + 2] = (byte) (count + 5);
            return out;
        }

        private static void utf8Entry(java.io.ByteArrayOutputStream out, String text) {
            byte[] ascii = text.getBytes(StandardCharsets.US_ASCII); // class names and descriptors here are ASCII
            out.write(UTF8);
            out.write(ascii.length >>> 8);
            out.write(ascii.length);
            out.write(ascii, 0, ascii.length);
        }

        private static void refEntry(java.io.ByteArrayOutputStream out, int tag, int first, int second) {
            out.write(tag);
            out.write(first >>> 8);
            out.write(first);
            if (second >= 0) {
                out.write(second >>> 8);
                out.write(second);
            }
        }

        int tag(int index) {
            return index > 0 && index < entries.length && entries[index] > 0 ? bytes[entries[index]] & 0xff : -1;
        }

        int entry(int index) {
            return entries[index];
        }

        /** A CONSTANT_Utf8's text; the names compared here are ASCII, for which modified UTF-8 is plain. */
        String utf8(int index) {
            if (tag(index) != UTF8) throw new IllegalArgumentException("constant " + index + " is not a Utf8");
            int at = entries[index];
            return new String(Arrays.copyOfRange(bytes, at + 3, at + 3 + u2(at + 1)), StandardCharsets.UTF_8);
        }

        String className(int index) {
            if (tag(index) != CLASS) throw new IllegalArgumentException("constant " + index + " is not a Class");
            return utf8(u2(entries[index] + 1));
        }

        int u2(int at) {
            return ((bytes[at] & 0xff) << 8) | (bytes[at + 1] & 0xff);
        }

        int u4(int at) {
            return (u2(at) << 16) | u2(at + 2);
        }
    }
}
