/*
 * forkline.c: the native shim under forkline's process launcher.
 *
 * Why clone3, and not fork, vfork or posix_spawn
 * ------------------------------------------------
 * fork() copies the parent's page tables, so its cost grows with the JVM's heap: a 6 GB heap
 * makes every spawn pay for 6 GB of mappings that exec throws away at once. vfork() and
 * glibc's posix_spawn (CLONE_VM|CLONE_VFORK since glibc 2.24) share the address space instead,
 * which makes spawn cost independent of heap size. clone3 (Linux 5.3) gives us the same
 * sharing plus three things neither vfork nor glibc 2.36's posix_spawn offers:
 *   - CLONE_PIDFD: a pidfd for the child, born O_CLOEXEC, with no window in which the pid
 *     could be recycled. Exits are then waited for through epoll, signals go through
 *     pidfd_send_signal, and reaping is waitid(P_PIDFD).
 *   - CLONE_CLEAR_SIGHAND: every handled signal is reset to SIG_DFL in the child, so the
 *     JVM's handlers can never run on the child's borrowed stack between clone and exec.
 *   - CLONE_INTO_CGROUP: the child is born in its cgroup and never migrated, which avoids the
 *     write side of cgroup_threadgroup_rwsem (seeds 000 and 001).
 * glibc's posix_spawn also resets every signal handler from the child with one sigaction call
 * per signal, and maps and unmaps a fresh stack per spawn. We lend a stack from a small pool
 * instead, for the length of one spawn: with CLONE_VFORK the caller is suspended until the child
 * has exec'd or exited, and then the stack is free again. A pool, not a stack per thread: it
 * needs no thread-local storage (which would tie the shim to a C library, see sys.h) and no
 * clean-up at thread exit, and a million virtual threads share a few stacks.
 *
 * If clone3 is refused (ENOSYS on an old kernel, EPERM or ENOSYS from a seccomp filter), the
 * spawn falls back to the legacy clone(2) with CLONE_VM|CLONE_VFORK|CLONE_PIDFD and the same
 * child, which resets signal handlers itself, and the result says which method ran. glibc's
 * posix_spawn is no way out there: 2.36 tries clone3 first and falls back only on ENOSYS. It
 * remains the last resort (if clone is refused too) and can be asked for, but not here: Java
 * calls the process's own C library for it (PosixSpawn.java), since this library links none.
 * A cgroup needs clone3 (CLONE_INTO_CGROUP).
 *
 * What the child may and may not do
 * ---------------------------------
 * The child runs on our stack inside the parent's address space. It shares the parent
 * thread's TLS, so any libc call that writes errno, takes a lock or allocates would corrupt
 * the parent. The child therefore:
 *   - reads only memory prepared before the clone (the request, built by Java, and a context
 *     on the parent's stack), and writes only its own stack, the context's error fields and
 *     the source fds of the request's fd map (which belong to this one spawn);
 *   - makes raw system calls through inline assembly, never libc wrappers;
 *   - runs with every signal blocked until just before execve, when it restores the caller's
 *     mask (handlers are SIG_DFL by then: CLONE_CLEAR_SIGHAND, or reset by hand after clone).
 * Its steps, in order: joining v1 cgroups (hybrid hosts only: writing "0" to the cgroup.procs
 * fds it was given), unsharing the fd table if it was born sharing it (below), setsid or
 * setpgid, parent-death signal, the fd map (dup3), close_range of every other fd from 3 up,
 * chdir, umask, rlimits, the signal mask, execve. For the drop-in agent (jdkspawn.c) the last two
 * follow the JDK instead: no signal blocked (and glibc's signals 32 and 33 ignored, as in the
 * JDK's children), the PATH searched in the child with execvp's rules, and a file the kernel
 * cannot execute (ENOEXEC) run with /bin/sh.
 *
 * A plain clone copies the parent's whole fd table, and the child then closes all of it: with
 * 10,000 sockets open that is about 1 ms per spawn, for posix_spawn too. When the Java side has
 * put every fd the child needs below a small bound, the child is born sharing the table
 * (CLONE_FILES) and its first act is close_range(bound, ~0, CLOSE_RANGE_UNSHARE), which copies
 * only the fds below the bound.
 *
 * How errors come back
 * --------------------
 * Every exported function returns 0 (or a count) on success and -errno on failure; nothing
 * here prints or throws. A child that fails stores its errno and the step that failed in the
 * shared context and exits with 127. Because of CLONE_VFORK, clone3 returns in the parent only
 * after that, so the parent reads the error, reaps the dead child and returns -errno with the
 * step. Java turns each (function, -errno, step) into one typed exception in one place.
 *
 * Everything that must match between this file and the Java bindings (struct sizes and field
 * offsets, and FL_ABI_VERSION) is reported by fl_layout() and checked by Java at load time.
 *
 * No C library
 * ------------
 * The library is built for x86_64 and aarch64 and loads into a process with any C library,
 * glibc of any version or musl, because it links none (sys.h): every system call is a raw one,
 * the clone entries are written per architecture below, and the environment a request without
 * envp inherits is read through the address of `environ` that fl_init was given.
 */
#include "forkline.h"
#include "sys.h"

/* The process's `environ` variable, for a request without envp. Its address comes from fl_init:
 * the shim links no C library, so it cannot name the variable itself. */
static char **const *environ_variable;

