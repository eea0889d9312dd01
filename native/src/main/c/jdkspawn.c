/*
 * jdkspawn.c: the JDK's ProcessImpl.forkAndExec on forkline's clone3 child, for the drop-in agent.
 *
 * The agent (module `agent`) rewrites the one call in java.lang.ProcessImpl's constructor to its
 * native forkAndExec so that it reaches io.forkline.agent.NativeSpawn.forkAndExec instead,
 * with the same arguments. This file is that native method. It takes exactly what the JDK's
 * Java_java_lang_ProcessImpl_forkAndExec takes and gives back what it gives: the pid and the
 * parent's pipe ends in fds[], or a failure as (errno, where it happened), from which Java
 * builds the IOException in the running JDK's own words (they changed within JDK 25's updates)
 * for ProcessBuilder.start to wrap in its "Cannot run program" message. Everything above that
 * call (Process, ProcessHandle, streams, the reaper, the JFR event) stays the JDK's own code.
 *
 * Why an entry of its own, beside the library's (shimjni.c)
 * ----------------------------------------------------------
 * The agent runs in every JVM it is given to, most of which spawn once or never (a build tool's
 * helper JVMs), and takes the JDK's arguments as the JDK's native method gets them. The whole
 * spawn is therefore one JNI call into C, which builds the request from those arrays and calls
 * fl_spawn directly; no class of the library is loaded.
 *
 * The JDK's semantics, and where each comes from (childproc.c and ProcessImpl_md.c, JDK 17, 21, 25)
 * ---------------------------------------------------------------------------------------------------
 *   - fds[i] == -1 asks for a pipe (blocking, as the JDK's are; ours are also O_CLOEXEC in the
 *     parent); any other value is the fd the child gets as stdin, stdout or stderr.
 *   - redirectErrorStream: the child's stderr is its stdout; the stderr pipe is still made and
 *     its parent end handed back, so the Process's error stream ends at once, as the JDK's does.
 *   - argv[0] is the program exactly as given; the environment block is passed verbatim, or the
 *     parent's environ when it is null; chdir happens in the child.
 *   - PATH search in the child for a name without '/': with an explicit environment, the PATH
 *     the JVM had when the agent started (ProcessImpl captures it at class initialisation; the
 *     JVM's environment cannot change from Java), ":/bin:/usr/bin" when it had none, and
 *     childproc.c's rules; with the inherited environment, glibc execvp's (the JDK calls execvp
 *     then), the PATH of the moment and "/bin:/usr/bin".
 *   - ENOEXEC runs the file with /bin/sh; EACCES keeps searching and is reported at the end.
 *   - the child execs with no signal blocked (JDK 20 and later, JDK-8234262; JDK 17's child keeps
 *     the spawning Java thread's mask, in which HotSpot blocks SIGQUIT) and every fd from 3 up
 *     closed; SIGPIPE at SIG_DFL where the JDK sets it so (JDK-8364611: 25.0.3 and later; not
 *     17.0.19 nor 21.0.13, whose libjava and jspawnhelper call no signal()); glibc's internal
 *     signals 32 and 33 ignored, as glibc's posix_spawn leaves them in jspawnhelper, which passes
 *     them on to the program it execs.
 * What is forkline's: one clone3 (no jspawnhelper, no second exec, no walk of /proc/self/fd),
 * and, when a few low fds are free, a child born sharing the fd table that copies only those.
 *
 * Like the rest of the shim this file calls no C library (sys.h): jni.h is included for its
 * types only, memory for a spawn's strings is the caller's stack or one anonymous mapping
 * (scratch.c), and the environment is read through the address of `environ` that the agent
 * passes to init.
 */
#include <jni.h>

#include "forkline.h"
#include "libcsym.h"
#include "scratch.h"
#include "sys.h"

/* The native methods of io.forkline.agent.NativeSpawn (what javac -h would declare). */
JNIEXPORT jint JNICALL Java_io_forkline_agent_NativeSpawn_init(JNIEnv *env, jclass cls, jint slots,
                                                                jint jdk_child);
