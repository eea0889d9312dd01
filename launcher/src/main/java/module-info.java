/**
 * forkline's public API: {@link io.forkline.Launcher}, {@link io.forkline.Command},
 * {@link io.forkline.Child} and {@link io.forkline.Exit}.
 */
module io.forkline.launcher {
    requires transitive io.forkline.sys;
    requires transitive io.forkline.cgroup;
    requires io.forkline.concurrent;
    // static: a runtime without JFR (a jlink image may leave it out) still runs the launcher,
    // which then records no events (Launcher.JFR_PRESENT)
    requires static jdk.jfr;

    exports io.forkline;
}
