/*
 * forkline.h: the ABI between the native shim (forkline.c) and its Java bindings
 * (io.forkline.sys.Shim). Java checks FL_ABI_VERSION, the struct sizes and key offsets
 * through fl_layout() when it loads the library, so a mismatch fails loudly at load time.
 */
#ifndef FORKLINE_H
#define FORKLINE_H

#include <stdint.h>

#define FL_API __attribute__((visibility("default")))

/* Bump whenever a struct below or a function signature changes. */
#define FL_ABI_VERSION 8

/* Make the child's fd `target` refer to what the parent's fd `source` refers to.
 * source == target keeps an inherited fd and clears its close-on-exec flag. */
struct fl_fd_map {
    int32_t source;
    int32_t target;
};

struct fl_rlimit {
    int32_t resource;
    int32_t reserved;
    uint64_t soft;
    uint64_t hard;
};

enum fl_spawn_flags {
    FL_SETSID = 1 << 0,            /* new session (and so a new process group) */
    FL_SETPGID = 1 << 1,           /* setpgid(0, pgid); pgid 0 makes the child a group leader */
    FL_UMASK = 1 << 2,             /* apply `umask` */
    FL_INTO_CGROUP = 1 << 3,       /* clone3 CLONE_INTO_CGROUP with `cgroup_fd` */
    FL_FORCE_POSIX_SPAWN = 1 << 4, /* the C library's posix_spawn (posixspawn.c), not clone3 */
    FL_SHARE_FD_TABLE = 1 << 5,    /* CLONE_FILES, then close_range(unshare_below, ~0, UNSHARE) */
    /* The rest are the JDK's exec semantics, for the drop-in agent (jdkspawn.c). The library
     * resolves argv[0] in Java and reports ENOEXEC as it is. */
    FL_SEARCH_PATH = 1 << 6,       /* `path` is a bare name: try it in each entry of `search_path` */
    FL_SEARCH_AS_JDK = 1 << 7,     /* childproc.c's rules: an empty entry is "./", ELOOP goes on;
                                    * without it glibc execvp's: the bare name, ELOOP stops */
    FL_SHELL_FALLBACK = 1 << 8,    /* ENOEXEC: run the file with /bin/sh; argv[-1] must be writable */
    FL_EMPTY_SIGMASK = 1 << 9,     /* exec with no signal blocked, not with the caller's mask */
    FL_IGNORE_LIBC_SIGNALS = 1 << 10, /* exec with glibc's internal signals 32 and 33 ignored: what
                                       * glibc's posix_spawn leaves, and so the JDK's children */
    FL_DEFAULT_PIPE_CHLD = 1 << 11, /* exec with SIGPIPE and SIGCHLD at SIG_DFL, even where the caller
                                     * ignores them: forkline's own children */
    FL_DEFAULT_PIPE = 1 << 12,      /* exec with SIGPIPE at SIG_DFL, SIGCHLD as the caller has it: the
                                     * JDK's children since JDK-8364611 (25.0.3), which resets SIGPIPE
                                     * alone (seen on Temurin 25.0.3: a JVM ignoring SIGCHLD starts
                                     * children that ignore it) */
};

struct fl_spawn_request {
    const char *path;      /* what to execve: PATH lookup is done by Java */
    char *const *argv;     /* NULL-terminated */
    char *const *envp;     /* NULL-terminated, or NULL for the parent's environ */
    const char *cwd;       /* NULL: inherit */
    struct fl_fd_map *fds; /* the child may rewrite `source` of these entries (see fd shuffle) */
    const int32_t *keep;   /* sorted targets >= 3 that close_range must spare */
    const struct fl_rlimit *rlimits;
    int32_t nfds;
    int32_t nkeep;
    int32_t nrlimits;
    int32_t flags;
    int32_t pgid;
    int32_t pdeathsig;
    int32_t umask;
    int32_t cgroup_fd;
    int32_t unshare_below; /* with FL_SHARE_FD_TABLE: every fd the child needs is below this */
    int32_t njoin_cgroups;
    /* Open, writable cgroup.procs files (v1 hierarchies on hybrid hosts) that the child joins
     * by writing "0" to each, before any other step. */
    const int32_t *join_cgroup_fds;
    /* With FL_SEARCH_PATH: a PATH value, entries separated by ':'. */
    const char *search_path;
};

/* Which step failed. Java maps each to the syscall it names. */
enum fl_step {
    FL_STEP_NONE = 0,
    FL_STEP_CLONE = 1,
    FL_STEP_SETSID = 2,
    FL_STEP_SETPGID = 3,
    FL_STEP_PDEATHSIG = 4,
    FL_STEP_DUP = 5,
    FL_STEP_CLOSE_RANGE = 6,
    FL_STEP_CHDIR = 7,
    FL_STEP_RLIMIT = 8,
    FL_STEP_SIGMASK = 9,
    FL_STEP_EXEC = 10,
    FL_STEP_STACK = 11,
    FL_STEP_POSIX_SPAWN = 12,
    FL_STEP_PIDFD_OPEN = 13,
    FL_STEP_UNSUPPORTED = 14,
    FL_STEP_JOIN_CGROUP = 15, /* result.detail is the index into join_cgroup_fds */
    FL_STEP_KILLED_AT_BIRTH = 16, /* the child died before its first instruction (SIGKILL) */
};

