/*
 * harness.c: drives libforkline.so through its exported C functions, from a process whose C
 * library and architecture the Java tests cannot run in: musl (Alpine), an older glibc, and
 * aarch64 (inside a qemu VM, where this program is PID 1).
 *
 * Why a C program: the shim links no C library (build.sh enforces it), so whether it works under
 * another libc or on another architecture is a question of the process it is loaded into and of
 * the kernel it calls, not of Java. The JVM cannot be had in those places here (there is no musl
 * or aarch64 JDK on the machine), but a C program built with musl-gcc, against an old glibc's
 * sysroot or with the aarch64 cross compiler can, and it dlopens the very library the jar carries.
 *
 *     harness LIBRARY REPORT     runs every case, writes a JUnit XML report to REPORT ("-" for
 *                                stdout), exits 0 when every case passed or was skipped, 1 if not
 *     harness (as PID 1)         the VM's init: mounts /proc, /dev, /sys and cgroup2, runs the cases against
 *                                /lib/libforkline.so, prints the report on the console between
 *                                marker lines, and powers the VM off
 *
 * The children it spawns are this program again, in one of its --child-* modes (below), so the
 * VM needs no shell. The report is what the VM tier replays (vmtest's JUnitXml), one test case
 * per case here.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include "forkline.h"

extern char **environ;

#define REPORT_BEGIN "----- forkline-harness report begin -----"
#define REPORT_END "----- forkline-harness report end -----"
#define MAX_CASES 32
#define CHILD_TIMEOUT_MS 30000
#define STRESS_THREADS 4
#define STRESS_SPAWNS 50

/* ------------------------------------------------------------------------------------------ */
/* The child side: what the spawned copies of this program do.                                 */

static void write_all(int fd, const char *text)
{
    size_t left = strlen(text);
    while (left > 0) {
        ssize_t n = write(fd, text, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(120);
        text += n;
        left -= (size_t)n;
    }
}

static int child_main(int argc, char **argv)
{
    const char *mode = argv[1];
    char line[4096];
    if (strcmp(mode, "--child-print") == 0 && argc == 4) { /* TEXT EXIT_CODE */
        write_all(1, argv[2]);
        return atoi(argv[3]);
    }
    if (strcmp(mode, "--child-env") == 0 && argc == 3) { /* NAME */
        const char *value = getenv(argv[2]);
        write_all(1, value ? value : "(unset)");
        return 0;
    }
    if (strcmp(mode, "--child-fds") == 0) { /* the open fds above 2, written to fd 5 */
        line[0] = '\0';
        for (int fd = 3; fd < 1024; fd++) {
            if (fcntl(fd, F_GETFD) >= 0) {
                size_t used = strlen(line);
                snprintf(line + used, sizeof line - used, "%s%d", used ? " " : "", fd);
            }
        }
        write_all(5, line);
        return 0;
    }
    if (strcmp(mode, "--child-cwd") == 0) {
        if (getcwd(line, sizeof line) == NULL)
            return 121;
        write_all(1, line);
        return 0;
    }
    if (strcmp(mode, "--child-nofile") == 0) {
        struct rlimit limit;
        if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
            return 121;
        snprintf(line, sizeof line, "%llu %llu", (unsigned long long)limit.rlim_cur, (unsigned long long)limit.rlim_max);
        write_all(1, line);
        return 0;
    }
    if (strcmp(mode, "--child-cgroup") == 0) {
        int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 121;
        ssize_t n = read(fd, line, sizeof line - 1);
        close(fd);
        if (n < 0)
            return 121;
        line[n] = '\0';
        write_all(1, line);
        return 0;
    }
    fprintf(stderr, "harness: unknown child mode %s\n", mode);
    return 122;
}

/* ------------------------------------------------------------------------------------------ */
/* The library, reached through dlsym, its C functions called as its JNI entry calls them.    */

static struct {
    int (*init)(char **const *environ_address);
    int (*spawn)(const struct fl_spawn_request *, struct fl_spawn_result *);
    int (*reap)(int32_t, struct fl_exit *);
    int (*pipe)(int32_t *);
    int (*close)(int32_t);
    long (*read)(int32_t, void *, int64_t);
    int (*poll_readable)(int32_t, int32_t);
    int64_t (*layout)(int32_t);
    int64_t (*counter)(int32_t);
    void (*errno_text)(int32_t, char *, int32_t, char *, int32_t);
    uintptr_t (*libc_symbol)(const char *);
} fl;

static const char *library_path;
static const char *self_path; /* this program, which every child runs */
static char failure[8192];     /* the current case's failure message, empty while it passes */
static char skip_reason[8192]; /* why it was skipped, empty while it runs */

static void failf(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *format, ...)
{
    if (failure[0] != '\0')
        return; /* the first failure is the one to read */
    va_list args;
    va_start(args, format);
    vsnprintf(failure, sizeof failure, format, args);
    va_end(args);
}

#define CHECK(condition, ...)                                                                  \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            failf(__VA_ARGS__);                                                                \
            return;                                                                            \
        }                                                                                      \
    } while (0)

