package io.forkline.agent;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.Set;

/**
 * Installs the drop-in mode, paying at the JVM's start only for what every JVM needs, since most
 * JVMs that a {@code JAVA_TOOL_OPTIONS} reaches never spawn.
 *
 * <p>At the start: decide whether this JVM is one the agent knows (a JDK 17, 21 or 25, the JDK's launch
 * mechanism not chosen by the user); hold a few low fds ({@link FdReservation}) while the fd
 * table is small; install the transformer. When ProcessImpl loads (now, if it has): open
 * java.lang to this module, define in it a small bridge class ({@link BridgeClass}) that holds a
 * method handle to {@link ProcessImplBridge#forkAndExec}, and rewrite ProcessImpl to call that
 * bridge instead of its native forkAndExec ({@link ProcessImplRewriter}, a patch of a few
 * bytes). At the first spawn ({@link AgentShim}): load the shim for JNI, and hand it the held
 * fds as its slots. {@code forkline bench agent-start} (medians of 15 starts of a JVM with an
 * empty main, Temurin 25, 2026-12-07): plain 99 ms, with a do-nothing agent 168 ms, with this
 * one 181 ms; 296 ms when all of it ran at the start with the Class-File API and FFM.
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
    static final int FD_SLOTS = 12;
    private static Instrumentation instrumentation;
    private static boolean bridgeDefined;

    private Agent() {}

    /** @param setting {@code -Dforkline.agent}: "on", or "force" to try on a JDK other than 17, 21 and 25 */
    static void install(Instrumentation instrumentation, java.net.URL agentJar, String setting) {
        String refusal = refusal(setting);
        if (refusal != null) {
            AgentStatus.off(refusal, false);
            return;
        }
        FdReservation.hold(FD_SLOTS + 1); // the slots and the shim's /dev/null they are duplicated from
        AgentShim.prepare(agentJar);
        Agent.instrumentation = instrumentation;
        AgentStatus.installed("java.lang.ProcessImpl is rewritten when it loads, and the shim loads at the first spawn");
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

    /**
     * The part of the installation that only a JVM which loads ProcessImpl needs (a spawn, and
     * also the first System.getenv): open java.lang to this module, define the bridge in it.
     * Called by the rewriter, on the thread that loads ProcessImpl, before the rewritten class
     * can run.
     */
    static synchronized void prepareBridge() throws ReflectiveOperationException {
        if (bridgeDefined) return;
        instrumentation.redefineModule(Object.class.getModule(), Set.of(), Map.of(),
                Map.of("java.lang", Set.of(Agent.class.getModule())), Set.of(), Map.of());
        defineJavaLangBridge(MethodHandles.privateLookupIn(Object.class, MethodHandles.lookup()));
        bridgeDefined = true;
    }

    /**
     * Whether the agent was verified on this feature release: its {@code java.lang.ProcessImpl}
     * read (the class file, ProcessImpl_md.c, childproc.c, jspawnhelper) and its children
     * compared with the agent's by the differential test. What 17, 21 and 25 share, and the
     * agent relies on: the private native {@code int forkAndExec(int mode, byte[] helperpath,
     * byte[] prog, byte[] argBlock, int argc, byte[] envBlock, int envc, byte[] dir, int[] fds,
     * boolean redirectErrorStream)}, {@code (I[B[B[BI[BI[B[IZ)I}, called once, by invokevirtual,
     * from the one constructor ({@link ProcessImplRewriter}); POSIX_SPAWN through jspawnhelper as
     * Linux's default, VFORK and FORK on request (and then the agent stands aside); childproc.c's
     * PATH search (the JVM's PATH as ProcessImpl's class initialisation read it, ":/bin:/usr/bin"
     * without one, EACCES remembered; glibc execvp when the environment is inherited), its
     * /bin/sh retry on ENOEXEC, its chdir in the child and its closing of every fd from 3 up;
     * ProcessImpl_md.c's reaping, and its SIGCHLD set to SIG_DFL in the JVM when ProcessImpl
     * initialises. What differs, each read from the running JDK rather than assumed: the words
     * of a failure ({@link JdkMessages}: 17 says "error=2, No such file or directory", 21.0.13
     * and 25.0.3 "Exec failed, error: 2 (No such file or directory) "), the child's signal mask
     * (17 keeps the spawning thread's, with SIGQUIT blocked; JDK-8234262, JDK 20) and SIGPIPE
     * and SIGCHLD (set to SIG_DFL from 25.0.3, JDK-8364611); see {@link NativeSpawn#jdkChild}.
     * 18 to 20 and 22 to 24 (and 26) were never read, so they are refused, however alike.
     */
    static boolean verified(int feature) {
        return feature == 17 || feature == 21 || feature == 25;
    }

    /** @return why the agent must do nothing in this JVM, or null */
    static String refusal(String setting) {
        return refusal(setting, System.getProperty("jdk.lang.Process.launchMechanism"), Runtime.version());
    }

    /**
     * @param setting {@code -Dforkline.agent}
     * @param launchMechanism {@code -Djdk.lang.Process.launchMechanism}, or null
     * @param jdk the running JDK's version
     * @return why the agent must do nothing in such a JVM, or null
     */
    static String refusal(String setting, String launchMechanism, Runtime.Version jdk) {
        if (launchMechanism != null) {
            return "jdk.lang.Process.launchMechanism is set, so the JDK's own launcher is kept";
        }
        if (!verified(jdk.feature()) && !setting.equals("force")) {
            return "JDK " + jdk + " is not one this agent was verified on (" + AgentStatus.VERIFIED_ON
                    + "); -Dforkline.agent=force tries it anyway, rewriting only a ProcessImpl of the same shape";
        }
        return null;
    }

    /** Defines {@code java.lang.ForklineSpawnBridge} ({@link BridgeClass}) and points it at {@link ProcessImplBridge#forkAndExec}. */
    private static void defineJavaLangBridge(MethodHandles.Lookup javaLang) throws ReflectiveOperationException {
        Class<?> defined = javaLang.defineClass(BridgeClass.bytes());
        MethodHandle target = MethodHandles.lookup().findStatic(ProcessImplBridge.class, "forkAndExec",
                MethodType.fromMethodDescriptorString(ProcessImplRewriter.BRIDGE_DESCRIPTOR, null));
        javaLang.findStaticVarHandle(defined, "target", MethodHandle.class).setVolatile(target);
    }
}
