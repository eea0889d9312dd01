/**
 * Start processes on Linux at container scale.
 *
 * <p>A {@link io.forkline.Launcher} spawns each {@link io.forkline.Command} with clone3
 * (CLONE_VM|CLONE_VFORK|CLONE_PIDFD), so the cost of a spawn does not grow with the heap, and no
 * global lock is held while it does. One reaper thread waits on every child's pidfd and every
 * output pipe with epoll; there is no thread per child and no thread per stream. A
 * {@link io.forkline.Child} is signalled through its pidfd, so a recycled pid is never hit, and
 * {@link io.forkline.Child#toProcess()} adapts it to {@link java.lang.Process} for existing code.
 */
package io.forkline;