JNIEXPORT jint JNICALL Java_io_forkline_agent_NativeSpawn_forkAndExec(
    JNIEnv *env, jclass cls, jbyteArray prog, jbyteArray arg_block, jint argc, jbyteArray env_block, jint envc,
    jbyteArray dir, jintArray std_fds, jboolean redirect_error_stream, jintArray failure);
JNIEXPORT jstring JNICALL Java_io_forkline_agent_NativeSpawn_errnoText(JNIEnv *env, jclass cls, jint err);

/* Returned when the spawn failed; failure[] = {errno, where}. */
#define JDKSPAWN_FAILED (-1)
/* Returned when this spawn cannot be done here (clone3 and clone both refused by the kernel or
 * a seccomp filter), so the caller takes the JDK's own path. */
#define JDKSPAWN_FALL_BACK (-2)

/* Where a spawn failed, which decides the JDK's words for it (NativeSpawn.java mirrors these). */
enum jdkspawn_where {
    WHERE_PIPE = 1,   /* making the stdio pipes */
    WHERE_SPAWN = 2,  /* starting the child (clone3: EAGAIN, ENOMEM, ...) */
    WHERE_CHDIR = 3,  /* the child's chdir */
    WHERE_EXEC = 4,   /* any other step in the child, execve included */
    WHERE_MEMORY = 5, /* memory for the spawn's strings in the parent */
};

static char **const *environ_variable;

