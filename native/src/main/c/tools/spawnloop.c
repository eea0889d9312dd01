/*
 * spawnloop.c: the `c` engine of `forkline bench spawn`, and the reference limit.
 *
 * It is what a careful C programmer would write without forkline: glibc's posix_spawn
 * (CLONE_VM|CLONE_VFORK since glibc 2.24, so no page-table copy) followed by waitpid, from
 * `concurrency` pthreads that share one counter of spawns. No JVM, no reaper thread, no epoll:
 * each thread sleeps in waitpid on its own child. If forkline matches this from Java, the JVM
 * adds nothing to the cost of a spawn; if it beats it, it is because clone3 with CLONE_PIDFD and
 * CLONE_CLEAR_SIGHAND does less than posix_spawn (no per-spawn stack mmap, no sigaction loop).
 *
 * Usage: forkline-spawnloop N CONCURRENCY WARMUP [PATH [OPEN_FDS]]
 * OPEN_FDS extra close-on-exec fds are opened first, to stand for a busy process's sockets.
 * Prints two lines: n=… concurrency=… elapsed_ns=… p50_ns=… p99_ns=… max_ns=…, where each latency
 * is the time until posix_spawn returned, and latencies_ns= with every latency, comma-separated,
 * so that the caller can pool several runs. Warm-up spawns run first and are not counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static const char *path = "/bin/true";
static long remaining;
static long recorded;
static long *latencies;
static pthread_barrier_t start_line;

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static int spawn_and_wait(long *latency)
{
    char *argv[] = {(char *)path, NULL};
    pid_t pid;
    long begin = now_ns();
    int err = posix_spawn(&pid, path, NULL, NULL, argv, environ);
    *latency = now_ns() - begin;
    if (err != 0) {
        fprintf(stderr, "forkline-spawnloop: posix_spawn(%s): %s\n", path, strerror(err));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("forkline-spawnloop: waitpid");
            return -1;
        }
    }
    return 0;
}

static void *worker(void *unused)
{
    (void)unused;
    pthread_barrier_wait(&start_line);
    while (__atomic_sub_fetch(&remaining, 1, __ATOMIC_RELAXED) >= 0) {
        long latency;
        if (spawn_and_wait(&latency) != 0)
            exit(2);
        latencies[__atomic_fetch_add(&recorded, 1, __ATOMIC_RELAXED)] = latency;
    }
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s N CONCURRENCY WARMUP [PATH [OPEN_FDS]]\n", argv[0]);
        return 2;
    }
    long n = atol(argv[1]);
    int concurrency = atoi(argv[2]);
    long warmup = atol(argv[3]);
    if (argc > 4)
        path = argv[4];
    long open_fds = argc > 5 ? atol(argv[5]) : 0;
    for (long i = 0; i < open_fds; i++) {
        if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0) {
            perror("forkline-spawnloop: open /dev/null");
            return 2;
        }
    }
    if (n <= 0 || concurrency <= 0 || warmup < 0) {
        fprintf(stderr, "forkline-spawnloop: N and CONCURRENCY must be > 0, WARMUP >= 0\n");
        return 2;
    }
    latencies = calloc((size_t)n, sizeof *latencies);
    pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
    if (latencies == NULL || threads == NULL) {
        perror("forkline-spawnloop: calloc");
        return 2;
    }
    for (long i = 0; i < warmup; i++) {
        long ignored;
        if (spawn_and_wait(&ignored) != 0)
            return 2;
    }

    remaining = n;
    pthread_barrier_init(&start_line, NULL, (unsigned)concurrency + 1);
    for (int i = 0; i < concurrency; i++) {
        if (pthread_create(&threads[i], NULL, worker, NULL) != 0) {
            perror("forkline-spawnloop: pthread_create");
            return 2;
        }
    }
    long begin = now_ns();
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < concurrency; i++)
        pthread_join(threads[i], NULL);
    long elapsed = now_ns() - begin;

    qsort(latencies, (size_t)n, sizeof *latencies, by_value);
    long p99 = (n * 99 + 99) / 100 - 1;
    printf("n=%ld concurrency=%d elapsed_ns=%ld p50_ns=%ld p99_ns=%ld max_ns=%ld\n", n, concurrency, elapsed,
           latencies[(n - 1) / 2], latencies[p99], latencies[n - 1]);
    printf("latencies_ns=");
    for (long i = 0; i < n; i++)
        printf(i == 0 ? "%ld" : ",%ld", latencies[i]);
    printf("\n");
    free(threads);
    free(latencies);
    return 0;
}
