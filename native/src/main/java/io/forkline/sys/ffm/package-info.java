/**
 * FFM bindings to the C shim, for forkline's own modules only. {@code NativeLibrary}
 * loads the library and is the one class that makes restricted calls; typed facades
 * ({@link io.forkline.sys.ffm.Shim} for processes, fds and epoll) hold the downcall handles and
 * turn every {@code -errno} into a typed exception through {@link io.forkline.sys.ffm.Errors}.
 */
package io.forkline.sys.ffm;
