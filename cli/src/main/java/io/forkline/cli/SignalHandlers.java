package io.forkline.cli;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Handlers of POSIX signals for the CLI's long-running commands ({@code parallel}, {@code lab}),
 * and the previous handlers back when the command is over.
 *
 * <p>The JDK's only way to handle a signal is {@code sun.misc.Signal} (module jdk.unsupported).
 * It is reached through method handles, because javac flags every mention of it as internal
 * API with a warning that cannot be suppressed, and the build treats warnings as errors.
 */
final class SignalHandlers {
    private static final MethodHandle NEW_SIGNAL;
    private static final MethodHandle HANDLE;
    private static final Class<?> HANDLER;
    private static final Object SIG_IGN;

    static {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            HANDLER = Class.forName("sun.misc.SignalHandler");
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            NEW_SIGNAL = lookup.findConstructor(signal, MethodType.methodType(void.class, String.class));
            HANDLE = lookup.findStatic(signal, "handle", MethodType.methodType(HANDLER, signal, HANDLER));
            SIG_IGN = HANDLER.getField("SIG_IGN").get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Each signal with the handler it had before. */
    private final List<Object[]> previous = new ArrayList<>();
    private final String owner;

    /** @param owner who handles them, for the handlers' toString */
    SignalHandlers(String owner) {
        this.owner = owner;
    }

    /**
     * Runs {@code action} on each {@code SIG<name>}, on the JDK's signal thread. A SIGHUP that was
     * ignored (nohup) stays ignored.
     */
    SignalHandlers on(String name, Runnable action) {
        Object handler = Proxy.newProxyInstance(HANDLER.getClassLoader(), new Class<?>[] {HANDLER}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "handle" -> action.run();
                case "hashCode" -> { return System.identityHashCode(proxy); }
                case "equals" -> { return proxy == args[0]; }
                case "toString" -> { return owner + "'s SIG" + name + " handler"; }
                default -> { }
            }
            return null;
        });
        Object signal = newSignal(name);
        Object before = handle(signal, handler);
        if (before == SIG_IGN && name.equals("HUP")) handle(signal, SIG_IGN);
        previous.add(new Object[] {signal, before});
        return this;
    }

    /** Puts back the handlers these replaced. */
    void restore() {
        for (Object[] p : previous) handle(p[0], p[1]);
        previous.clear();
    }

    private static Object newSignal(String name) {
        try {
            return NEW_SIGNAL.invoke(name);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot name signal SIG" + name, e);
        }
    }

    private static Object handle(Object signal, Object handler) {
        try {
            return HANDLE.invoke(signal, handler);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot handle " + signal, e);
        }
    }
}