static const char *step_name(int step)
{
    static const char *names[] = {"NONE", "CLONE", "SETSID", "SETPGID", "PDEATHSIG", "DUP", "CLOSE_RANGE", "CHDIR",
                                  "RLIMIT", "SIGMASK", "EXEC", "STACK", "POSIX_SPAWN", "PIDFD_OPEN", "UNSUPPORTED",
                                  "JOIN_CGROUP", "KILLED_AT_BIRTH"};
    return step >= 0 && step < (int)(sizeof names / sizeof names[0]) ? names[step] : "?";
}

/* What a leak would show: open fds (0..1023, probed without /proc) and children of this process. */
static int open_fds(void)
{
    int count = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            count++;
    return count;
}

static int has_children(void)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 || errno != ECHILD;
}

/* One spawn's outcome, as the cases check it. */
struct run {
    int rc;
    struct fl_spawn_result result;
    struct fl_exit exit;
    char output[4096];
};

struct spawn_options {
    char **argv;
    char *const *envp; /* NULL: the parent's environ, through fl_init's address */
    const char *cwd;
    int output_fd;     /* the fd the child writes to: 1, or 5 for --child-fds */
    int flags;
    int cgroup_fd;
    const struct fl_rlimit *rlimits;
    int nrlimits;
};

/* Spawns, reads the child's output until EOF, and reaps it; run->rc is fl_spawn's result. */
static void spawn_and_wait(const struct spawn_options *o, struct run *run)
{
    memset(run, 0, sizeof *run);
    int32_t pipe_fds[2];
    if (fl.pipe(pipe_fds) != 0) {
        failf("fl_pipe failed");
        run->rc = -1;
        return;
    }
    struct fl_fd_map map[3] = {{pipe_fds[1], o->output_fd}};
    int nfds = 1;
    int32_t devnull = -1;
    if (o->output_fd != 1) {
        /* The child's stdout is not the pipe: give it /dev/null rather than the harness's own. */
        devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (devnull < 0) {
            failf("open /dev/null: %s", strerror(errno));
            fl.close(pipe_fds[0]);
            fl.close(pipe_fds[1]);
            run->rc = -1;
            return;
        }
        map[nfds++] = (struct fl_fd_map){devnull, 1};
    }
    int32_t keep[1] = {o->output_fd};
    struct fl_spawn_request request;
    memset(&request, 0, sizeof request);
    request.path = o->argv[0];
    request.argv = o->argv;
    request.envp = o->envp;
    request.cwd = o->cwd;
    request.fds = map;
    request.nfds = nfds;
    request.keep = keep;
    request.nkeep = o->output_fd >= 3 ? 1 : 0;
    request.rlimits = o->rlimits;
    request.nrlimits = o->nrlimits;
    request.flags = o->flags;
    request.cgroup_fd = o->cgroup_fd;
    run->rc = fl.spawn(&request, &run->result);
    fl.close(pipe_fds[1]);
    if (devnull >= 0)
        close(devnull);
    if (run->rc == 0) {
        size_t used = 0;
        for (;;) {
            if (fl.poll_readable(pipe_fds[0], CHILD_TIMEOUT_MS) <= 0) {
                failf("the child's output did not end within %d ms", CHILD_TIMEOUT_MS);
                break;
            }
            long n = fl.read(pipe_fds[0], run->output + used, (int64_t)(sizeof run->output - 1 - used));
            if (n <= 0)
                break;
            used += (size_t)n;
            if (used == sizeof run->output - 1)
                break;
        }
        run->output[used] = '\0';
        int reaped = -1;
        if (fl.poll_readable(run->result.pidfd, CHILD_TIMEOUT_MS) > 0)
            reaped = fl.reap(run->result.pidfd, &run->exit);
        if (reaped != 0) {
            failf("the child (pid %d) could not be reaped: %d", run->result.pid, reaped);
            kill(run->result.pid, SIGKILL); /* ours: the pid is still unreaped, so not reused */
            waitpid(run->result.pid, NULL, 0);
        }
        fl.close(run->result.pidfd);
    }
    fl.close(pipe_fds[0]);
}

