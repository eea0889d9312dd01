/**
 * forkline's public API: {@link io.forkline.Launcher}, {@link io.forkline.Command},
 * {@link io.forkline.Child} and {@link io.forkline.Exit}.
 */
module io.forkline.launcher {
    requires transitive io.forkline.sys;
    requires transitive io.forkline.cgroup;
    requires io.forkline.concurrent;
    requires jdk.jfr;

    exports io.forkline;
}