/* ------------------------------------------------------------------------------------------ */
/* The clone entries: the child cannot return from a C function, because it starts on a fresh  */
/* stack with no caller frame. So the system call is issued in assembly, and in the child      */
/* (return value 0) fn(arg) is called on the new stack and the child exits with its result.    */

/* long fl_clone3_raw(struct clone_args *args, size_t size, int (*fn)(void *), void *arg) */
long fl_clone3_raw(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
/* long fl_clone_raw(unsigned long flags, void *stack_top, int *pidfd, int (*fn)(void *), void *arg)
 *
 * The same for the legacy clone(2), the fallback when a seccomp filter refuses clone3 (glibc
 * 2.36 itself falls back from clone3 to clone only on ENOSYS, so under an EPERM filter its
 * posix_spawn fails too). CLONE_PIDFD returns the pidfd through the parent_tid argument, the
 * third on both architectures; the other two pointer arguments (tls and child_tid, in an order
 * that differs between them) are zero. */
long fl_clone_raw(unsigned long flags, void *stack_top, int *pidfd, int (*fn)(void *), void *arg);

#if defined(__x86_64__)
/* syscall clobbers only rcx and r11, so fn (rdx) and the argument (moved to r8) survive into
 * the child's copy of the registers. */
__asm__(".text\n"
        ".p2align 4\n"
        ".type fl_clone3_raw,@function\n"
        "fl_clone3_raw:\n"
        "    mov %rcx, %r8\n"
        "    mov $435, %eax\n" /* __NR_clone3 */
        "    syscall\n"
        "    test %rax, %rax\n"
        "    jz 1f\n"
        "    ret\n"
        "1:\n"
        "    xor %ebp, %ebp\n" /* end of the frame chain for debuggers */
        "    mov %r8, %rdi\n"
        "    call *%rdx\n"
        "    mov %eax, %edi\n"
        "    mov $231, %eax\n" /* __NR_exit_group */
        "    syscall\n"
        "    hlt\n"
        ".size fl_clone3_raw, .-fl_clone3_raw\n");

/* clone takes (flags, stack, parent_tid, child_tid, tls) here. fn travels in r9, which clone
 * ignores, and arg in the callee-saved r12, restored before the parent returns. */
__asm__(".text\n"
        ".p2align 4\n"
        ".type fl_clone_raw,@function\n"
        "fl_clone_raw:\n"
        "    push %r12\n"
        "    mov %r8, %r12\n"
        "    mov %rcx, %r9\n"
        "    xor %r10d, %r10d\n"
        "    xor %r8d, %r8d\n"
        "    mov $56, %eax\n" /* __NR_clone */
        "    syscall\n"
        "    test %rax, %rax\n"
        "    jz 1f\n"
        "    pop %r12\n"
        "    ret\n"
        "1:\n"
        "    xor %ebp, %ebp\n"
        "    mov %r12, %rdi\n"
        "    call *%r9\n"
        "    mov %eax, %edi\n"
        "    mov $231, %eax\n" /* __NR_exit_group */
        "    syscall\n"
        "    hlt\n"
        ".size fl_clone_raw, .-fl_clone_raw\n");
#elif defined(__aarch64__)
/* svc preserves every register but x0, so fn (x2) and the argument (x3) survive into the
 * child; the kernel starts it with sp at the top of the stack clone_args names. */
__asm__(".text\n"
        ".p2align 4\n"
        ".type fl_clone3_raw,%function\n"
        "fl_clone3_raw:\n"
        "    mov x8, #435\n" /* __NR_clone3 */
        "    svc #0\n"
        "    cbz x0, 1f\n"
        "    ret\n"
        "1:\n"
        "    mov x29, #0\n" /* end of the frame chain for debuggers */
        "    mov x30, #0\n"
        "    mov x0, x3\n"
        "    blr x2\n"
        "    mov x8, #94\n" /* __NR_exit_group */
        "    svc #0\n"
        "    brk #0\n"
        ".size fl_clone3_raw, .-fl_clone3_raw\n");

/* clone takes (flags, stack, parent_tid, tls, child_tid) here: fn and arg move to the scratch
 * registers x9 and x10, which the system call preserves, and x3 and x4 become zero. */
__asm__(".text\n"
        ".p2align 4\n"
        ".type fl_clone_raw,%function\n"
        "fl_clone_raw:\n"
        "    mov x9, x3\n"
        "    mov x10, x4\n"
        "    mov x3, #0\n"
        "    mov x4, #0\n"
        "    mov x8, #220\n" /* __NR_clone */
        "    svc #0\n"
        "    cbz x0, 1f\n"
        "    ret\n"
        "1:\n"
        "    mov x29, #0\n"
        "    mov x30, #0\n"
        "    mov x0, x10\n"
        "    blr x9\n"
        "    mov x8, #94\n" /* __NR_exit_group */
        "    svc #0\n"
        "    brk #0\n"
        ".size fl_clone_raw, .-fl_clone_raw\n");
#endif

/* ------------------------------------------------------------------------------------------ */
/* Child stacks: lent from a pool for the length of one spawn.                                 */

/* The child only runs the steps above and execve; 64 KiB is several times what it needs, and
 * a guard page below turns an overflow into a fault instead of silent corruption. */
#define CHILD_STACK_SIZE (64 * 1024)
#define CHILD_GUARD_SIZE 4096
#define CHILD_MAP_SIZE (CHILD_STACK_SIZE + CHILD_GUARD_SIZE)

/*
 * With CLONE_VFORK a spawn uses its stack only until clone returns, so a stack is needed per
 * spawn in progress, not per thread. Slots are tried from the first, so sequential spawns (from
 * any number of threads, virtual ones included) reuse one mapped stack, and the pool grows to
 * the most spawns ever in progress at once. Past POOL_SIZE of them, a spawn maps a stack of its
 * own and unmaps it after. Mapped pool stacks stay for the life of the process (at most
 * POOL_SIZE * 68 KiB of address space, of which only the touched pages are memory).
 */
#define POOL_SIZE 64
static char *pool_stack[POOL_SIZE]; /* mapped on first use, then never unmapped */
static int32_t pool_busy[POOL_SIZE]; /* __atomic builtins */
static long stacks_lent;            /* spawns holding a stack now */
static long stacks_mapped;          /* pool stacks mapped */
static long fallback_count;         /* spawns that took the clone(2) fallback */

struct lent_stack {
    char *base;
    int slot; /* -1: mapped for this spawn only */
};

static char *map_stack(void)
{
    char *map = sys_mmap(CHILD_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE);
    if (map == NULL)
        return NULL;
    if (raw_syscall3(__NR_mprotect, map, CHILD_GUARD_SIZE, PROT_NONE) < 0) {
        sys_munmap(map, CHILD_MAP_SIZE);
        return NULL;
    }
    return map;
}

static int borrow_stack(struct lent_stack *lent)
{
    for (int slot = 0; slot < POOL_SIZE; slot++) {
        int32_t idle = 0;
        if (__atomic_load_n(&pool_busy[slot], __ATOMIC_RELAXED) != 0
            || !__atomic_compare_exchange_n(&pool_busy[slot], &idle, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            continue;
        if (pool_stack[slot] == NULL) {
            /* Only the holder of a slot maps its stack, so no other thread writes it. */
            if ((pool_stack[slot] = map_stack()) == NULL) {
                __atomic_store_n(&pool_busy[slot], 0, __ATOMIC_RELEASE);
                return -1;
            }
            __atomic_fetch_add(&stacks_mapped, 1, __ATOMIC_RELAXED);
        }
        lent->base = pool_stack[slot];
        lent->slot = slot;
        __atomic_fetch_add(&stacks_lent, 1, __ATOMIC_RELAXED);
        return 0;
    }
    if ((lent->base = map_stack()) == NULL)
        return -1;
    lent->slot = -1;
    __atomic_fetch_add(&stacks_lent, 1, __ATOMIC_RELAXED);
    return 0;
}

static void give_back_stack(const struct lent_stack *lent)
{
    __atomic_fetch_sub(&stacks_lent, 1, __ATOMIC_RELAXED);
    if (lent->slot < 0)
        sys_munmap(lent->base, CHILD_MAP_SIZE);
    else
        __atomic_store_n(&pool_busy[lent->slot], 0, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------------------------------ */
/* The child.                                                                                  */

struct child_context {
    const struct fl_spawn_request *request;
    uint64_t caller_mask; /* the spawning thread's signal mask, restored just before execve */
    int32_t parent_pid;
    /* Legacy clone has no CLONE_CLEAR_SIGHAND: the child resets handled signals itself. */
    int32_t reset_handlers;
    /* Written by the child on failure, read by the parent after clone3 returns. */
    volatile int32_t err;
    volatile int32_t step;
    volatile int32_t detail;
    /* Set by the child's first instruction: a child that exits without it was killed at birth. */
    volatile int32_t started;
};

static int child_fail(struct child_context *ctx, long negative_errno, int32_t step)
{
    ctx->err = (int32_t)-negative_errno;
    ctx->step = step;
    return 127;
}

/*
 * Put every source fd in place. A source that is itself a target of another entry would be
 * overwritten by that entry's dup3, so first every source at or below the highest target is
 * moved above it (F_DUPFD_CLOEXEC: the copy dies at exec). Then each entry is dup3'ed into
 * place; dup3 clears close-on-exec on the target. Targets are unique (checked by Java).
 */
static long child_map_fds(const struct fl_spawn_request *r)
{
    int32_t highest_target = 2;
    for (int32_t i = 0; i < r->nfds; i++)
        if (r->fds[i].target > highest_target)
            highest_target = r->fds[i].target;
    for (int32_t i = 0; i < r->nfds; i++) {
        struct fl_fd_map *m = &r->fds[i];
        if (m->source != m->target && m->source <= highest_target) {
            long moved = raw_syscall3(__NR_fcntl, m->source, F_DUPFD_CLOEXEC, highest_target + 1);
            if (moved < 0)
                return moved;
            m->source = (int32_t)moved;
        }
    }
    for (int32_t i = 0; i < r->nfds; i++) {
        const struct fl_fd_map *m = &r->fds[i];
        long rc = m->source == m->target ? raw_syscall3(__NR_fcntl, m->source, F_SETFD, 0)
                                         : raw_syscall3(__NR_dup3, m->source, m->target, 0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Close every fd from 3 up except the kept targets, which are sorted and unique. */
static long child_close_others(const struct fl_spawn_request *r)
{
    unsigned int low = 3;
    for (int32_t i = 0; i < r->nkeep; i++) {
        unsigned int kept = (unsigned int)r->keep[i];
        if (kept > low) {
            long rc = raw_syscall3(__NR_close_range, low, kept - 1, 0);
            if (rc < 0)
                return rc;
        }
        if (kept >= low)
            low = kept + 1;
    }
    return raw_syscall3(__NR_close_range, low, ~0U, 0);
}

/*
 * What CLONE_CLEAR_SIGHAND does, by hand: every signal with a handler goes back to SIG_DFL and
 * ignored ones stay ignored. Up to 128 system calls, on the fallback path only. Without it, a
 * signal arriving after the caller's mask is restored and before execve would run a JVM handler
 * on our stack.
 */
static void child_reset_handlers(void)
{
    struct kernel_sigaction current, dfl = {0};
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == FL_SIGKILL || sig == FL_SIGSTOP)
            continue;
        if (raw_syscall4(__NR_rt_sigaction, sig, 0, &current, KERNEL_SIGSET_SIZE) < 0)
            continue;
        if (current.handler != FL_SIG_DFL && current.handler != FL_SIG_IGN)
            raw_syscall4(__NR_rt_sigaction, sig, &dfl, 0, KERNEL_SIGSET_SIZE);
    }
}

/*
 * Join the v1 groups (pids, cpu on a hybrid host) by writing "0", "the writer", to each
 * cgroup.procs. clone3's CLONE_INTO_CGROUP places the child in its v2 group only; joining here,
 * before the fd table is unshared and long before execve, means the program never runs a single
 * instruction outside its limits. It is still a migration (the write side of
 * cgroup_threadgroup_rwsem), which hosts with every controller on v2 never pay.
 */
static long child_join_cgroups(struct child_context *ctx, const struct fl_spawn_request *r)
{
    static const char writer[] = "0";
    for (int32_t i = 0; i < r->njoin_cgroups; i++) {
        long rc = raw_syscall3(__NR_write, r->join_cgroup_fds[i], writer, 1);
        if (rc < 0) {
            ctx->detail = i;
            return rc;
        }
    }
    return 0;
}

/*
 * execve, and with FL_SHELL_FALLBACK a file the kernel cannot execute (ENOEXEC) run as a shell
 * script, "/bin/sh file argv[1]...", as execvp and the JDK's childproc.c do. The caller left a
 * writable slot before argv, so the shell's argv is built in place; argv[0] is put back if the
 * shell cannot be run either, for the next candidate of a PATH search.
 */
static long child_exec(const struct fl_spawn_request *r, const char *file, char *const *envp)
{
    long rc = raw_syscall3(__NR_execve, file, r->argv, envp);
    if (rc != -ENOEXEC || !(r->flags & FL_SHELL_FALLBACK))
        return rc;
    static char shell[] = "/bin/sh";
    char **shell_argv = (char **)r->argv - 1;
    char *argv0 = shell_argv[1];
    shell_argv[0] = shell;
    shell_argv[1] = (char *)file;
    rc = raw_syscall3(__NR_execve, shell, shell_argv, envp);
    shell_argv[1] = argv0;
    return rc;
}

/*
 * The PATH search of execvp, done in the child as the JDK does it (its parent's PATH, not the
 * child's): each entry in turn; EACCES is remembered and the search goes on, so that a later
 * entry can still be found, and is what is reported if none is; "not here" errors go on; any
 * other error ends the search. No libc: the candidate is assembled on the child's stack.
 */
static long child_search_and_exec(const struct fl_spawn_request *r, char *const *envp)
{
    char candidate[4096]; /* PATH_MAX */
    size_t file_len = 0;
    while (r->path[file_len] != '\0')
        file_len++;
    int as_jdk = (r->flags & FL_SEARCH_AS_JDK) != 0;
    int saw_eacces = 0;
    long rc = -ENOENT;
    for (const char *entry = r->search_path;;) {
        const char *end = entry;
        while (*end != '\0' && *end != ':')
            end++;
        size_t dir_len = (size_t)(end - entry);
        if (dir_len + file_len + 2 >= sizeof candidate) {
            rc = -ENAMETOOLONG;
        } else {
            size_t n = 0;
            if (dir_len == 0 && as_jdk) {
                candidate[n++] = '.';
                candidate[n++] = '/';
            }
            for (size_t i = 0; i < dir_len; i++)
                candidate[n++] = entry[i];
            if (dir_len > 0 && candidate[n - 1] != '/')
                candidate[n++] = '/';
            for (size_t i = 0; i <= file_len; i++)
                candidate[n++] = r->path[i];
            rc = child_exec(r, candidate, envp);
            switch (-rc) {
            case EACCES:
                saw_eacces = 1;
                break;
            case ELOOP:
                if (!as_jdk)
                    return rc;
                break;
            case ENOENT:
            case ENOTDIR:
            case ESTALE:
            case ENODEV:
            case ETIMEDOUT:
                break;
            default:
                return rc;
            }
        }
        if (*end == '\0')
            break;
        entry = end + 1;
    }
    return saw_eacces ? -EACCES : rc;
}

static int child_main(void *arg)
{
    struct child_context *ctx = arg;
    const struct fl_spawn_request *r = ctx->request;
    long rc;

    ctx->started = 1;
    if (ctx->reset_handlers)
        child_reset_handlers();
    /* Before the unshare below: the procs fds need not be among the fds the child keeps. */
    if ((rc = child_join_cgroups(ctx, r)) < 0)
        return child_fail(ctx, rc, FL_STEP_JOIN_CGROUP);
    if (r->flags & FL_SHARE_FD_TABLE) {
        /* Born sharing the parent's fd table (CLONE_FILES), so nothing was copied at clone.
         * Take a private copy of only the fds below unshare_below: a JVM with thousands of
         * sockets open does not pay for copying and then closing every one of them. */
        if ((rc = raw_syscall3(__NR_close_range, r->unshare_below, ~0U, CLOSE_RANGE_UNSHARE)) < 0)
            return child_fail(ctx, rc, FL_STEP_CLOSE_RANGE);
    }
    if (r->flags & FL_SETSID) {
        if ((rc = raw_syscall0(__NR_setsid)) < 0)
            return child_fail(ctx, rc, FL_STEP_SETSID);
    } else if (r->flags & FL_SETPGID) {
        if ((rc = raw_syscall2(__NR_setpgid, 0, r->pgid)) < 0)
            return child_fail(ctx, rc, FL_STEP_SETPGID);
    }
    if (r->pdeathsig != 0) {
        if ((rc = raw_syscall2(__NR_prctl, PR_SET_PDEATHSIG, r->pdeathsig)) < 0)
            return child_fail(ctx, rc, FL_STEP_PDEATHSIG);
        /* The parent may have died before prctl took effect; then no signal would ever come. */
        if (raw_syscall0(__NR_getppid) != ctx->parent_pid)
            return child_fail(ctx, -ESRCH, FL_STEP_PDEATHSIG);
    }
    if ((rc = child_map_fds(r)) < 0)
        return child_fail(ctx, rc, FL_STEP_DUP);
    if ((rc = child_close_others(r)) < 0)
        return child_fail(ctx, rc, FL_STEP_CLOSE_RANGE);
    if (r->cwd != NULL && (rc = raw_syscall1(__NR_chdir, r->cwd)) < 0)
        return child_fail(ctx, rc, FL_STEP_CHDIR);
    if (r->flags & FL_UMASK)
        raw_syscall1(__NR_umask, r->umask);
    for (int32_t i = 0; i < r->nrlimits; i++) {
        /* struct rlimit64 is two u64s at the end of fl_rlimit */
        const struct fl_rlimit *l = &r->rlimits[i];
        if ((rc = raw_syscall4(__NR_prlimit64, 0, l->resource, &l->soft, 0)) < 0)
            return child_fail(ctx, rc, FL_STEP_RLIMIT);
    }
    if (r->flags & FL_IGNORE_LIBC_SIGNALS) {
        /* glibc's posix_spawn child up to 2.37 sets its internal signals (SIGCANCEL 32,
         * SIGSETXID 33) to SIG_IGN rather than SIG_DFL, and an ignored signal stays ignored across
         * execve: every child the JDK starts through jspawnhelper there has them ignored (SigIgn
         * in /proc). From 2.38 its clone3 path leaves them alone; the caller knows which. */
        struct kernel_sigaction ignore = {.handler = FL_SIG_IGN};
        raw_syscall4(__NR_rt_sigaction, 32, &ignore, 0, KERNEL_SIGSET_SIZE);
        raw_syscall4(__NR_rt_sigaction, 33, &ignore, 0, KERNEL_SIGSET_SIZE);
    }
    if (r->flags & FL_DEFAULT_PIPE_CHLD) {
        /* An ignored disposition survives execve, so a native library that set SIGPIPE to
         * SIG_IGN in the JVM would make every job deaf to a closed pipe (`yes | head` running on,
         * writing EPIPE errors), and one that ignored SIGCHLD would have the kernel reap a job's
         * own children at once, so that its wait() fails with ECHILD. Handlers are reset by CLONE_CLEAR_SIGHAND (or the legacy path) already; only
         * SIG_IGN is left to undo, and SIG_DFL undoes either. */
        struct kernel_sigaction dfl = {.handler = FL_SIG_DFL};
        raw_syscall4(__NR_rt_sigaction, FL_SIGPIPE, &dfl, 0, KERNEL_SIGSET_SIZE);
        raw_syscall4(__NR_rt_sigaction, FL_SIGCHLD, &dfl, 0, KERNEL_SIGSET_SIZE);
    } else if (r->flags & FL_DEFAULT_PIPE) {
        struct kernel_sigaction dfl = {.handler = FL_SIG_DFL};
        raw_syscall4(__NR_rt_sigaction, FL_SIGPIPE, &dfl, 0, KERNEL_SIGSET_SIZE);
    }
    static const uint64_t no_signals = 0;
    const uint64_t *mask = (r->flags & FL_EMPTY_SIGMASK) ? &no_signals : &ctx->caller_mask;
    if ((rc = raw_syscall4(__NR_rt_sigprocmask, FL_SIG_SETMASK, mask, 0, KERNEL_SIGSET_SIZE)) < 0)
        return child_fail(ctx, rc, FL_STEP_SIGMASK);
    char *const *envp = r->envp != NULL ? r->envp : *environ_variable;
    rc = (r->flags & FL_SEARCH_PATH) ? child_search_and_exec(r, envp) : child_exec(r, r->path, envp);
    return child_fail(ctx, rc, FL_STEP_EXEC);
}

/* ------------------------------------------------------------------------------------------ */
/* The parent.                                                                                 */

/* 1 when clone3 answered the probe, 0 when it was refused: decided once, at load. */
static int clone3_usable;

static int set_result_error(struct fl_spawn_result *res, int err, int32_t step)
{
    res->pid = -1;
    res->pidfd = -1;
    res->err = err;
    res->step = step;
    return -err;
}

/* Start the child on a lent stack with clone3 (legacy == 0) or clone (legacy == 1). */
static int spawn_on_lent_stack(const struct fl_spawn_request *r, struct fl_spawn_result *res, int legacy)
{
    struct lent_stack stack;
    if (borrow_stack(&stack) < 0)
        return set_result_error(res, ENOMEM, FL_STEP_STACK);

    struct child_context ctx = {
        .request = r,
        .parent_pid = r->pdeathsig != 0 ? (int32_t)raw_syscall0(__NR_getpid) : 0,
        .reset_handlers = legacy,
    };
    int32_t pidfd = -1;
    char *stack_top = stack.base + CHILD_GUARD_SIZE + CHILD_STACK_SIZE;
    struct clone_args args;
    memset(&args, 0, sizeof args);
    unsigned long share_files = (r->flags & FL_SHARE_FD_TABLE) ? CLONE_FILES : 0;
    args.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_CLEAR_SIGHAND | share_files;
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    args.exit_signal = FL_SIGCHLD; /* waitid(P_PIDFD) without __WCLONE needs SIGCHLD */
    args.stack = (uint64_t)(uintptr_t)(stack.base + CHILD_GUARD_SIZE);
    args.stack_size = CHILD_STACK_SIZE;
    if (r->flags & FL_INTO_CGROUP) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)(uint32_t)r->cgroup_fd;
    }

    /* Block everything, the C library's internal signals included, so that nothing runs on the
     * child's stack before the handlers are reset and our mask is in place. */
    uint64_t all = ~UINT64_C(0);
    raw_syscall4(__NR_rt_sigprocmask, FL_SIG_SETMASK, &all, &ctx.caller_mask, KERNEL_SIGSET_SIZE);
    long pid = legacy ? fl_clone_raw(CLONE_VM | CLONE_VFORK | CLONE_PIDFD | share_files | FL_SIGCHLD, stack_top, &pidfd,
                                     child_main, &ctx)
                      : fl_clone3_raw(&args, sizeof args, child_main, &ctx);
    raw_syscall4(__NR_rt_sigprocmask, FL_SIG_SETMASK, &ctx.caller_mask, 0, KERNEL_SIGSET_SIZE);
    /* CLONE_VFORK: the child has exec'd or exited, and is off the stack. */
    give_back_stack(&stack);

    if (pid < 0)
        return set_result_error(res, (int)-pid, FL_STEP_CLONE);
    if (ctx.err == 0 && !ctx.started) {
        /* Every signal is blocked in the child, so only SIGKILL ends it before its first
         * instruction: a cgroup.kill of its group. On kernels with Linux 6.14's kill_seq check
         * in cgroup_post_fork (and stable builds that took it; not all did) that also happens to
         * every child born, with CLONE_INTO_CGROUP, into a group that was ever killed. Report it
         * as a failed spawn, not as a child that ran. */
        ctx.err = ESRCH;
        ctx.step = FL_STEP_KILLED_AT_BIRTH;
    }
    if (ctx.err != 0) {
        /* The child has exited (CLONE_VFORK returns only after exec or exit): reap it now so
         * that a failed spawn leaves no zombie and no pidfd behind. */
        struct kernel_siginfo info;
        raw_syscall5(__NR_waitid, P_PIDFD, pidfd, &info, WEXITED, 0);
        raw_syscall1(__NR_close, pidfd);
        res->detail = ctx.detail;
        return set_result_error(res, ctx.err, ctx.step);
    }
    res->pid = (int32_t)pid;
    res->pidfd = pidfd;
    res->err = 0;
    res->step = FL_STEP_NONE;
    return 0;
}

/* Refused by the kernel or a seccomp filter, as opposed to failing for this request. */
static int refused(int rc, const struct fl_spawn_result *res)
{
    return (rc == -ENOSYS || rc == -EPERM) && res->step == FL_STEP_CLONE;
}

/*
 * clone3, or the legacy clone when clone3 is refused, or the C library's posix_spawn when clone is
 * refused too (a seccomp filter) or when the request asks for it (posixspawn.c).
 */
FL_API int fl_spawn(const struct fl_spawn_request *r, struct fl_spawn_result *res)
{
    res->method = FL_METHOD_CLONE3;
    res->detail = 0;
    if (r->flags & FL_FORCE_POSIX_SPAWN) {
        __atomic_fetch_add(&fallback_count, 1, __ATOMIC_RELAXED);
        return fl_posix_spawn(r, res);
    }
    if (__atomic_load_n(&clone3_usable, __ATOMIC_RELAXED)) {
        int rc = spawn_on_lent_stack(r, res, 0);
        /* With CLONE_INTO_CGROUP, EPERM may be about the group, so it is the caller's to see. */
        if (!refused(rc, res) || (r->flags & FL_INTO_CGROUP))
            return rc;
        /* A seccomp filter installed after load: remember, and take the fallback from now on. */
        __atomic_store_n(&clone3_usable, 0, __ATOMIC_RELAXED);
    }
    if (r->flags & FL_INTO_CGROUP)
        return set_result_error(res, ENOTSUP, FL_STEP_UNSUPPORTED);
    __atomic_fetch_add(&fallback_count, 1, __ATOMIC_RELAXED);
    res->method = FL_METHOD_CLONE;
    int rc = spawn_on_lent_stack(r, res, 1);
    /* The agent's requests carry exec semantics posix_spawn lacks: it takes the JDK's own path. */
    if (!refused(rc, res) || (r->flags & (FL_SEARCH_PATH | FL_SHELL_FALLBACK)))
        return rc;
    return fl_posix_spawn(r, res);
}

char *const *fl_current_environ(void)
{
    return *environ_variable;
}

/* ------------------------------------------------------------------------------------------ */
/* Exits and signals.                                                                          */

/* Reap a child whose pidfd polled readable. -EAGAIN: it has not exited after all. */
FL_API int fl_reap(int32_t pidfd, struct fl_exit *out)
{
    struct kernel_siginfo info;
    struct rusage usage;
    memset(&info, 0, sizeof info);
    memset(&usage, 0, sizeof usage);
    /* The system call has an rusage argument (glibc's waitid has none). */
    long rc = raw_syscall5(__NR_waitid, P_PIDFD, pidfd, &info, WEXITED | WNOHANG, &usage);
    if (rc < 0)
        return (int)rc;
    if (info.pid == 0)
        return -EAGAIN;
    out->pid = info.pid;
    out->code = info.code;
    out->status = info.status;
    out->reserved = 0;
    out->utime_us = (int64_t)usage.ru_utime.tv_sec * 1000000 + usage.ru_utime.tv_usec;
    out->stime_us = (int64_t)usage.ru_stime.tv_sec * 1000000 + usage.ru_stime.tv_usec;
    out->maxrss_kb = usage.ru_maxrss;
    return 0;
}

/* Wait for a child known only by its pid (one that posix_spawn started and that could not get
 * a pidfd), so that it leaves no zombie. */
FL_API int fl_wait_pid(int32_t pid)
{
    struct kernel_siginfo info;
    long rc;
    do
        rc = raw_syscall5(__NR_waitid, P_PID, pid, &info, WEXITED, 0);
    while (rc == -EINTR);
    return (int)rc;
}

FL_API int fl_pidfd_open(int32_t pid)
{
    return (int)raw_syscall2(__NR_pidfd_open, pid, 0); /* a pidfd is always close-on-exec */
}

#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP (1U << 2)
#endif

/* Signal the process, or with whole_group its process group, through the pidfd so that a
 * recycled pid can never be hit. */
FL_API int fl_pidfd_signal(int32_t pidfd, int32_t sig, int32_t whole_group)
{
    unsigned int flags = whole_group ? PIDFD_SIGNAL_PROCESS_GROUP : 0;
    return (int)raw_syscall4(__NR_pidfd_send_signal, pidfd, sig, 0, flags);
}

/* ------------------------------------------------------------------------------------------ */
/* fds, pipes and epoll, all close-on-exec from birth.                                         */

FL_API int fl_pipe(int32_t *fds)
{
    return (int)raw_syscall2(__NR_pipe2, fds, O_CLOEXEC);
}

FL_API int fl_set_nonblocking(int32_t fd)
{
    long flags = raw_syscall2(__NR_fcntl, fd, F_GETFL);
    if (flags < 0)
        return (int)flags;
    long rc = raw_syscall3(__NR_fcntl, fd, F_SETFL, flags | O_NONBLOCK);
    return rc < 0 ? (int)rc : 0;
}

/* There is no open(2) on aarch64; openat with AT_FDCWD is the same call everywhere. */
FL_API int fl_open(const char *path, int32_t flags, int32_t mode)
{
    long fd;
    do
        fd = raw_syscall4(__NR_openat, AT_FDCWD, path, flags | O_CLOEXEC, mode);
    while (fd == -EINTR);
    return (int)fd;
}

FL_API int fl_close(int32_t fd)
{
    /* Linux closes the fd even when close reports EINTR, so it is never retried. */
    long rc = raw_syscall1(__NR_close, fd);
    return rc < 0 && rc != -EINTR ? (int)rc : 0;
}

FL_API long fl_read(int32_t fd, void *buf, int64_t len)
{
    return raw_syscall3(__NR_read, fd, buf, len);
}

FL_API long fl_write(int32_t fd, const void *buf, int64_t len)
{
    return raw_syscall3(__NR_write, fd, buf, len);
}

FL_API int fl_epoll_create(void)
{
    return (int)raw_syscall1(__NR_epoll_create1, EPOLL_CLOEXEC);
}

FL_API int fl_epoll_ctl(int32_t epfd, int32_t op, int32_t fd, uint32_t events, uint64_t token)
{
    struct epoll_event ev = {.events = events, .data = token};
    return (int)raw_syscall4(__NR_epoll_ctl, epfd, op, fd, &ev);
}

/* epoll_event is packed on x86_64 only; unpacking here keeps Java free of that difference.
 * epoll_pwait with no mask is epoll_wait, which aarch64 does not have. */
FL_API int fl_epoll_wait(int32_t epfd, uint64_t *tokens, uint32_t *events, int32_t max, int32_t timeout_ms)
{
    struct epoll_event evs[256];
    if (max > 256)
        max = 256;
    long n;
    do
        n = raw_syscall6(__NR_epoll_pwait, epfd, (long)evs, max, timeout_ms, 0, KERNEL_SIGSET_SIZE);
    while (n == -EINTR);
    if (n < 0)
        return (int)n;
    for (long i = 0; i < n; i++) {
        tokens[i] = evs[i].data;
        events[i] = evs[i].events;
    }
    return (int)n;
}

/* A close-on-exec copy of an fd, for a thread that must block on it while another may close
 * the original. */
FL_API int fl_dup(int32_t fd)
{
    return (int)raw_syscall3(__NR_fcntl, fd, F_DUPFD_CLOEXEC, 0);
}

/* Make target refer to what fd refers to, close-on-exec: fills a reserved low fd slot. */
FL_API int fl_dup3(int32_t fd, int32_t target)
{
    long rc = raw_syscall3(__NR_dup3, fd, target, O_CLOEXEC);
    return rc < 0 ? (int)rc : 0;
}

/* Block until fd is readable: 1, or 0 on timeout (-1 waits forever). EINTR is retried with
 * the full timeout, which only lengthens a wait that a signal interrupted. ppoll, because
 * aarch64 has no poll. */
FL_API int fl_poll_readable(int32_t fd, int32_t timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    struct __kernel_timespec timeout = {.tv_sec = timeout_ms / 1000, .tv_nsec = (long)(timeout_ms % 1000) * 1000000};
    long n;
    do
        n = raw_syscall5(__NR_ppoll, &p, 1, timeout_ms < 0 ? NULL : &timeout, 0, KERNEL_SIGSET_SIZE);
    while (n == -EINTR);
    return (int)n;
}

/* fcntl(F_SETLEASE): a read lease is granted only when no fd of any process has the file open
 * for writing, which makes taking one (and dropping it at once) the one exact test of "can
 * anything still write to this file?" that Linux offers. forkline parallel asks it before it
 * hands a job's spent output file to the next job (see Shim.openForWriting). */
FL_API int fl_set_lease(int32_t fd, int32_t type)
{
    long rc = raw_syscall3(__NR_fcntl, fd, F_SETLEASE, type);
    return rc < 0 ? (int)rc : 0;
}

FL_API int fl_eventfd(void)
{
    return (int)raw_syscall2(__NR_eventfd2, 0, FL_EFD_CLOEXEC | FL_EFD_NONBLOCK);
}

/* ------------------------------------------------------------------------------------------ */
/* Introspection: ABI checks, error names, counters for leak tests.                            */

FL_API int64_t fl_layout(int32_t item)
{
    switch (item) {
    case FL_LAYOUT_ABI_VERSION: return FL_ABI_VERSION;
    case FL_LAYOUT_REQUEST_SIZE: return sizeof(struct fl_spawn_request);
    case FL_LAYOUT_RESULT_SIZE: return sizeof(struct fl_spawn_result);
    case FL_LAYOUT_EXIT_SIZE: return sizeof(struct fl_exit);
    case FL_LAYOUT_FD_MAP_SIZE: return sizeof(struct fl_fd_map);
    case FL_LAYOUT_RLIMIT_SIZE: return sizeof(struct fl_rlimit);
    case FL_LAYOUT_REQUEST_CGROUP_FD: return offsetof(struct fl_spawn_request, cgroup_fd);
    case FL_LAYOUT_EXIT_MAXRSS: return offsetof(struct fl_exit, maxrss_kb);
    case FL_LAYOUT_REQUEST_UNSHARE_BELOW: return offsetof(struct fl_spawn_request, unshare_below);
    case FL_LAYOUT_REQUEST_JOIN_CGROUP_FDS: return offsetof(struct fl_spawn_request, join_cgroup_fds);
    case FL_LAYOUT_REQUEST_SEARCH_PATH: return offsetof(struct fl_spawn_request, search_path);
    /* Not layout but the same kind of fact: open(2) flags whose values differ by architecture. */
    case FL_LAYOUT_O_DIRECTORY: return O_DIRECTORY;
    case FL_LAYOUT_O_NOFOLLOW: return O_NOFOLLOW;
    default: return -1;
    }
}

FL_API int64_t fl_counter(int32_t which)
{
    switch (which) {
    case FL_COUNTER_STACKS_LENT: return __atomic_load_n(&stacks_lent, __ATOMIC_RELAXED);
    case FL_COUNTER_FALLBACKS: return __atomic_load_n(&fallback_count, __ATOMIC_RELAXED);
    case FL_COUNTER_CLONE3_USABLE: return __atomic_load_n(&clone3_usable, __ATOMIC_RELAXED);
    case FL_COUNTER_STACKS_MAPPED: return __atomic_load_n(&stacks_mapped, __ATOMIC_RELAXED);
    default: return -1;
    }
}

static void copy_text(char *to, int32_t size, const char *from)
{
    int32_t n = 0;
    for (; from != NULL && from[n] != '\0' && n + 1 < size; n++)
        to[n] = from[n];
    if (size > 0)
        to[n] = '\0';
}

/* "ENOENT" and "No such file or directory" for an errno; both empty when unknown. */
FL_API void fl_errno_text(int32_t err, char *name, int32_t name_len, char *text, int32_t text_len)
{
    copy_text(name, name_len, fl_errno_name(err));
    copy_text(text, text_len, fl_errno_description(err));
}

/*
 * Remember where the process's environ is, and decide once whether clone3 may be used. A
 * clone_args size below the first version is rejected with EINVAL by any kernel that has
 * clone3; ENOSYS or EPERM mean it is missing or filtered. Java calls this right after loading
 * and reports what it found. environ_address is &environ of the process's C library (Java
 * finds it through fl_libc_symbol, shimjni.c and jdkspawn.c alike); it may not be NULL.
 */
FL_API int fl_init(char **const *environ_address)
{
    if (environ_address == NULL)
        return -EINVAL;
    environ_variable = environ_address;
    clone3_usable = raw_syscall2(__NR_clone3, 0, 0) == -EINVAL;
    return clone3_usable;
}