static void expect_exit(const struct run *run, int code)
{
    if (run->rc != 0) {
        failf("fl_spawn failed: rc %d, errno %d, step %s", run->rc, run->result.err, step_name(run->result.step));
    } else if (run->exit.code != CLD_EXITED || run->exit.status != code) {
        failf("the child ended with si_code %d status %d, expected exit %d", run->exit.code, run->exit.status, code);
    }
}

static void expect_spawn_error(const struct run *run, int err, int step)
{
    if (run->rc == 0) {
        failf("fl_spawn succeeded (pid %d), expected errno %d at step %s", run->result.pid, err, step_name(step));
    } else if (run->rc != -err || run->result.err != err || run->result.step != step) {
        failf("fl_spawn: rc %d, errno %d, step %s; expected errno %d at step %s", run->rc, run->result.err,
              step_name(run->result.step), err, step_name(step));
    }
}

/* ------------------------------------------------------------------------------------------ */
/* The cases.                                                                                  */

static void case_init_takes_the_environ_address(void)
{
    CHECK(fl.init(NULL) == -EINVAL, "fl_init(NULL) did not return -EINVAL");
    int rc = fl.init(&environ);
    CHECK(rc == 0 || rc == 1, "fl_init(&environ) returned %d, not whether clone3 is usable", rc);
}

/* fl_libc_symbol reads the C library's dynamic symbols itself; the dynamic linker is the reference. */
static void case_libc_symbols_are_found_without_calling_libc(void)
{
    uintptr_t environ_address = fl.libc_symbol("environ");
    CHECK(environ_address == (uintptr_t)&environ, "fl_libc_symbol(\"environ\") is %#lx, &environ is %p",
          (unsigned long)environ_address, (void *)&environ);
    uintptr_t stdout_address = fl.libc_symbol("stdout");
    CHECK(stdout_address == (uintptr_t)dlsym(RTLD_DEFAULT, "stdout"), "fl_libc_symbol(\"stdout\") is %#lx, dlsym's %p",
          (unsigned long)stdout_address, dlsym(RTLD_DEFAULT, "stdout"));
    /* A function may be an IFUNC, whose symbol is its resolver: only whether it is there is compared. */
    static const char *const functions[] = {"gnu_get_libc_version", "strlcpy", "posix_spawn", "execve"};
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        int ours = fl.libc_symbol(functions[i]) != 0, linker = dlsym(RTLD_DEFAULT, functions[i]) != NULL;
        CHECK(ours == linker, "fl_libc_symbol(\"%s\") %s, the dynamic linker %s it", functions[i],
              ours ? "finds it" : "does not find it", linker ? "finds" : "does not find");
    }
}

static void case_a_name_the_c_library_lacks_is_zero(void)
{
    CHECK(fl.libc_symbol("forkline_harness_no_such_symbol") == 0, "a symbol no C library has was found");
    CHECK(fl.libc_symbol("") == 0, "the empty name was found");
}