/* getenv over the process's environ, read at the moment of the call. */
static const char *environment_value(const char *name)
{
    size_t length = fl_strlen(name);
    for (char **entry = *environ_variable; entry != NULL && *entry != NULL; entry++)
        if (memcmp(*entry, name, length) == 0 && (*entry)[length] == '=')
            return *entry + length + 1;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Low fds held from the agent's start, so that a child can be born sharing the fd table      */
/* (CLONE_FILES) and copy only the fds below a small bound. The library's FdSlots does the    */
/* same for a Launcher; see there for why. Here a bit per slot, taken and given back with CAS. */

#define MAX_SLOTS 16
static int slot_fds[MAX_SLOTS];
static int slot_count;
static int slot_placeholder = -1;
static uint32_t slots_taken; /* __atomic builtins */

/* The JVM's PATH at start, for searches with an explicit environment (childproc.c's parentPathv). */
static char *parent_path;
/* Whether the JVM's C library leaves a posix_spawn child's signal dispositions to clone3, which
 * decides whether the JDK's children have glibc's internal signals (32 and 33) ignored: they
 * inherit them from the posix_spawn child that becomes jspawnhelper. glibc up to 2.37 sets them to
 * SIG_IGN there; 2.38 (commit 2053c11331, "linux: Add clone3 CLONE_CLEAR_SIGHAND optimization to
 * posix_spawn") leaves every disposition to clone3, which resets handlers and keeps what the JVM
 * ignores. Seen on Debian: bookworm's 2.36 children have SigIgn 0x180000000, trixie's 2.41
 * children nothing added. Told by the symbols, no call: 2.38 added strlcpy. A C library that is
 * not glibc (musl) is taken to behave as 2.36 did, untested. Where it does not,
 * or clone3 is refused and it falls back to clone, it sets its internal signals to SIG_IGN, and
 * the JDK's children have them ignored: so do ours. */
static int libc_leaves_signals_to_clone3;
/* What the running JDK's child does with signals, told by Java (NativeSpawn.jdkChild):
 * JDK_DEFAULT_PIPE, it sets SIGPIPE back to SIG_DFL (JDK-8364611, 25.0.3; SIGCHLD it leaves as the
 * JVM has it, and ProcessImpl's initialisation set that to SIG_DFL unless a library changed it since);
 * JDK_CALLER_MASK, it execs with the spawning thread's signal mask, where HotSpot blocks SIGQUIT
 * (JDK 17: jspawnhelper empties the mask only from JDK 20, JDK-8234262). */
#define JDK_DEFAULT_PIPE 1
#define JDK_CALLER_MASK 2
static int jdk_child_signals;

static int take_slot(void)
{
    uint32_t taken = __atomic_load_n(&slots_taken, __ATOMIC_RELAXED);
    for (;;) {
        int free_index = -1;
        for (int i = 0; i < slot_count; i++) {
            if (!(taken & (UINT32_C(1) << i))) {
                free_index = i;
                break;
            }
        }
        if (free_index < 0)
            return -1;
        if (__atomic_compare_exchange_n(&slots_taken, &taken, taken | (UINT32_C(1) << free_index), 0,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return free_index;
    }
}

static void give_back_slot(int index)
{
    /* /dev/null back in the slot drops the parent's extra reference to the pipe or file. */
    if (fl_dup3(slot_placeholder, slot_fds[index]) < 0)
        return; /* cannot happen for a slot we hold; keep it out of use rather than risk a wrong fd */
    __atomic_fetch_and(&slots_taken, ~(UINT32_C(1) << index), __ATOMIC_RELEASE);
}

/*
 * Called before the agent's first spawn; again (a second attach) it only answers. The JVM's
 * environ and whether its glibc leaves a child's signals to clone3 are read from the C library's
 * symbols without calling it (libcsym.c): glibc 2.38 added strlcpy along with that change.
 * Returns whether clone3 is usable (fl_init), or -errno if not even the slots could be made.
 */
JNIEXPORT jint JNICALL Java_io_forkline_agent_NativeSpawn_init(JNIEnv *env, jclass cls, jint slots,
                                                                jint jdk_child)
{
    __atomic_store_n(&jdk_child_signals, jdk_child, __ATOMIC_RELAXED);
    if (parent_path != NULL)
        return fl_init(environ_variable); /* attached a second time: the slots and the PATH are taken */
    uintptr_t environ_address = fl_libc_symbol("environ");
    if (environ_address == 0)
        return -ENOENT;
    int glibc_238 = fl_libc_symbol("gnu_get_libc_version") != 0 && fl_libc_symbol("strlcpy") != 0;
    __atomic_store_n(&libc_leaves_signals_to_clone3, glibc_238, __ATOMIC_RELAXED);
    environ_variable = (char **const *)environ_address;
    const char *path = environment_value("PATH");
    if (path == NULL)
        path = ":/bin:/usr/bin";
    size_t length = fl_strlen(path) + 1;
    char *copy = sys_mmap(length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (copy == NULL)
        return -ENOMEM;
    memcpy(copy, path, length);
    slot_placeholder = fl_open("/dev/null", O_RDONLY, 0);
    if (slot_placeholder < 0) {
        sys_munmap(copy, length);
        return slot_placeholder;
    }
    parent_path = copy;
    int wanted = slots < MAX_SLOTS ? slots : MAX_SLOTS;
    for (slot_count = 0; slot_count < wanted; slot_count++) {
        long fd = raw_syscall3(__NR_fcntl, slot_placeholder, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
            break; /* fewer slots only means fewer spawns that share the table */
        slot_fds[slot_count] = (int)fd;
    }
    return fl_init(environ_variable);
}

/* ------------------------------------------------------------------------------------------ */
/* The spawn.                                                                                  */

JNIEXPORT jstring JNICALL Java_io_forkline_agent_NativeSpawn_errnoText(JNIEnv *env, jclass cls, jint err)
{
    char name[64], text[256];
    fl_errno_text(err, name, sizeof name, text, sizeof text);
    return (*env)->NewStringUTF(env, text);
}

static jint fail(JNIEnv *env, jintArray failure, int err, int where)
{
    jint record[2] = {err, where};
    (*env)->SetIntArrayRegion(env, failure, 0, 2, record);
    return JDKSPAWN_FAILED;
}

static void close_if_open(int fd)
{
    if (fd >= 0)
        fl_close(fd);
}

/* A Java byte[] holding a NUL-terminated C string (ProcessImpl.toCString), copied to C memory. */
static char *copy_bytes(JNIEnv *env, struct fl_scratch *m, jbyteArray array)
{
    jsize length = (*env)->GetArrayLength(env, array);
    char *copy = fl_scratch_take(m, (size_t)length + 1);
    (*env)->GetByteArrayRegion(env, array, 0, length, (jbyte *)copy);
    copy[length] = '\0';
    return copy;
}

/* Splits a block of `count` NUL-terminated strings into vector[0..count-1], NULL after them. A
 * block with fewer strings than `count` (a JDK bug, never seen) ends the vector early. */
static void split_block(char *block, size_t block_length, jint count, char **vector)
{
    size_t offset = 0;
    jint i = 0;
    for (; i < count && offset < block_length; i++) {
        vector[i] = block + offset;
        offset += fl_strlen(block + offset) + 1;
    }
    vector[i] = NULL;
}

static int has_slash(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s == '/')
            return 1;
    return 0;
}

JNIEXPORT jint JNICALL Java_io_forkline_agent_NativeSpawn_forkAndExec(
    JNIEnv *env, jclass cls, jbyteArray prog, jbyteArray arg_block, jint argc, jbyteArray env_block, jint envc,
    jbyteArray dir, jintArray std_fds, jboolean redirect_error_stream, jintArray failure)
{
    int result = -1;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    int slots[3] = {-1, -1, -1};
    char **envv = NULL;
    char *cwd = NULL;
    jint fds[3];

    /* Everything this spawn copies, counted first so that it is one piece of memory. */
    size_t args_length = (size_t)(*env)->GetArrayLength(env, arg_block);
    size_t env_length = env_block != NULL ? (size_t)(*env)->GetArrayLength(env, env_block) : 0;
    size_t needed = fl_scratch_aligned((size_t)(*env)->GetArrayLength(env, prog) + 1) + fl_scratch_aligned(args_length + 1)
                    + fl_scratch_aligned(sizeof(char *) * ((size_t)argc + 3));
    if (env_block != NULL)
        needed += fl_scratch_aligned(env_length + 1) + fl_scratch_aligned(sizeof(char *) * ((size_t)envc + 1));
    if (dir != NULL)
        needed += fl_scratch_aligned((size_t)(*env)->GetArrayLength(env, dir) + 1);
    char small[FL_SCRATCH_SMALL] __attribute__((aligned(8)));
    struct fl_scratch memory;
    if (fl_scratch_open(&memory, small, needed) < 0)
        return fail(env, failure, ENOMEM, WHERE_MEMORY);

    char *program = copy_bytes(env, &memory, prog);
    char *args = copy_bytes(env, &memory, arg_block);
    /* argv[-1] is the slot the shell fallback needs; then argv[0] = the program as given. */
    char **argv_with_slot = fl_scratch_take(&memory, sizeof(char *) * ((size_t)argc + 3));
    argv_with_slot[0] = NULL;
    argv_with_slot[1] = program;
    split_block(args, args_length, argc, argv_with_slot + 2);
    if (env_block != NULL) {
        char *environment = copy_bytes(env, &memory, env_block);
        envv = fl_scratch_take(&memory, sizeof(char *) * ((size_t)envc + 1));
        split_block(environment, env_length, envc, envv);
    }
    if (dir != NULL)
        cwd = copy_bytes(env, &memory, dir);
    (*env)->GetIntArrayRegion(env, std_fds, 0, 3, fds);

    int rc;
    if ((fds[0] == -1 && (rc = fl_pipe(in)) < 0) || (fds[1] == -1 && (rc = fl_pipe(out)) < 0)
        || (fds[2] == -1 && (rc = fl_pipe(err)) < 0)) {
        result = fail(env, failure, -rc, WHERE_PIPE);
        goto done;
    }

    struct fl_fd_map map[3] = {
        {fds[0] == -1 ? in[0] : fds[0], 0},
        {fds[1] == -1 ? out[1] : fds[1], 1},
        {fds[2] == -1 ? err[1] : fds[2], 2},
    };
    if (redirect_error_stream)
        map[2].source = map[1].source;
    const int32_t sources[3] = {map[0].source, map[1].source, map[2].source};

    struct fl_spawn_request request;
    memset(&request, 0, sizeof request);
    /* Every source at or above 3 into a low slot, so that the child may share the table. */
    int share = 1, highest = 2;
    for (int i = 0; i < 3 && share; i++) {
        if (i == 2 && redirect_error_stream) {
            map[2].source = map[1].source; /* stdout's, already in its slot */
            continue;
        }
        if (map[i].source < 3)
            continue;
        slots[i] = take_slot();
        if (slots[i] < 0 || fl_dup3(map[i].source, slot_fds[slots[i]]) < 0) {
            share = 0;
            break;
        }
        map[i].source = slot_fds[slots[i]];
        if (map[i].source > highest)
            highest = map[i].source;
    }
    if (!share) {
        /* Not enough slots free (many spawns at once): copy the table, as a plain clone does. */
        for (int i = 0; i < 3; i++) {
            if (slots[i] >= 0) {
                give_back_slot(slots[i]);
                slots[i] = -1;
            }
        }
        for (int i = 0; i < 3; i++)
            map[i].source = sources[i];
    } else {
        request.flags |= FL_SHARE_FD_TABLE;
        request.unshare_below = highest + 1;
    }

    request.path = program;
    request.argv = argv_with_slot + 1;
    request.envp = envv;
    request.cwd = cwd;
    request.fds = map;
    request.nfds = 3;
    request.flags |= FL_SHELL_FALLBACK;
    int jdk_child = __atomic_load_n(&jdk_child_signals, __ATOMIC_RELAXED);
    if (!(jdk_child & JDK_CALLER_MASK))
        request.flags |= FL_EMPTY_SIGMASK;
    if (!__atomic_load_n(&libc_leaves_signals_to_clone3, __ATOMIC_RELAXED) || fl_counter(FL_COUNTER_CLONE3_USABLE) == 0)
        request.flags |= FL_IGNORE_LIBC_SIGNALS;
    if (jdk_child & JDK_DEFAULT_PIPE)
        request.flags |= FL_DEFAULT_PIPE;
    if (program[0] != '\0' && !has_slash(program)) {
        request.flags |= FL_SEARCH_PATH;
        if (envv != NULL) {
            request.flags |= FL_SEARCH_AS_JDK;
            request.search_path = parent_path;
        } else {
            const char *path = environment_value("PATH");
            request.search_path = path != NULL ? path : "/bin:/usr/bin";
        }
    }

    struct fl_spawn_result spawned;
    rc = fl_spawn(&request, &spawned);
    for (int i = 0; i < 3; i++)
        if (slots[i] >= 0)
            give_back_slot(slots[i]);
    if (rc < 0) {
        if (spawned.step == FL_STEP_UNSUPPORTED
            || (spawned.step == FL_STEP_CLONE && (spawned.err == ENOSYS || spawned.err == EPERM)))
            result = JDKSPAWN_FALL_BACK;
        else if (spawned.step == FL_STEP_CLONE || spawned.step == FL_STEP_STACK)
            result = fail(env, failure, spawned.err, WHERE_SPAWN);
        else
            result = fail(env, failure, spawned.err, spawned.step == FL_STEP_CHDIR ? WHERE_CHDIR : WHERE_EXEC);
        goto done;
    }
    /* The JDK reaps with waitpid(pid) on its own reaper thread; the pidfd is not needed. */
    fl_close(spawned.pidfd);
    fds[0] = in[1];
    fds[1] = out[0];
    fds[2] = err[0];
    in[1] = out[0] = err[0] = -1; /* now the Process's */
    (*env)->SetIntArrayRegion(env, std_fds, 0, 3, fds);
    result = spawned.pid;

done:
    /* The child's ends always, and the parent's ends unless they went to the Process. */
    close_if_open(in[0]);
    close_if_open(out[1]);
    close_if_open(err[1]);
    close_if_open(in[1]);
    close_if_open(out[0]);
    close_if_open(err[0]);
    fl_scratch_close(&memory);
    return result;
}
