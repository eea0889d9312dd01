/**
 * Dependency-free concurrency primitives from forkline's seeds, each shipped with the baseline it
 * replaces so that users can measure the difference: see {@link io.forkline.concurrent}.
 */
module io.forkline.concurrent {
    exports io.forkline.concurrent;
}
