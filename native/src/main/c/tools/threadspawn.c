/*
 * threadspawn.c: will-it-scale's threadspawn1 for `forkline lab pid-alloc` (E3, seed 003).
 *
 * Seed 003 measures the kernel's pid allocator: every new task, thread or process, takes a pid
 * in each pid namespace it lives in, under the one global pidmap_lock (kernel/pid.c, alloc_pid),
 * and gives it back under that lock when it is released. Guzik's benchmark makes that lock the
 * hot spot on purpose, and this program has its shape:
 *
 *   - N worker PROCESSES, not N threads of one process. Threads of one process would also share
 *     that process's mm, sighand and thread-group locks and measure those; separate processes
 *     share nothing in user space, so what they contend on is the kernel's global state for
 *     task creation: pidmap_lock above all, and tasklist_lock.
 *   - Each worker loops pthread_create + pthread_join of a thread that returns at once: the
 *     cheapest way to make the kernel allocate and free one pid (clone of a thread, then its
 *     exit), with one thread alive per worker, as will-it-scale's threadspawn1 does.
 *   - Worker i is pinned to the i-th CPU this program may run on (modulo their number), as
 *     will-it-scale pins its tasks, and the threads it creates inherit that. Unpinned, a new
 *     thread is woken on whichever CPU is idle while its creator sleeps in pthread_join, and a
 *     single worker then measures cross-CPU wake-ups and idle exits (on a 2-core KVM guest, a
 *     quarter of the pinned rate), not pid allocation. With more workers than CPUs, two share
 *     a CPU and the scheduler runs them in turns.
 *   - All workers start together: they are forked first and then wait on a pipe (the gate) that
 *     the parent closes, so fork's own cost and start-up skew stay out of the window. They stop
 *     at one shared deadline, read from CLOCK_MONOTONIC (vDSO, tens of nanoseconds, against
 *     microseconds for a thread's life), so every worker counts over the same window, also when
 *     N is above the CPU count and the scheduler runs them in turns.
 *   - Counts go into a shared anonymous mapping, a padded slot per worker, written by that worker
 *     alone and read by the parent only after reaping it (the exit orders the writes before the
 *     read). Nothing but the measured calls happens in the loop.
 *
 * Usage: forkline-threadspawn PROCESSES MILLISECONDS
 * Prints one line: n=… cpus=… seconds=… ops=… ops_per_sec=… cpu_seconds=…: cpus is the number of
 * CPUs the workers were spread over, ops the threads created and joined by all workers, seconds
 * the window from the gate's opening to the last worker's stop, ops_per_sec their quotient, and
 * cpu_seconds the CPU time (user + system) of the workers and their threads: over seconds, the
 * cores they actually had, which on a shared machine can be fewer than min(N, cpus).
 * Errors go to stderr with the call and the errno name, and the exit status is 2. Every worker
 * forked is reaped before this program exits, also on error: a worker that fails reports why in
 * its slot and exits, and the parent tells the others to stop through an abort flag.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCESSES 1024
#define MAX_MILLISECONDS 600000L

/* One worker's results, alone on its cache lines: the workers write them while the others run. */
struct slot {
    long ops;
    long stopped_ns;
    const char *failed_call; /* NULL, or the call that failed: a string literal, valid in both processes */
    int failed_errno;
    char padding[128 - 2 * sizeof(long) - sizeof(const char *) - sizeof(int)];
};

struct shared {
    long deadline_ns;
    volatile int abort_run; /* set by the parent when it could not fork every worker */
    char padding[128 - sizeof(long) - sizeof(int)];
    struct slot slots[];
};

/* The errno names this program can meet; strerrorname_np is glibc-only. */
static const char *errno_name(int err)
{
    switch (err) {
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EINTR: return "EINTR";
    case ECHILD: return "ECHILD";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ESRCH: return "ESRCH";
    case EDEADLK: return "EDEADLK";
    default: return "errno";
    }
}

static void report_error(const char *context, const char *call, int err)
{
    fprintf(stderr, "forkline-threadspawn: %s%s: %s (%d, %s)\n", context, call, errno_name(err), err, strerror(err));
}

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void *return_at_once(void *unused)
{
    (void)unused;
    return NULL;
}

/* Blocks until the parent closes the gate's write end (read returns 0). */
static int wait_at_gate(int gate)
{
    char ignored;
    ssize_t got;
    do {
        got = read(gate, &ignored, 1);
    } while (got < 0 && errno == EINTR);
    return got < 0 ? -1 : 0;
}

/* The index-th CPU of allowed, counting round: the CPU worker index runs on. */
static int nth_allowed_cpu(const cpu_set_t *allowed, int index)
{
    int count = CPU_COUNT(allowed);
    int wanted = index % count;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, allowed) && wanted-- == 0)
            return cpu;
    }
    return -1;
}

