/*
 * owncpu.c: runs one program and reports its wall time and its OWN CPU time, for
 * `forkline bench parallel`, which compares job runners (forkline parallel, xargs, GNU parallel)
 * by what they cost themselves, apart from the jobs they start.
 *
 * The rusage a parent gets for a reaped child (wait4, getrusage(RUSAGE_CHILDREN)) includes every
 * descendant that the child reaped in turn, so for a job runner it is mostly its jobs' CPU. The
 * zombie's /proc/<pid>/stat is not: utime and stime (fields 14 and 15) are the CPU of all of its
 * threads and nothing else; cutime and cstime (16 and 17) are its reaped descendants'. A zombie
 * keeps those fields until it is reaped, so this waits with WNOWAIT, reads them, then reaps.
 *
 * Usage: forkline-owncpu REPORT PROGRAM ARGS...
 * PROGRAM (looked up in the PATH) inherits this process's stdio, environment and cwd. When it has
 * ended, one line goes to the file REPORT:
 *   pid=… wall_ns=… own_user_us=… own_sys_us=… children_user_us=… children_sys_us=…
 *   tree_user_us=… tree_sys_us=… clk_tck=… exit_code=… signal=…
 * wall_ns runs from just before fork to the exit being seen; own_* are the program's threads
 * (clock-tick resolution, clk_tck per second), children_* its reaped descendants, tree_* the
 * rusage of wait4 (the program and its reaped descendants, microsecond resolution). exit_code
 * is -1 when a signal ended it; a program that cannot be executed exits 127 (with a message on
 * stderr). This tool exits 0 when it could measure, whatever the program's status, and 2 on its
 * own errors (with a message on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Fields 14-17 of /proc/<pid>/stat, in clock ticks. Returns 0, or -1 with a message. */
static int read_stat_times(pid_t pid, unsigned long long times[4])
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "forkline-owncpu: open(%s): %s\n", path, strerror(errno));
        return -1;
    }
    char buf[4096];
    ssize_t len;
    do {
        len = read(fd, buf, sizeof buf - 1);
    } while (len < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (len <= 0) {
        fprintf(stderr, "forkline-owncpu: read(%s): %s\n", path, len < 0 ? strerror(saved) : "empty");
        return -1;
    }
    buf[len] = '\0';
    /* Field 2 is the command name in parentheses and may hold spaces or ')': the fields
     * after it start at the last ')'. */
    char *rest = strrchr(buf, ')');
    if (rest == NULL) {
        fprintf(stderr, "forkline-owncpu: %s: no ')' after the command name\n", path);
        return -1;
    }
    rest++;
    /* rest holds field 3 (state) onwards: field 14 is the 12th token after it. */
    char *save = NULL;
    int field = 3;
    int found = 0;
    for (char *token = strtok_r(rest, " ", &save); token != NULL && found < 4; token = strtok_r(NULL, " ", &save), field++) {
        if (field >= 14 && field <= 17) {
            char *end;
            errno = 0;
            times[field - 14] = strtoull(token, &end, 10);
            if (errno != 0 || *end != '\0') {
                fprintf(stderr, "forkline-owncpu: %s: field %d is not a number: %s\n", path, field, token);
                return -1;
            }
            found++;
        }
    }
    if (found < 4) {
        fprintf(stderr, "forkline-owncpu: %s: fewer than 17 fields\n", path);
        return -1;
    }
    return 0;
}

static long long ticks_to_us(unsigned long long ticks, long clk_tck)
{
    return (long long)(ticks * 1000000ULL / (unsigned long long)clk_tck);
}

static long long timeval_us(struct timeval t)
{
    return (long long)t.tv_sec * 1000000LL + t.tv_usec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s REPORT PROGRAM ARGS...\n", argv[0]);
        return 2;
    }
    long clk_tck = sysconf(_SC_CLK_TCK);
    if (clk_tck <= 0) {
        fprintf(stderr, "forkline-owncpu: sysconf(_SC_CLK_TCK): %s\n", strerror(errno));
        return 2;
    }
    /* Opened first, so that a bad path fails before anything runs; close-on-exec, so that the
     * program does not inherit it. */
    FILE *report = fopen(argv[1], "we");
    if (report == NULL) {
        fprintf(stderr, "forkline-owncpu: fopen(%s): %s\n", argv[1], strerror(errno));
        return 2;
    }

    long begin = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "forkline-owncpu: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "forkline-owncpu: execvp(%s): %s\n", argv[2], strerror(errno));
        _exit(127);
    }

    siginfo_t info;
    memset(&info, 0, sizeof info);
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "forkline-owncpu: waitid(%d, WNOWAIT): %s\n", (int)pid, strerror(errno));
            return 2;
        }
    }
    long wall = now_ns() - begin;

    unsigned long long times[4];
    int stat_failed = read_stat_times(pid, times);

    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "forkline-owncpu: wait4(%d): %s\n", (int)pid, strerror(errno));
            return 2;
        }
    }
    if (stat_failed != 0)
        return 2;
    fprintf(report,
            "pid=%d wall_ns=%ld own_user_us=%lld own_sys_us=%lld children_user_us=%lld children_sys_us=%lld "
            "tree_user_us=%lld tree_sys_us=%lld clk_tck=%ld exit_code=%d signal=%d\n",
            (int)pid, wall, ticks_to_us(times[0], clk_tck), ticks_to_us(times[1], clk_tck),
            ticks_to_us(times[2], clk_tck), ticks_to_us(times[3], clk_tck), timeval_us(usage.ru_utime),
            timeval_us(usage.ru_stime), clk_tck, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
            WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (fclose(report) != 0) {
        fprintf(stderr, "forkline-owncpu: write(%s): %s\n", argv[1], strerror(errno));
        return 2;
    }
    return 0;
}
