package io.forkline.cli;

import io.forkline.parallel.ParallelRunner;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Ctrl-C and termination for {@code forkline parallel}: the first SIGINT stops starting jobs and
 * lets the running ones finish; the second kills them (cgroup.kill where they have a cgroup). A
 * SIGTERM or SIGHUP kills them at once, as a scheduler stopping a pod or a lost terminal
 * expects; a SIGHUP that was ignored (nohup) stays ignored. Jobs run in process groups of their
 * own, so a Ctrl-C at the terminal reaches forkline alone and forkline decides what the jobs get.
 * The previous handlers come back when the run is over ({@link SignalHandlers}).
 */
final class ParallelSignals {
    private final SignalHandlers handlers = new SignalHandlers("forkline parallel");

    private ParallelSignals(ParallelRunner runner, Consumer<String> say) {
        AtomicInteger interrupts = new AtomicInteger();
        handlers.on("INT", () -> {
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
            handlers.on(name, () -> {
                say.accept("SIG" + name + ": killing the " + runner.progress().running() + " running jobs");
                runner.killRunning("interrupt");
            });
        }
    }

    static ParallelSignals install(ParallelRunner runner, Consumer<String> say) {
        return new ParallelSignals(runner, say);
    }

    void uninstall() {
        handlers.restore();
    }
}
