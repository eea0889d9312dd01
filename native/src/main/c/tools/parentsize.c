/*
 * parentsize.c: the C parent of `forkline lab parent-size` (E5, seeds 000 and 001).
 *
 * The seeds say a launch's cost grows with the parent's size because fork copies the parent's
 * page tables, and that glibc's posix_spawn "maps back to fork()". This program settles both on
 * the host: it makes itself RSS_MB of resident, private, dirty memory in 4 KB pages (mmap,
 * MADV_NOHUGEPAGE, then a write to every page, so that fork has page-table entries to copy and
 * cannot share a zero page), then
 * starts PATH N times, one at a time, each waited for, by one of three launches:
 *   fork         fork() + execve in the child: the page tables are copied (copy-on-write);
 *   vfork        vfork() + execve: the child borrows the parent's memory, nothing is copied;
 *   posix_spawn  glibc's posix_spawn: what it does is what E5 traces (CLONE_VM|CLONE_VFORK since 2.24).
 * It measures the wall time and its own CPU time (getrusage RUSAGE_SELF: the parent's threads
 * only, never its children's, which is the cost of the launch itself), and prints one line:
 *   mode=… rss_kb=… n=… elapsed_ns=… self_cpu_ns=…
 * where rss_kb is what /proc/self/statm says is resident once the memory is touched. One launch
 * at a time, because the question is the cost of one launch against the parent's size, not a
 * throughput under contention (bench spawn measures that).
 *
 * Usage: forkline-parentsize MODE RSS_MB N [PATH]
 * Errors go to stderr with the call and errno's name; the exit status is then 2.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static long self_cpu_ns(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000L + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000L;
}

static void fail(const char *call, int err)
{
    fprintf(stderr, "forkline-parentsize: %s: %s (%s)\n", call, strerrorname_np(err) ? strerrorname_np(err) : "?", strerror(err));
    exit(2);
}

static long resident_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f == NULL)
        fail("fopen(/proc/self/statm)", errno);
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void wait_for(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            fail("waitpid", errno);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "forkline-parentsize: the child ended with status 0x%x\n", status);
        exit(2);
    }
}

static void launch(const char *mode, const char *path)
{
    char *argv[] = {(char *)path, NULL};
    pid_t pid;
    if (strcmp(mode, "posix_spawn") == 0) {
        int err = posix_spawn(&pid, path, NULL, NULL, argv, environ);
        if (err != 0)
            fail("posix_spawn", err);
    } else {
        pid = strcmp(mode, "vfork") == 0 ? vfork() : fork();
        if (pid < 0)
            fail(mode, errno);
        if (pid == 0) {
            execve(path, argv, environ);
            _exit(127); /* after vfork only _exit is safe: the memory is still the parent's */
        }
    }
    wait_for(pid);
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "fork") != 0 && strcmp(argv[1], "vfork") != 0 && strcmp(argv[1], "posix_spawn") != 0)) {
        fprintf(stderr, "usage: %s fork|vfork|posix_spawn RSS_MB N [PATH]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    long rss_mb = atol(argv[2]);
    long n = atol(argv[3]);
    const char *path = argc > 4 ? argv[4] : "/bin/true";
    if (rss_mb < 0 || n <= 0) {
        fprintf(stderr, "forkline-parentsize: RSS_MB must be >= 0 and N > 0\n");
        return 2;
    }
    size_t bytes = (size_t)rss_mb << 20;
    if (bytes > 0) {
        char *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED)
            fail("mmap", errno);
        /* 4 KB pages: with transparent huge pages the page tables fork copies shrink 512-fold and
         * the parent's size would hardly show; the seeds' parents are ordinary processes. */
        if (madvise(memory, bytes, MADV_NOHUGEPAGE) != 0 && errno != EINVAL)
            fail("madvise(MADV_NOHUGEPAGE)", errno);
        long page = sysconf(_SC_PAGESIZE);
        for (size_t at = 0; at < bytes; at += (size_t)page)
            memory[at] = 1;
    }
    launch(mode, path); /* one untimed launch: the binary and its pages are in the cache */
    long cpu_before = self_cpu_ns();
    long begin = now_ns();
    for (long i = 0; i < n; i++)
        launch(mode, path);
    long elapsed = now_ns() - begin;
    long cpu = self_cpu_ns() - cpu_before;
    printf("mode=%s rss_kb=%ld n=%ld elapsed_ns=%ld self_cpu_ns=%ld\n", mode, resident_kb(), n, elapsed, cpu);
    return 0;
}