static void case_layout_matches_this_compiler(void)
{
    struct {
        int item;
        int64_t expected;
        const char *what;
    } items[] = {
        {FL_LAYOUT_ABI_VERSION, FL_ABI_VERSION, "ABI version"},
        {FL_LAYOUT_REQUEST_SIZE, sizeof(struct fl_spawn_request), "sizeof fl_spawn_request"},
        {FL_LAYOUT_RESULT_SIZE, sizeof(struct fl_spawn_result), "sizeof fl_spawn_result"},
        {FL_LAYOUT_EXIT_SIZE, sizeof(struct fl_exit), "sizeof fl_exit"},
        {FL_LAYOUT_FD_MAP_SIZE, sizeof(struct fl_fd_map), "sizeof fl_fd_map"},
        {FL_LAYOUT_RLIMIT_SIZE, sizeof(struct fl_rlimit), "sizeof fl_rlimit"},
        {FL_LAYOUT_REQUEST_CGROUP_FD, __builtin_offsetof(struct fl_spawn_request, cgroup_fd), "offset of cgroup_fd"},
        {FL_LAYOUT_EXIT_MAXRSS, __builtin_offsetof(struct fl_exit, maxrss_kb), "offset of maxrss_kb"},
        {FL_LAYOUT_REQUEST_UNSHARE_BELOW, __builtin_offsetof(struct fl_spawn_request, unshare_below), "offset of unshare_below"},
        {FL_LAYOUT_REQUEST_JOIN_CGROUP_FDS, __builtin_offsetof(struct fl_spawn_request, join_cgroup_fds),
         "offset of join_cgroup_fds"},
        {FL_LAYOUT_REQUEST_SEARCH_PATH, __builtin_offsetof(struct fl_spawn_request, search_path), "offset of search_path"},
        /* The C library's own values, which the library has from the kernel's headers. */
        {FL_LAYOUT_O_DIRECTORY, O_DIRECTORY, "O_DIRECTORY"},
        {FL_LAYOUT_O_NOFOLLOW, O_NOFOLLOW, "O_NOFOLLOW"},
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        int64_t found = fl.layout(items[i].item);
        CHECK(found == items[i].expected, "%s: the library says %lld, this program %lld", items[i].what, (long long)found,
              (long long)items[i].expected);
    }
}

static void case_clone3_is_used(void)
{
    CHECK(fl.counter(FL_COUNTER_CLONE3_USABLE) == 1, "the library found clone3 unusable on this kernel");
}

static void case_child_output_and_exit_status(void)
{
    char *argv[] = {(char *)self_path, "--child-print", "hello from the child", "7", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 1, .cgroup_fd = -1};
    struct run run;
    spawn_and_wait(&o, &run);
    expect_exit(&run, 7);
    CHECK(run.result.method == FL_METHOD_CLONE3, "the spawn took method %d, not clone3", run.result.method);
    CHECK(strcmp(run.output, "hello from the child") == 0, "the child wrote '%s'", run.output);
}

static void case_missing_program_fails_at_exec_with_enoent(void)
{
    char *argv[] = {"/nonexistent/forkline-harness-program", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 1, .cgroup_fd = -1};
    struct run run;
    spawn_and_wait(&o, &run);
    expect_spawn_error(&run, ENOENT, FL_STEP_EXEC);
}

static void case_bad_cwd_fails_at_chdir(void)
{
    char *argv[] = {(char *)self_path, "--child-cwd", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 1, .cgroup_fd = -1, .cwd = "/nonexistent/forkline-harness-dir"};
    struct run run;
    spawn_and_wait(&o, &run);
    expect_spawn_error(&run, ENOENT, FL_STEP_CHDIR);
}

static void case_cwd_is_applied(void)
{
    char *argv[] = {(char *)self_path, "--child-cwd", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 1, .cgroup_fd = -1, .cwd = "/proc"};
    struct run run;
    spawn_and_wait(&o, &run);
    expect_exit(&run, 0);
    CHECK(strcmp(run.output, "/proc") == 0, "the child's cwd was '%s'", run.output);
}