/* fl_spawn_result.detail with FL_STEP_UNSUPPORTED or FL_STEP_POSIX_SPAWN from posix_spawn. */
enum fl_posix_spawn_detail {
    FL_POSIX_SPAWN_NO_CHDIR = 1, /* a cwd, and no posix_spawn_file_actions_addchdir_np */
    FL_POSIX_SPAWN_NO_LIBC = 2,  /* the C library's posix_spawn functions were not found */
};

enum fl_method {
    FL_METHOD_CLONE3 = 0,      /* clone3 with CLONE_CLEAR_SIGHAND (and CLONE_INTO_CGROUP) */
    FL_METHOD_POSIX_SPAWN = 1, /* the C library's posix_spawn + pidfd_open (posixspawn.c) */
    FL_METHOD_CLONE = 2,       /* legacy clone(2), handlers reset in the child */
};

struct fl_spawn_result {
    int32_t pid;
    int32_t pidfd;
    int32_t err;  /* positive errno, 0 on success */
    int32_t step; /* enum fl_step */
    int32_t method; /* enum fl_method: how the child was started */
    int32_t detail; /* with FL_STEP_JOIN_CGROUP: which join fd failed; otherwise 0 */
};

struct fl_exit {
    int32_t pid;
    int32_t code;   /* si_code: CLD_EXITED, CLD_KILLED or CLD_DUMPED */
    int32_t status; /* exit status, or the signal number */
    int32_t reserved;
    int64_t utime_us;
    int64_t stime_us;
    int64_t maxrss_kb;
};


enum fl_layout_item {
    FL_LAYOUT_ABI_VERSION = 0,
    FL_LAYOUT_REQUEST_SIZE,
    FL_LAYOUT_RESULT_SIZE,
    FL_LAYOUT_EXIT_SIZE,
    FL_LAYOUT_FD_MAP_SIZE,
    FL_LAYOUT_RLIMIT_SIZE,
    FL_LAYOUT_REQUEST_CGROUP_FD,
    FL_LAYOUT_EXIT_MAXRSS,
    FL_LAYOUT_REQUEST_UNSHARE_BELOW,
    FL_LAYOUT_REQUEST_JOIN_CGROUP_FDS,
    FL_LAYOUT_REQUEST_SEARCH_PATH,
    FL_LAYOUT_O_DIRECTORY, /* the value of O_DIRECTORY here (it differs on aarch64) */
    FL_LAYOUT_O_NOFOLLOW,
};

enum fl_counter {
    FL_COUNTER_STACKS_LENT = 0,   /* child stacks in use by a spawn now: 0 when none runs */
    FL_COUNTER_FALLBACKS = 1,     /* spawns that took the legacy clone(2) */
    FL_COUNTER_CLONE3_USABLE = 2,
    FL_COUNTER_STACKS_MAPPED = 3, /* stacks the pool holds: the most spawns ever at once, <= 64 */
};

FL_API int fl_init(char **const *environ_address);
FL_API int fl_spawn(const struct fl_spawn_request *request, struct fl_spawn_result *result);
FL_API int fl_posix_spawn(const struct fl_spawn_request *request, struct fl_spawn_result *result);
FL_API int fl_reap(int32_t pidfd, struct fl_exit *out);
FL_API int fl_wait_pid(int32_t pid);
FL_API int fl_pidfd_open(int32_t pid);
FL_API int fl_pidfd_signal(int32_t pidfd, int32_t sig, int32_t whole_group);
FL_API int fl_pipe(int32_t *fds);
FL_API int fl_set_nonblocking(int32_t fd);
FL_API int fl_open(const char *path, int32_t flags, int32_t mode);
FL_API int fl_close(int32_t fd);
FL_API long fl_read(int32_t fd, void *buf, int64_t len);
FL_API long fl_write(int32_t fd, const void *buf, int64_t len);
FL_API int fl_epoll_create(void);
FL_API int fl_epoll_ctl(int32_t epfd, int32_t op, int32_t fd, uint32_t events, uint64_t token);
FL_API int fl_epoll_wait(int32_t epfd, uint64_t *tokens, uint32_t *events, int32_t max, int32_t timeout_ms);
FL_API int fl_eventfd(void);
FL_API int fl_dup(int32_t fd);
FL_API int fl_dup3(int32_t fd, int32_t target);
FL_API int fl_poll_readable(int32_t fd, int32_t timeout_ms);
FL_API int fl_set_lease(int32_t fd, int32_t type);
FL_API int64_t fl_layout(int32_t item);
FL_API int64_t fl_counter(int32_t which);
FL_API void fl_errno_text(int32_t err, char *name, int32_t name_len, char *text, int32_t text_len);

/* Inside the library only: the environment a request without envp inherits (fl_init's). */
char *const *fl_current_environ(void);

#endif
