package io.forkline.concurrent;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Runs test tasks on threads of their own. The common pool has parallelism 1 on a 2-core machine,
 * so a task blocked on a lock there would hold up every later task.
 */
final class Threads {
    private Threads() {}

    static CompletableFuture<Void> run(Runnable task) {
        return supply(() -> {
            task.run();
            return null;
        });
    }

    static <T> CompletableFuture<T> supply(Supplier<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                result.complete(task.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }
}
