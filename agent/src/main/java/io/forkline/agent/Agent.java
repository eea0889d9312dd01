package io.forkline.agent;

import static java.lang.classfile.ClassFile.ACC_FINAL;
import static java.lang.classfile.ClassFile.ACC_STATIC;
import static java.lang.classfile.ClassFile.ACC_SYNTHETIC;
import static java.lang.classfile.ClassFile.ACC_VOLATILE;
import static java.lang.constant.ConstantDescs.CD_MethodHandle;

import io.forkline.sys.ffm.LibraryFile;
import java.lang.classfile.ClassFile;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Installs the drop-in mode.
 *
 * <p>In order: decide whether this JVM is one the agent knows (a JDK 25, the JDK's launch
 * mechanism not chosen by the user); load the shim for JNI and take its fd slots while the fd
 * table is small; open java.lang to this module; define in java.lang a small bridge class that
 * holds a method handle to {@link ProcessImplBridge#forkAndExec}; then rewrite ProcessImpl, when
 * it loads or now if it has, to call that bridge instead of its native forkAndExec.
 *
 * <p>Why a class defined in java.lang, and not this jar on the boot class path: java.base can
 * call only what the boot loader sees, and appending to the boot class path turns off class
 * data sharing for every class outside it ("Sharing is only supported for boot loader
 * classes"), which would slow the start of every JVM the agent is given to. A class defined with
 * {@link MethodHandles.Lookup#defineClass} in java.lang is java.base's own, and costs nothing.
 * Opening java.lang to this module also lets the bridge call the JDK's own forkAndExec when it
 * falls back.
 *
 * <p>Any refusal leaves the JVM exactly as it was and says why in {@code forkline.agent.status}.
 */
final class Agent {
    /** Low fds held for children born sharing the fd table: three per spawn in flight. */
    private static final int FD_SLOTS = 12;
    /** The class defined in java.lang that the rewritten ProcessImpl calls. */
    static final ClassDesc JAVA_LANG_BRIDGE = ClassDesc.of("java.lang.ForklineSpawnBridge");

    private Agent() {}

    /** @param setting {@code -Dforkline.agent}: "on", or "force" to try on a JDK other than 25 */
    @SuppressWarnings("restricted") // System.load: the one restricted call, for the shim's JNI entry
    static void install(Instrumentation instrumentation, Path agentJar, String setting) throws ReflectiveOperationException {
        String refusal = refusal(setting);
        if (refusal != null) {
            AgentStatus.off(refusal, false);
            return;
        }
        int clone3;
        try {
            clone3 = LibraryFile.open(resource -> inJar(agentJar, resource), (file, description) -> {
                System.load(file.toString());
                return NativeSpawn.init(FD_SLOTS, NativeSpawn.environAddress(), NativeSpawn.libcLeavesSignalsToClone3(),
                        NativeSpawn.jdkDefaultsPipeAndChld(Runtime.version()));
            });
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            AgentStatus.off("cannot load libforkline.so from " + agentJar + ": " + e, true);
            return;
        }
        if (clone3 < 0) {
            AgentStatus.off("the shim could not start (errno " + -clone3 + ")", true);
            return;
        }
        instrumentation.redefineModule(Object.class.getModule(), Set.of(), Map.of(),
                Map.of("java.lang", Set.of(Agent.class.getModule())), Set.of(), Map.of());
        defineJavaLangBridge(MethodHandles.privateLookupIn(Object.class, MethodHandles.lookup()));
        AgentStatus.installed(clone3 == 1 ? "clone3" : "clone(2), clone3 being refused");
        instrumentation.addTransformer(new ProcessImplRewriter(), true);
        // Before main nothing has spawned yet, so ProcessImpl is rewritten when it first loads.
        // Attached later, or after another agent spawned, it is already loaded: rewrite it now.
        for (Class<?> loaded : instrumentation.getInitiatedClasses(null)) {
            if (!loaded.getName().equals("java.lang.ProcessImpl")) continue;
            try {
                instrumentation.retransformClasses(loaded);
            } catch (Exception | Error e) {
                AgentStatus.off("cannot retransform the already loaded java.lang.ProcessImpl: " + e, true);
            }
        }
    }

    /** @return why the agent must do nothing in this JVM, or null */
    static String refusal(String setting) {
        if (System.getProperty("jdk.lang.Process.launchMechanism") != null) {
            return "jdk.lang.Process.launchMechanism is set, so the JDK's own launcher is kept";
        }
        int feature = Runtime.version().feature();
        if (feature != 25 && !setting.equals("force")) {
            return "JDK " + Runtime.version() + " is not one this agent was verified on (" + AgentStatus.VERIFIED_ON
                    + "); -Dforkline.agent=force tries it anyway, rewriting only a ProcessImpl of the same shape";
        }
        return null;
    }

    /**
     * Defines {@code java.lang.ForklineSpawnBridge}: one static field, a method handle to
     * {@link ProcessImplBridge#forkAndExec}, and one static method with ProcessImpl's arguments
     * that invokes it. No branches, so no stack map frames and no class hierarchy to resolve.
     */
    private static void defineJavaLangBridge(MethodHandles.Lookup javaLang) throws ReflectiveOperationException {
        byte[] bridge = ClassFile.of().build(JAVA_LANG_BRIDGE, type -> {
            type.withFlags(ACC_FINAL | ACC_SYNTHETIC);
            type.withField("target", CD_MethodHandle, ACC_STATIC | ACC_VOLATILE);
            type.withMethodBody("forkAndExec", ProcessImplRewriter.BRIDGE_TYPE, ACC_STATIC, code -> {
                code.getstatic(JAVA_LANG_BRIDGE, "target", CD_MethodHandle);
                for (int i = 0; i < ProcessImplRewriter.BRIDGE_TYPE.parameterCount(); i++) {
                    code.loadLocal(TypeKind.from(ProcessImplRewriter.BRIDGE_TYPE.parameterType(i)), i);
                }
                code.invokevirtual(CD_MethodHandle, "invokeExact", ProcessImplRewriter.BRIDGE_TYPE);
                code.ireturn();
            });
        });
        Class<?> defined = javaLang.defineClass(bridge);
        MethodHandle target = MethodHandles.lookup().findStatic(ProcessImplBridge.class, "forkAndExec",
                MethodType.fromMethodDescriptorString(ProcessImplRewriter.BRIDGE_TYPE.descriptorString(), null));
        javaLang.findStaticVarHandle(defined, "target", MethodHandle.class).setVolatile(target);
    }

    private static URL inJar(Path jar, String resource) {
        try {
            return URI.create("jar:" + jar.toUri() + "!" + resource).toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