static void run_worker(struct shared *shared, struct slot *slot, int gate, int cpu)
{
    cpu_set_t mine;
    CPU_ZERO(&mine);
    CPU_SET(cpu, &mine);
    if (sched_setaffinity(0, sizeof mine, &mine) != 0) {
        slot->failed_call = "sched_setaffinity";
        slot->failed_errno = errno;
        _exit(2);
    }
    if (wait_at_gate(gate) != 0) {
        slot->failed_call = "read(gate)";
        slot->failed_errno = errno;
        _exit(2);
    }
    if (shared->abort_run)
        _exit(0);
    long deadline = shared->deadline_ns;
    long ops = 0;
    long now;
    while ((now = now_ns()) < deadline) {
        pthread_t thread;
        int err = pthread_create(&thread, NULL, return_at_once, NULL);
        if (err != 0) {
            slot->failed_call = "pthread_create";
            slot->failed_errno = err;
            break;
        }
        err = pthread_join(thread, NULL);
        if (err != 0) {
            slot->failed_call = "pthread_join";
            slot->failed_errno = err;
            break;
        }
        ops++;
    }
    slot->ops = ops;
    slot->stopped_ns = now;
    _exit(slot->failed_call == NULL ? 0 : 2);
}

/* Reaps every pid in workers[0..count); returns 0 when all exited with status 0. */
static int reap_all(const pid_t *workers, int count)
{
    int failed = 0;
    for (int i = 0; i < count; i++) {
        int status = 0;
        pid_t got;
        while ((got = waitpid(workers[i], &status, 0)) < 0 && errno == EINTR)
            ;
        if (got < 0) {
            char context[64];
            snprintf(context, sizeof context, "worker %d: ", i);
            report_error(context, "waitpid", errno);
            failed = 1;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            failed = 1;
        }
    }
    return failed ? -1 : 0;
}

static int parse_bounded(const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

int main(int argc, char **argv)
{
    long processes, milliseconds;
    if (argc != 3 || parse_bounded(argv[1], 1, MAX_PROCESSES, &processes) != 0
            || parse_bounded(argv[2], 1, MAX_MILLISECONDS, &milliseconds) != 0) {
        fprintf(stderr, "usage: %s PROCESSES MILLISECONDS (1-%d processes, 1-%ld ms)\n", argv[0], MAX_PROCESSES,
                MAX_MILLISECONDS);
        return 2;
    }
    int n = (int)processes;

    size_t size = sizeof(struct shared) + (size_t)n * sizeof(struct slot);
    struct shared *shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        report_error("", "mmap", errno);
        return 2;
    }
    pid_t *workers = calloc((size_t)n, sizeof *workers);
    if (workers == NULL) {
        report_error("", "calloc", errno);
        return 2;
    }
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        report_error("", "sched_getaffinity", errno);
        return 2;
    }
    int gate[2];
    if (pipe(gate) != 0) {
        report_error("", "pipe", errno);
        return 2;
    }

    int forked = 0;
    int fork_errno = 0;
    for (; forked < n; forked++) {
        pid_t pid = fork();
        if (pid < 0) {
            fork_errno = errno;
            break;
        }
        if (pid == 0) {
            /* The worker's copy of the write end would keep the gate shut for everyone. */
            close(gate[1]);
            run_worker(shared, &shared->slots[forked], gate[0], nth_allowed_cpu(&allowed, forked));
        }
        workers[forked] = pid;
    }
    close(gate[0]);
    if (fork_errno != 0) {
        report_error("", "fork", fork_errno);
        shared->abort_run = 1;
        close(gate[1]);
        reap_all(workers, forked);
        return 2;
    }

    long opened = now_ns();
    shared->deadline_ns = opened + milliseconds * 1000000L;
    close(gate[1]); /* every worker's read returns 0 now: the window opens */
    int failed = reap_all(workers, n);

    long ops = 0;
    long last_stop = opened;
    for (int i = 0; i < n; i++) {
        struct slot *slot = &shared->slots[i];
        if (slot->failed_call != NULL) {
            char context[64];
            snprintf(context, sizeof context, "worker %d: ", i);
            report_error(context, slot->failed_call, slot->failed_errno);
        }
        ops += slot->ops;
        if (slot->stopped_ns > last_stop)
            last_stop = slot->stopped_ns;
    }
    if (failed) {
        fprintf(stderr, "forkline-threadspawn: a worker failed or did not exit 0\n");
        return 2;
    }
    /* The workers are reaped, so RUSAGE_CHILDREN holds them and every thread they created. */
    struct rusage usage;
    if (getrusage(RUSAGE_CHILDREN, &usage) != 0) {
        report_error("", "getrusage", errno);
        return 2;
    }
    double cpu_seconds = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    double seconds = (double)(last_stop - opened) / 1e9;
    printf("n=%d cpus=%d seconds=%.6f ops=%ld ops_per_sec=%.1f cpu_seconds=%.6f\n", n, CPU_COUNT(&allowed), seconds, ops,
           seconds > 0 ? (double)ops / seconds : 0.0, cpu_seconds);
    free(workers);
    munmap(shared, size);
    return 0;
}