static void case_oversized_argv_fails_at_exec_with_e2big(void)
{
    /* Over the kernel's limit of a quarter of the stack limit (2 MiB at the default 8 MiB), and
     * over MAX_ARG_STRLEN for one string too. */
    size_t size = 3 * 1024 * 1024;
    char *big = malloc(size);
    CHECK(big != NULL, "malloc");
    memset(big, 'x', size - 1);
    big[size - 1] = '\0';
    char *argv[] = {(char *)self_path, "--child-print", big, "0", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 1, .cgroup_fd = -1};
    struct run run;
    spawn_and_wait(&o, &run);
    free(big);
    expect_spawn_error(&run, E2BIG, FL_STEP_EXEC);
}

static void case_fd_map_and_close_range(void)
{
    /* An fd without close-on-exec, which close_range in the child must close all the same. */
    int stray = open("/dev/null", O_RDONLY);
    CHECK(stray >= 0, "open /dev/null: %s", strerror(errno));
    char *argv[] = {(char *)self_path, "--child-fds", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 5, .cgroup_fd = -1};
    struct run run;
    spawn_and_wait(&o, &run);
    close(stray);
    expect_exit(&run, 0);
    CHECK(strcmp(run.output, "5") == 0, "the child's fds above 2 were '%s', expected only 5 (the mapped pipe)", run.output);
}

static void case_explicit_environment(void)
{
    char *argv[] = {(char *)self_path, "--child-env", "FORKLINE_HARNESS", NULL};
    char *envp[] = {"FORKLINE_HARNESS=explicit", NULL};
    struct spawn_options o = {.argv = argv, .envp = envp, .output_fd = 1, .cgroup_fd = -1};
    struct run run;
    spawn_and_wait(&o, &run);
    expect_exit(&run, 0);
    CHECK(strcmp(run.output, "explicit") == 0, "the child saw FORKLINE_HARNESS='%s'", run.output);
}

static void case_inherited_environment_is_read_at_spawn(void)
{
    /* setenv may move environ to a new array: the library reads it through its address. */
    setenv("FORKLINE_HARNESS", "inherited", 1);
    for (int i = 0; i < 64; i++) {
        char name[32];
        snprintf(name, sizeof name, "FORKLINE_HARNESS_%d", i);
        setenv(name, "x", 1);
    }
    char *argv[] = {(char *)self_path, "--child-env", "FORKLINE_HARNESS", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 1, .cgroup_fd = -1};
    struct run run;
    spawn_and_wait(&o, &run);
    expect_exit(&run, 0);
    CHECK(strcmp(run.output, "inherited") == 0, "the child saw FORKLINE_HARNESS='%s'", run.output);
}

static void case_rlimit_is_applied(void)
{
    struct fl_rlimit limit = {.resource = RLIMIT_NOFILE, .soft = 64, .hard = 64};
    char *argv[] = {(char *)self_path, "--child-nofile", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 1, .cgroup_fd = -1, .rlimits = &limit, .nrlimits = 1};
    struct run run;
    spawn_and_wait(&o, &run);
    expect_exit(&run, 0);
    CHECK(strcmp(run.output, "64 64") == 0, "the child's RLIMIT_NOFILE was '%s'", run.output);
}

/* The cgroup2 mount point, from /proc/self/mounts; empty when there is none. */
static void cgroup2_root(char *out, size_t size)
{
    out[0] = '\0';
    FILE *mounts = fopen("/proc/self/mounts", "re");
    if (mounts == NULL)
        return;
    char device[256], point[PATH_MAX], type[64];
    while (fscanf(mounts, "%255s %4095s %63s %*[^\n]", device, point, type) == 3) {
        if (strcmp(type, "cgroup2") == 0) {
            snprintf(out, size, "%s", point);
            break;
        }
    }
    fclose(mounts);
}

