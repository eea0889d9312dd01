/**
 * {@code forkline lab}: each seed's experiment reproduced on the real kernel, with forkline's
 * answer measured beside it, a verdict per claim, and a self-contained HTML report. See
 * {@link io.forkline.lab.Lab}.
 */
module io.forkline.lab {
    requires transitive io.forkline.launcher;
    requires io.forkline.concurrent;
    requires java.desktop;
    requires java.management;
    requires org.knowm.xchart;

    exports io.forkline.lab;
}
