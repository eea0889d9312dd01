package io.forkline.sys.shim;

/** The steps of a spawn as {@code enum fl_step} in forkline.h numbers them, and the syscall each names. */
public final class SpawnStep {
    private static final String[] SYSCALLS = {
        "spawn", "clone3", "setsid", "setpgid", "prctl(PR_SET_PDEATHSIG)", "dup3", "close_range", "chdir",
        "prlimit64", "rt_sigprocmask", "execve", "mmap(child stack)", "posix_spawn", "pidfd_open", "posix_spawn",
        "write(cgroup.procs)", "clone3",
    };
    private static final int CHDIR = 7;
    private static final int EXEC = 10;
    private static final int POSIX_SPAWN = 12;
    static final int UNSUPPORTED = 14;
    private static final int JOIN_CGROUP = 15;
    private static final int KILLED_AT_BIRTH = 16;

    /** Why a child born into a cgroup can die before it runs; the launcher repeats it when it names the group. */
    public static final String KILLED_AT_BIRTH_TEXT = "the child was SIGKILLed before it ran: its cgroup was killed "
            + "(cgroup.kill), and this kernel kills every child later born into such a group (some builds do, "
            + "some do not: CgroupRoot.birthAfterKill() probes it)";

    private SpawnStep() {}

    static String syscall(int step) {
        return step >= 0 && step < SYSCALLS.length ? SYSCALLS[step] : "spawn(step " + step + ")";
    }

    static String path(int step, int detail, SpawnSpec spec) {
        return switch (step) {
            case CHDIR -> spec.cwd();
            case EXEC, POSIX_SPAWN -> spec.path();
            case JOIN_CGROUP -> detail >= 0 && detail < spec.joinCgroups().size()
                    ? spec.joinCgroups().get(detail).procsPath() : null;
            default -> null;
        };
    }

    /** {@code enum fl_posix_spawn_detail}. */
    private static final int NO_CHDIR = 1;
    private static final int NO_LIBC = 2;

    static String detail(int step, int detail) {
        if (step == KILLED_AT_BIRTH) return KILLED_AT_BIRTH_TEXT;
        if (detail == NO_CHDIR && step == UNSUPPORTED) {
            return "this C library's posix_spawn cannot change the working directory (no posix_spawn_file_actions_addchdir_np)";
        }
        if (detail == NO_LIBC && step == POSIX_SPAWN) return "the C library's posix_spawn functions were not found in this process";
        return step == UNSUPPORTED
                ? "posix_spawn (asked for, or the fallback when clone3 and clone are refused) cannot apply "
                        + "rlimits, a umask, a parent-death signal or a cgroup"
                : null;
    }
}
