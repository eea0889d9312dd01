package io.forkline.cgroup;

/** Which cgroup hierarchy a controller, limit or stat went through. */
public enum Hierarchy {
    /** The unified hierarchy (cgroup2): forkline's main path. */
    V2,
    /** A legacy per-controller hierarchy, used on hybrid hosts for controllers bound there. */
    V1
}
