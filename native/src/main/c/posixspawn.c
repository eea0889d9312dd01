/*
 * posixspawn.c: a spawn through the C library's own posix_spawn, for Command.usePosixSpawn() and
 * as the last resort when a seccomp filter refuses both clone3 and clone.
 *
 * Why the C library's, from a library that links none
 * ----------------------------------------------------
 * Whoever asks for posix_spawn asks for the C library's behaviour (glibc's or musl's, whichever
 * the JVM runs on), not for forkline's idea of it. The shim links no C library (sys.h), so its
 * functions are found as the dynamic linker would find them (libcsym.c, each in its default
 * symbol version: glibc 2.2.5's posix_spawn also tries /bin/sh on ENOEXEC, 2.15's does not) and
 * called through pointers. They are looked up once, at the first such spawn; a JVM that never
 * takes this path reads nothing.
 *
 * What it cannot do
 * -----------------
 * posix_spawn cannot express rlimits, a umask, a parent-death signal, a cgroup or the drop-in
 * agent's exec semantics; a request that asks for one fails with ENOTSUP (FL_STEP_UNSUPPORTED)
 * rather than having it silently dropped. A cwd needs posix_spawn_file_actions_addchdir_np
 * (glibc 2.29, musl 1.1.24); without it a cwd is refused the same way, with detail
 * FL_POSIX_SPAWN_NO_CHDIR. The fd layout is the clone3 child's (sources that are also targets
 * are parked above every fd first), expressed as file actions. The child gets a pidfd with
 * pidfd_open right after: nobody but the caller reaps it, so its pid cannot be recycled in
 * between.
 */
#include "forkline.h"
#include "libcsym.h"
#include "sys.h"

/* POSIX_SPAWN_*: the same values in glibc and musl. */
#define SPAWN_SETPGROUP 0x02
#define SPAWN_SETSIGDEF 0x04
#define SPAWN_SETSIGMASK 0x08
#define SPAWN_SETSID 0x80
/* Room for posix_spawn_file_actions_t and posix_spawnattr_t (80 and 336 bytes in glibc and musl
 * on 64-bit hosts) and for a sigset_t (128 bytes), with a margin. */
#define OPAQUE_BYTES 1024
#define SIGSET_BYTES 256

typedef int (*actions_fn)(void *actions);
typedef int (*add_dup2_fn)(void *actions, int fd, int target);
typedef int (*add_close_fn)(void *actions, int fd);
typedef int (*add_chdir_fn)(void *actions, const char *path);
typedef int (*attr_fn)(void *attr);
typedef int (*set_flags_fn)(void *attr, short flags);
typedef int (*set_pgroup_fn)(void *attr, int pgid);
typedef int (*set_sigset_fn)(void *attr, const void *set);
typedef int (*sigfillset_fn)(void *set);
typedef int (*sigmask_fn)(int how, const void *set, void *old);
typedef int (*spawn_fn)(int *pid, const char *path, const void *actions, const void *attr, char *const *argv,
                        char *const *envp);

enum libc_function {
    ACTIONS_INIT,
    ACTIONS_DESTROY,
    ADD_DUP2,
    ADD_CLOSE,
    ATTR_INIT,
    ATTR_DESTROY,
    SET_FLAGS,
    SET_PGROUP,
    SET_SIGDEFAULT,
    SET_SIGMASK,
    SIGFILLSET,
    PTHREAD_SIGMASK,
    SPAWN,
    REQUIRED_FUNCTIONS,
    ADD_CHDIR = REQUIRED_FUNCTIONS, /* glibc 2.29, musl 1.1.24 */
    ADD_CLOSEFROM,                  /* glibc 2.34 */
    ALL_FUNCTIONS,
};

