/**
 * Concurrency primitives that each replace one global lock from forkline's seeds with a design that
 * scales, plus the baselines they are measured against.
 *
 * <ul>
 *   <li>{@link io.forkline.concurrent.XorLock}: group mutual exclusion of two kinds (seed 002, Go's
 *       either-or ForkLock).
 *   <li>{@link io.forkline.concurrent.PerCpuRwLock}: striped reader counts with a writer flag (seeds
 *       000/001, Linux {@code kernel/locking/percpu-rwsem.c}).
 *   <li>{@link io.forkline.concurrent.BravoRwLock}: per-object reader bias over one shared reader
 *       table (BRAVO, Dice and Kogan, USENIX ATC 2019).
 *   <li>{@link io.forkline.concurrent.RangeIdAllocator}: per-stripe id ranges with deferred reuse
 *       (seed 003, Guzik's pidmap_lock sketch); baseline {@link
 *       io.forkline.concurrent.LockedCyclicIdAllocator}.
 *   <li>{@link io.forkline.concurrent.ReplenishingPool}: pre-provisioned objects with delayed refill
 *       (seed 004, Yi Tao's cgroup pool); baseline {@link io.forkline.concurrent.LockedOnDemandPool}.
 * </ul>
 *
 * <h2>Memory-ordering vocabulary</h2>
 *
 * Field accessors carry a prefix that names the access mode, in the style of JCTools'
 * {@code queues/package-info.java}, so that the ordering a line relies on is visible where it is
 * used:
 *
 * <ul>
 *   <li>{@code lv}: load volatile ({@code getVolatile}), sequentially consistent.
 *   <li>{@code la}: load acquire ({@code getAcquire}): later accesses are not moved before it.
 *   <li>{@code lp}: load plain: no ordering; only used where a stale value is harmless or the
 *       field is guarded by a lock, and every such use says which.
 *   <li>{@code sv}: store volatile ({@code setVolatile}), sequentially consistent; needed for the
 *       Dekker-style "store my flag, then load yours" handshakes.
 *   <li>{@code so}: store ordered ({@code setRelease}): earlier accesses are not moved after it;
 *       used to publish an object or to leave a critical section.
 *   <li>{@code sp}: store plain: no ordering; only under a lock or before publication.
 *   <li>{@code cas}: compare-and-set, volatile semantics.
 *   <li>{@code gaa}: get-and-add, volatile semantics (a full fence on x86: {@code lock xadd}).
 * </ul>
 *
 * Hot fields that different threads write are padded onto their own cache lines (128 bytes, to
 * also defeat the adjacent-line prefetcher); each padding says which field it protects and from
 * whom.
 */
package io.forkline.concurrent;
