/**
 * The native side of forkline: the C shim ({@code src/main/c/forkline.c}) and its JNI bindings.
 * This is the only module that calls restricted methods; everything it offers goes through the
 * typed facade {@link io.forkline.sys.shim.Shim}, which is exported only to forkline's own modules.
 */
module io.forkline.sys {
    exports io.forkline.sys;
    exports io.forkline.sys.shim to io.forkline.launcher, io.forkline.cgroup, io.forkline.parallel, io.forkline.lab;
}
