/**
 * Errors from the kernel, as forkline's public API reports them: {@link io.forkline.sys.SyscallException}
 * names the system call, the errno (symbol and text) and the path involved.
 */
package io.forkline.sys;