static const char *const function_names[ALL_FUNCTIONS] = {
    "posix_spawn_file_actions_init", "posix_spawn_file_actions_destroy", "posix_spawn_file_actions_adddup2",
    "posix_spawn_file_actions_addclose", "posix_spawnattr_init", "posix_spawnattr_destroy",
    "posix_spawnattr_setflags", "posix_spawnattr_setpgroup", "posix_spawnattr_setsigdefault",
    "posix_spawnattr_setsigmask", "sigfillset", "pthread_sigmask", "posix_spawn",
    "posix_spawn_file_actions_addchdir_np", "posix_spawn_file_actions_addclosefrom_np",
};

static uintptr_t functions[ALL_FUNCTIONS];
/* 0: not looked up yet, 1: every required function found, -1: some missing. */
static int functions_state;

static int find_functions(void)
{
    int state = __atomic_load_n(&functions_state, __ATOMIC_ACQUIRE);
    if (state != 0)
        return state;
    uintptr_t found[ALL_FUNCTIONS];
    if (fl_libc_symbols(function_names, found, ALL_FUNCTIONS) < 0)
        return -1; /* no memory to read the maps: try again next time */
    state = 1;
    for (int i = 0; i < REQUIRED_FUNCTIONS; i++)
        if (found[i] == 0)
            state = -1;
    /* Racing threads find the same addresses; the release store publishes them. */
    for (int i = 0; i < ALL_FUNCTIONS; i++)
        __atomic_store_n(&functions[i], found[i], __ATOMIC_RELAXED);
    __atomic_store_n(&functions_state, state, __ATOMIC_RELEASE);
    return state;
}

#define CALL(type, which) ((type)functions[which])

static int fail(struct fl_spawn_result *res, int err, int32_t step, int32_t detail)
{
    res->pid = -1;
    res->pidfd = -1;
    res->err = err;
    res->step = step;
    res->detail = detail;
    return -err;
}

static int parked(const struct fl_fd_map *m, int32_t highest_target)
{
    return m->source != m->target && m->source <= highest_target;
}

/* The clone3 child's two-pass fd shuffle (child_map_fds in forkline.c) as file actions. */
static int add_file_actions(void *actions, const struct fl_spawn_request *r)
{
    int32_t highest_target = 2, highest_fd = 2;
    for (int32_t i = 0; i < r->nfds; i++) {
        if (r->fds[i].target > highest_target)
            highest_target = r->fds[i].target;
        if (r->fds[i].source > highest_fd)
            highest_fd = r->fds[i].source;
    }
    if (highest_target > highest_fd)
        highest_fd = highest_target;
    /* Scratch fds above every source and target, so that parking one clobbers nothing still needed. */
    int spare = highest_fd + 1;
    int rc;
    for (int32_t i = 0; i < r->nfds; i++)
        if (parked(&r->fds[i], highest_target)
            && (rc = CALL(add_dup2_fn, ADD_DUP2)(actions, r->fds[i].source, spare + i)) != 0)
            return rc;
    for (int32_t i = 0; i < r->nfds; i++) {
        int source = parked(&r->fds[i], highest_target) ? spare + i : r->fds[i].source;
        /* glibc 2.29 and later, and musl, clear FD_CLOEXEC when source == target. */
        if ((rc = CALL(add_dup2_fn, ADD_DUP2)(actions, source, r->fds[i].target)) != 0)
            return rc;
    }
    /* With no fd to keep above 2, closefrom(3) also closes the parked copies. Otherwise only the
     * parked copies are closed: everything forkline opens is close-on-exec anyway. */
    if (r->nkeep == 0 && functions[ADD_CLOSEFROM] != 0) {
        if ((rc = CALL(add_close_fn, ADD_CLOSEFROM)(actions, 3)) != 0)
            return rc;
    } else {
        for (int32_t i = 0; i < r->nfds; i++)
            if (parked(&r->fds[i], highest_target)
                && (rc = CALL(add_close_fn, ADD_CLOSE)(actions, spare + i)) != 0)
                return rc;
    }
    if (r->cwd != NULL && (rc = CALL(add_chdir_fn, ADD_CHDIR)(actions, r->cwd)) != 0)
        return rc;
    return 0;
}

