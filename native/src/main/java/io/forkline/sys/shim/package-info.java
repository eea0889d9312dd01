/**
 * JNI bindings to the C shim, for forkline's own modules only. {@code NativeLibrary} loads the
 * library and is the one class that makes a restricted call; {@code Natives} declares its native
 * methods; typed facades ({@link io.forkline.sys.shim.Shim} for processes, fds and epoll,
 * {@link io.forkline.sys.shim.Fs} for files under directory fds) call them and turn every
 * {@code -errno} into a typed exception through {@link io.forkline.sys.shim.Errors}.
 */
package io.forkline.sys.shim;