static void case_child_born_in_a_cgroup(void)
{
    char root[PATH_MAX], group[PATH_MAX + 64];
    cgroup2_root(root, sizeof root);
    if (root[0] == '\0') {
        snprintf(skip_reason, sizeof skip_reason, "no cgroup2 mount in /proc/self/mounts");
        return;
    }
    snprintf(group, sizeof group, "%s/forkline-harness-%d", root, (int)getpid());
    if (mkdir(group, 0755) != 0) {
        snprintf(skip_reason, sizeof skip_reason, "cannot create %s: %s", group, strerror(errno));
        return;
    }
    int fd = open(group, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *argv[] = {(char *)self_path, "--child-cgroup", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 1, .cgroup_fd = fd, .flags = FL_INTO_CGROUP};
    struct run run;
    if (fd >= 0) {
        spawn_and_wait(&o, &run);
        close(fd);
    }
    /* The child is reaped: the group is empty and goes (the kernel may take a moment). */
    int removed = 0;
    for (int attempt = 0; attempt < 100 && !(removed = rmdir(group) == 0); attempt++)
        usleep(10000);
    CHECK(fd >= 0, "open %s: %s", group, strerror(errno));
    expect_exit(&run, 0);
    char expected[128];
    snprintf(expected, sizeof expected, "0::/forkline-harness-%d\n", (int)getpid());
    char *line = strstr(run.output, "0::");
    CHECK(line != NULL && strlen(line) >= strlen(expected) - 3 &&
              strcmp(line + strlen(line) - strlen(expected) + 3, expected + 3) == 0,
          "the child's /proc/self/cgroup was '%s', expected a line ending in %s", run.output, expected + 3);
    CHECK(removed, "rmdir %s: %s", group, strerror(errno));
}

static void case_a_cgroup_fd_that_is_no_cgroup_fails_at_clone(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0, "open /dev/null: %s", strerror(errno));
    char *argv[] = {(char *)self_path, "--child-print", "", "0", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 1, .cgroup_fd = fd, .flags = FL_INTO_CGROUP};
    struct run run;
    spawn_and_wait(&o, &run);
    close(fd);
    CHECK(run.rc != 0, "fl_spawn into /dev/null as a cgroup succeeded");
    CHECK(run.result.step == FL_STEP_CLONE && run.result.err > 0, "errno %d at step %s, expected a clone3 error",
          run.result.err, step_name(run.result.step));
}

static void case_errno_names_and_texts(void)
{
    char name[64], text[256];
    fl.errno_text(ENOENT, name, sizeof name, text, sizeof text);
    CHECK(strcmp(name, "ENOENT") == 0 && strcmp(text, "No such file or directory") == 0, "ENOENT: '%s' '%s'", name, text);
    fl.errno_text(E2BIG, name, sizeof name, text, sizeof text);
    CHECK(strcmp(name, "E2BIG") == 0 && strcmp(text, "Argument list too long") == 0, "E2BIG: '%s' '%s'", name, text);
    fl.errno_text(100000, name, sizeof name, text, sizeof text);
    CHECK(name[0] == '\0' && text[0] == '\0', "errno 100000, which has no name: '%s' '%s'", name, text);
}

static void *stress_thread(void *arg)
{
    int *failed = arg;
    char *argv[] = {(char *)self_path, "--child-print", "", "3", NULL};
    struct spawn_options o = {.argv = argv, .output_fd = 1, .cgroup_fd = -1};
    struct run run;
    for (int i = 0; i < STRESS_SPAWNS; i++) {
        spawn_and_wait(&o, &run);
        if (run.rc != 0 || run.exit.code != CLD_EXITED || run.exit.status != 3)
            (*failed)++;
    }
    return NULL;
}

static void case_spawns_from_threads_share_the_stack_pool(void)
{
    pthread_t threads[STRESS_THREADS];
    int failed[STRESS_THREADS] = {0};
    int started = 0;
    for (; started < STRESS_THREADS; started++)
        if (pthread_create(&threads[started], NULL, stress_thread, &failed[started]) != 0)
            break;
    int total = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        total += failed[i];
    }
    CHECK(started == STRESS_THREADS, "pthread_create failed");
    CHECK(total == 0, "%d of %d spawns failed", total, STRESS_THREADS * STRESS_SPAWNS);
    CHECK(fl.counter(FL_COUNTER_STACKS_LENT) == 0, "%lld child stacks still lent",
          (long long)fl.counter(FL_COUNTER_STACKS_LENT));
    int64_t mapped = fl.counter(FL_COUNTER_STACKS_MAPPED);
    CHECK(mapped >= 1 && mapped <= STRESS_THREADS, "the pool holds %lld stacks after %d threads", (long long)mapped,
          STRESS_THREADS);
}