/* Every signal back to its default, the caller's mask, and the session or group asked for. */
static int set_attributes(void *attr, const struct fl_spawn_request *r)
{
    short flags = SPAWN_SETSIGDEF | SPAWN_SETSIGMASK;
    int rc;
    if (r->flags & FL_SETSID) {
        flags |= SPAWN_SETSID;
    } else if (r->flags & FL_SETPGID) {
        flags |= SPAWN_SETPGROUP;
        if ((rc = CALL(set_pgroup_fn, SET_PGROUP)(attr, r->pgid)) != 0)
            return rc;
    }
    uint64_t all[SIGSET_BYTES / 8], mask[SIGSET_BYTES / 8];
    if ((rc = CALL(sigfillset_fn, SIGFILLSET)(all)) != 0 || (rc = CALL(sigmask_fn, PTHREAD_SIGMASK)(2, NULL, mask)) != 0
        || (rc = CALL(set_sigset_fn, SET_SIGDEFAULT)(attr, all)) != 0
        || (rc = CALL(set_sigset_fn, SET_SIGMASK)(attr, mask)) != 0
        || (rc = CALL(set_flags_fn, SET_FLAGS)(attr, flags)) != 0)
        return rc < 0 ? EINVAL : rc; /* sigfillset says -1 for a bad set, which cannot be here */
    return 0;
}

FL_API int fl_posix_spawn(const struct fl_spawn_request *r, struct fl_spawn_result *res)
{
    res->method = FL_METHOD_POSIX_SPAWN;
    if (r->nrlimits > 0 || (r->flags & (FL_UMASK | FL_INTO_CGROUP | FL_SEARCH_PATH | FL_SHELL_FALLBACK)) != 0
        || r->pdeathsig != 0 || r->njoin_cgroups > 0)
        return fail(res, ENOTSUP, FL_STEP_UNSUPPORTED, 0);
    if (find_functions() < 0)
        return fail(res, ENOSYS, FL_STEP_POSIX_SPAWN, FL_POSIX_SPAWN_NO_LIBC);
    if (r->cwd != NULL && functions[ADD_CHDIR] == 0)
        return fail(res, ENOTSUP, FL_STEP_UNSUPPORTED, FL_POSIX_SPAWN_NO_CHDIR);

    uint64_t actions[OPAQUE_BYTES / 8], attr[OPAQUE_BYTES / 8];
    int rc = CALL(actions_fn, ACTIONS_INIT)(actions);
    if (rc != 0)
        return fail(res, rc, FL_STEP_POSIX_SPAWN, 0);
    rc = CALL(attr_fn, ATTR_INIT)(attr);
    if (rc != 0) {
        CALL(actions_fn, ACTIONS_DESTROY)(actions);
        return fail(res, rc, FL_STEP_POSIX_SPAWN, 0);
    }
    int pid = -1;
    if ((rc = add_file_actions(actions, r)) == 0 && (rc = set_attributes(attr, r)) == 0) {
        char *const *envp = r->envp != NULL ? r->envp : fl_current_environ();
        rc = CALL(spawn_fn, SPAWN)(&pid, r->path, actions, attr, r->argv, envp);
    }
    CALL(attr_fn, ATTR_DESTROY)(attr);
    CALL(actions_fn, ACTIONS_DESTROY)(actions);
    if (rc != 0)
        return fail(res, rc, FL_STEP_POSIX_SPAWN, 0);

    int pidfd = fl_pidfd_open(pid);
    if (pidfd < 0) {
        fl_wait_pid(pid); /* no zombie for a child we cannot track */
        return fail(res, -pidfd, FL_STEP_PIDFD_OPEN, 0);
    }
    res->pid = pid;
    res->pidfd = pidfd;
    res->err = 0;
    res->step = FL_STEP_NONE;
    res->detail = 0;
    return 0;
}
