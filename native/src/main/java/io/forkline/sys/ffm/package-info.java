/**
 * FFM bindings to the C shim, for forkline's own modules only. {@link io.forkline.sys.ffm.Shim} is
 * the single facade: it holds every downcall handle, is the one place that suppresses the
 * {@code restricted} warning, and turns every {@code -errno} into a typed exception through
 * {@link io.forkline.sys.ffm.Errors}.
 */
package io.forkline.sys.ffm;