/* ------------------------------------------------------------------------------------------ */
/* Running and reporting.                                                                      */

struct outcome {
    const char *name;
    double seconds;
    char failure[sizeof failure];
    char skipped[sizeof skip_reason];
};

static struct outcome outcomes[MAX_CASES];
static int ncases;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs one case, and fails it when it leaked an fd or left a child behind. */
static void run_case(const char *name, void (*body)(void))
{
    failure[0] = skip_reason[0] = '\0';
    int fds_before = open_fds();
    double start = now_seconds();
    body();
    int fds_after = open_fds();
    if (fds_after != fds_before)
        failf("open fds: %d before, %d after", fds_before, fds_after);
    if (has_children()) {
        failf("a child is left unreaped");
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
    }
    struct outcome *o = &outcomes[ncases++];
    o->name = name;
    o->seconds = now_seconds() - start;
    memcpy(o->failure, failure, sizeof failure);
    memcpy(o->skipped, skip_reason, sizeof skip_reason);
    fprintf(stderr, "harness: %-55s %s%s%s\n", name, failure[0] ? "FAILED: " : skip_reason[0] ? "skipped: " : "ok",
            failure, failure[0] ? "" : skip_reason);
}

static void xml_text(FILE *out, const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        switch (*c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if (*c < 0x20 && *c != '\n' && *c != '\t')
                fprintf(out, "&#x%x;", 0xfffd); /* XML 1.0 has no other control characters */
            else
                fputc(*c, out);
        }
    }
}

/* What this process is: its architecture and the C library it runs with (the loaded one). */
static void describe_host(char *out, size_t size)
{
#if defined(__x86_64__)
    const char *arch = "x86_64";
#elif defined(__aarch64__)
    const char *arch = "aarch64";
#else
    const char *arch = "unknown";
#endif
#ifdef __GLIBC__
    snprintf(out, size, "%s.glibc-%s", arch, gnu_get_libc_version());
#else
    snprintf(out, size, "%s.musl", arch); /* musl has no version macro or function, by design */
#endif
}

static void write_report(FILE *out)
{
    char host[64];
    describe_host(host, sizeof host);
    int failures = 0, skipped = 0;
    for (int i = 0; i < ncases; i++) {
        failures += outcomes[i].failure[0] != '\0';
        skipped += outcomes[i].failure[0] == '\0' && outcomes[i].skipped[0] != '\0';
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuite name=\"harness.%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\">\n", host, ncases,
            failures, skipped);
    for (int i = 0; i < ncases; i++) {
        const struct outcome *o = &outcomes[i];
        fprintf(out, "  <testcase classname=\"harness.%s\" name=\"%s\" time=\"%.3f\"", host, o->name, o->seconds);
        if (o->failure[0]) {
            fputs(">\n    <failure message=\"", out);
            xml_text(out, o->failure);
            fputs("\"/>\n  </testcase>\n", out);
        } else if (o->skipped[0]) {
            fputs(">\n    <skipped message=\"", out);
            xml_text(out, o->skipped);
            fputs("\"/>\n  </testcase>\n", out);
        } else {
            fputs("/>\n", out);
        }
    }
    fputs("</testsuite>\n", out);
}

static int load_library(void)
{
    void *handle = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        failf("dlopen %s: %s", library_path, dlerror());
        return -1;
    }
#define BIND(field, symbol)                                                                    \
    if ((*(void **)&fl.field = dlsym(handle, symbol)) == NULL) {                               \
        failf("dlsym %s: %s", symbol, dlerror());                                              \
        return -1;                                                                             \
    }
    BIND(init, "fl_init")
    BIND(spawn, "fl_spawn")
    BIND(reap, "fl_reap")
    BIND(pipe, "fl_pipe")
    BIND(close, "fl_close")
    BIND(read, "fl_read")
    BIND(poll_readable, "fl_poll_readable")
    BIND(layout, "fl_layout")
    BIND(counter, "fl_counter")
    BIND(errno_text, "fl_errno_text")
    BIND(libc_symbol, "fl_libc_symbol")
#undef BIND
    return 0;
}

static void case_library_loads(void)
{
    load_library();
}

static int run_all(void)
{
    run_case("the library loads with dlopen and has every function", case_library_loads);
    if (failure[0] == '\0') {
        run_case("fl_init takes the environ address", case_init_takes_the_environ_address);
        run_case("the layout matches this compiler and C library", case_layout_matches_this_compiler);
        run_case("clone3 is used", case_clone3_is_used);
        run_case("a child's output and exit status", case_child_output_and_exit_status);
        run_case("a missing program fails at exec with ENOENT", case_missing_program_fails_at_exec_with_enoent);
        run_case("a bad cwd fails at chdir with ENOENT", case_bad_cwd_fails_at_chdir);
        run_case("the cwd is applied", case_cwd_is_applied);
        run_case("an oversized argv fails at exec with E2BIG", case_oversized_argv_fails_at_exec_with_e2big);
        run_case("the fd map puts a pipe at 5 and close_range closes the rest", case_fd_map_and_close_range);
        run_case("an explicit environment", case_explicit_environment);
        run_case("the inherited environment is read at spawn time", case_inherited_environment_is_read_at_spawn);
        run_case("an rlimit is applied", case_rlimit_is_applied);
        run_case("a child is born in its cgroup", case_child_born_in_a_cgroup);
        run_case("a cgroup fd that is no cgroup fails at clone3", case_a_cgroup_fd_that_is_no_cgroup_fails_at_clone);
        run_case("errno names and texts come from the library's table", case_errno_names_and_texts);
        run_case("spawns from threads share the stack pool", case_spawns_from_threads_share_the_stack_pool);
        run_case("C library symbols are found without calling it", case_libc_symbols_are_found_without_calling_libc);
        run_case("a name the C library lacks is not found", case_a_name_the_c_library_lacks_is_zero);
    }
    for (int i = 0; i < ncases; i++)
        if (outcomes[i].failure[0])
            return 1;
    return 0;
}

/* PID 1 of the aarch64 VM: nothing is mounted, and the report goes to the console. */
static __attribute__((noreturn)) void run_as_init(void)
{
    mkdir("/proc", 0555);
    mount("proc", "/proc", "proc", 0, NULL);
    mkdir("/dev", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL); /* /dev/null */
    mkdir("/sys", 0555);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mkdir("/sys/fs/cgroup", 0755);
    if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) != 0)
        fprintf(stderr, "harness: mount cgroup2: %s\n", strerror(errno));
    library_path = "/lib/libforkline.so";
    self_path = "/init";
    run_all();
    printf("%s\n", REPORT_BEGIN);
    write_report(stdout);
    printf("%s\n", REPORT_END);
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    for (;;)
        pause(); /* PID 1 must not exit: the kernel would panic */
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strncmp(argv[1], "--child-", 8) == 0)
        return child_main(argc, argv);
    if (getpid() == 1)
        run_as_init();
    if (argc != 3) {
        fprintf(stderr, "usage: %s LIBRARY REPORT.xml|-\n", argv[0]);
        return 2;
    }
    library_path = argv[1];
    /* Not /proc/self/exe: run through an explicit loader (an old glibc's ld.so), that is the loader. */
    static char self[PATH_MAX];
    if (realpath(argv[0], self) == NULL) {
        fprintf(stderr, "harness: cannot resolve %s: %s\n", argv[0], strerror(errno));
        return 2;
    }
    self_path = self;
    int status = run_all();
    FILE *out = strcmp(argv[2], "-") == 0 ? stdout : fopen(argv[2], "we");
    if (out == NULL) {
        fprintf(stderr, "harness: cannot write %s: %s\n", argv[2], strerror(errno));
        return 2;
    }
    write_report(out);
    if (out != stdout && fclose(out) != 0)
        return 2;
    return status;
}
