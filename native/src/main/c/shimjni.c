/*
 * shimjni.c: the library's JNI entry into the shim, the native methods of
 * io.forkline.sys.shim.Natives. The drop-in agent has its own (jdkspawn.c); both are this one
 * library.
 *
 * Why JNI, not FFM
 * ----------------
 * FFM is final only from JDK 22, and most JVMs in use run 17 or 21; and its first downcalls in a
 * JVM cost about a hundred milliseconds of linking (method-handle forms, a binding class and a
 * stub per signature), which every short-lived tool that starts one child paid. A JNI method is
 * bound by one symbol lookup on its first call. What FFM gave that matters is kept:
 *   - errno without races: every fl_* function returns -errno itself, and these wrappers pass it
 *     on, so nothing reads a thread's errno after the fact;
 *   - layouts checked: the request and result structs are built here, in C, from flat Java
 *     arrays, so Java assumes no offset at all; the ABI version is still checked at load
 *     (fl_layout), so a jar and a library from different builds fail loudly then;
 *   - no copy beyond the one a C string needs: strings arrive as one UTF-8 block that is copied
 *     once, to the caller's stack (or one mapping when large), as FFM's allocateFrom copied
 *     them to an arena; pipe reads and writes go straight to and from direct buffers.
 *
 * The Java side (Natives.java) lists the same methods. Nothing here throws: every failure is a
 * negative errno, which Java turns into a SyscallException in one place (Errors.java). A call
 * that may block (spawn, epoll_wait, poll, open) is an ordinary JNI call, which never holds up a
 * safepoint; none takes a critical region on a Java array.
 */
#include <jni.h>

#include "cgroupfs.h"
#include "forkline.h"
#include "libcsym.h"
#include "scratch.h"
#include "sys.h"

#define NATIVE(name) JNICALL Java_io_forkline_sys_shim_Natives_##name

/* Their prototypes are the native methods of Natives.java; the JVM finds them by name. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

/* A name (a path, a cgroup file) as a C string in `buffer`, or -ENAMETOOLONG. */
#define NAME_BYTES 4096 /* PATH_MAX, its NUL included */
static int c_name(JNIEnv *env, jbyteArray bytes, char *buffer)
{
    jsize length = (*env)->GetArrayLength(env, bytes);
    if (length >= NAME_BYTES)
        return -ENAMETOOLONG;
    (*env)->GetByteArrayRegion(env, bytes, 0, length, (jbyte *)buffer);
    buffer[length] = '\0';
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Loading.                                                                                    */

/* The C library's `environ` is found by its symbol (libcsym.c): the shim links no C library. */
JNIEXPORT jint NATIVE(init)(JNIEnv *env, jclass cls)
{
    uintptr_t environ_address = fl_libc_symbol("environ");
    if (environ_address == 0)
        return -ENOENT;
    return fl_init((char **const *)environ_address);
}

JNIEXPORT jlong NATIVE(layout)(JNIEnv *env, jclass cls, jint item)
{
    return fl_layout(item);
}

JNIEXPORT jlong NATIVE(counter)(JNIEnv *env, jclass cls, jint which)
{
    return fl_counter(which);
}

JNIEXPORT jstring NATIVE(errnoName)(JNIEnv *env, jclass cls, jint err)
{
    char name[64], text[256];
    fl_errno_text(err, name, sizeof name, text, sizeof text);
    return (*env)->NewStringUTF(env, name);
}

JNIEXPORT jstring NATIVE(errnoText)(JNIEnv *env, jclass cls, jint err)
{
    char name[64], text[256];
    fl_errno_text(err, name, sizeof name, text, sizeof text);
    return (*env)->NewStringUTF(env, text);
}

/* A direct buffer over memory of its own, freed by freeBuffer rather than by the garbage
 * collector: an event loop's read buffer goes when the loop closes. NULL when out of memory. */
JNIEXPORT jobject NATIVE(mapBuffer)(JNIEnv *env, jclass cls, jint size)
{
    void *p = size > 0 ? fl_map_counted((size_t)size) : NULL;
    if (p == NULL)
        return NULL;
    jobject buffer = (*env)->NewDirectByteBuffer(env, p, size);
    if (buffer == NULL)
        fl_unmap_counted(p, (size_t)size);
    return buffer;
}

JNIEXPORT void NATIVE(unmapBuffer)(JNIEnv *env, jclass cls, jobject buffer)
{
    void *p = (*env)->GetDirectBufferAddress(env, buffer);
    jlong size = (*env)->GetDirectBufferCapacity(env, buffer);
    if (p != NULL && size > 0)
        fl_unmap_counted(p, (size_t)size);
}

/* What this file has mapped and not yet unmapped: 0 whenever no call is running and no buffer is out. */
JNIEXPORT jlong NATIVE(mappedBytes)(JNIEnv *env, jclass cls)
{
    return fl_scratch_mapped_bytes();
}

/* ------------------------------------------------------------------------------------------ */
/* Spawning.                                                                                   */

/* Natives.spawn's ints[]: these fields, then the fd map's pairs, the kept fds and the join fds. */
enum spawn_int {
    SPAWN_FLAGS,
    SPAWN_PGID,
    SPAWN_PDEATHSIG,
    SPAWN_UMASK,
    SPAWN_CGROUP_FD,
    SPAWN_UNSHARE_BELOW,
    SPAWN_HAS_CWD,
    SPAWN_FD_PAIRS,
    SPAWN_KEEP,
    SPAWN_JOINS,
    SPAWN_HEADER, /* the number of fields above */
};

/* Splits `count` NUL-terminated strings starting at *at into vector[0..count-1], NULL after them;
 * a block that ends early ends the vector early. */
static char *split(char *at, const char *end, jint count, char **vector)
{
    jint i = 0;
    for (; i < count && at < end; i++) {
        vector[i] = at;
        at += fl_strlen(at) + 1;
    }
    vector[i] = NULL;
    return at;
}

/*
 * strings[0, strings_length): path, argv[argc], env[envc] (envc -1: inherit the JVM's), cwd when
 * ints says so, each NUL-terminated. result[6]: pid, pidfd, errno, step, method, detail (struct
 * fl_spawn_result). Returns 0 or -errno.
 */
JNIEXPORT jint NATIVE(spawn)(JNIEnv *env, jclass cls, jbyteArray strings, jint strings_length, jint argc, jint envc,
                             jintArray ints, jlongArray rlimits, jintArray result)
{
    jsize ints_length = (*env)->GetArrayLength(env, ints);
    jsize rlimit_values = rlimits != NULL ? (*env)->GetArrayLength(env, rlimits) : 0;
    size_t nrlimits = (size_t)rlimit_values / 3;
    size_t needed = (size_t)strings_length + 8 + sizeof(char *) * ((size_t)argc + 1)
                    + sizeof(char *) * ((size_t)(envc > 0 ? envc : 0) + 1) + sizeof(jint) * (size_t)ints_length + 8
                    + sizeof(struct fl_rlimit) * nrlimits + 32;
    char small[FL_SCRATCH_SMALL] __attribute__((aligned(8)));
    struct fl_scratch memory;
    struct fl_spawn_result spawned = {-1, -1, 0, FL_STEP_NONE, FL_METHOD_CLONE3, 0};
    int rc = fl_scratch_open(&memory, small, needed);
    if (rc < 0) {
        spawned.err = ENOMEM; /* memory for the strings: reported as the spawn's */
        goto done;
    }

    char *block = fl_scratch_take(&memory, (size_t)strings_length + 1);
    (*env)->GetByteArrayRegion(env, strings, 0, strings_length, (jbyte *)block);
    block[strings_length] = '\0';
    const char *end = block + strings_length;
    int32_t *fields = fl_scratch_take(&memory, sizeof(jint) * (size_t)ints_length);
    (*env)->GetIntArrayRegion(env, ints, 0, ints_length, (jint *)fields);

    struct fl_spawn_request request;
    memset(&request, 0, sizeof request);
    char *at = block;
    request.path = at;
    at += fl_strlen(at) + 1;
    char **argv = fl_scratch_take(&memory, sizeof(char *) * ((size_t)argc + 1));
    at = split(at, end, argc, argv);
    request.argv = argv;
    if (envc >= 0) {
        char **envp = fl_scratch_take(&memory, sizeof(char *) * ((size_t)envc + 1));
        at = split(at, end, envc, envp);
        request.envp = envp;
    }
    request.cwd = fields[SPAWN_HAS_CWD] && at < end ? at : NULL;

    request.flags = fields[SPAWN_FLAGS];
    request.pgid = fields[SPAWN_PGID];
    request.pdeathsig = fields[SPAWN_PDEATHSIG];
    request.umask = fields[SPAWN_UMASK];
    request.cgroup_fd = fields[SPAWN_CGROUP_FD];
    request.unshare_below = fields[SPAWN_UNSHARE_BELOW];
    request.nfds = fields[SPAWN_FD_PAIRS];
    request.nkeep = fields[SPAWN_KEEP];
    request.njoin_cgroups = fields[SPAWN_JOINS];
    /* struct fl_fd_map is two int32s, so the pairs are used where they lie. */
    request.fds = request.nfds > 0 ? (struct fl_fd_map *)(fields + SPAWN_HEADER) : NULL;
    request.keep = request.nkeep > 0 ? fields + SPAWN_HEADER + 2 * request.nfds : NULL;
    request.join_cgroup_fds = request.njoin_cgroups > 0 ? fields + SPAWN_HEADER + 2 * request.nfds + request.nkeep : NULL;
    if (nrlimits > 0) {
        jlong values[3];
        struct fl_rlimit *limits = fl_scratch_take(&memory, sizeof(struct fl_rlimit) * nrlimits);
        for (size_t i = 0; i < nrlimits; i++) {
            (*env)->GetLongArrayRegion(env, rlimits, (jsize)(3 * i), 3, values);
            limits[i].resource = (int32_t)values[0];
            limits[i].reserved = 0;
            limits[i].soft = (uint64_t)values[1];
            limits[i].hard = (uint64_t)values[2];
        }
        request.rlimits = limits;
        request.nrlimits = (int32_t)nrlimits;
    }
    rc = fl_spawn(&request, &spawned);

done:
    fl_scratch_close(&memory);
    jint out[6] = {spawned.pid, spawned.pidfd, spawned.err, spawned.step, spawned.method, spawned.detail};
    (*env)->SetIntArrayRegion(env, result, 0, 6, out);
    return rc < 0 ? rc : (spawned.err != 0 ? -spawned.err : 0);
}

/* out[6]: pid, si_code, status, utime_us, stime_us, maxrss_kb. */
JNIEXPORT jint NATIVE(reap)(JNIEnv *env, jclass cls, jint pidfd, jlongArray out)
{
    struct fl_exit exit;
    int rc = fl_reap(pidfd, &exit);
    if (rc < 0)
        return rc;
    jlong values[6] = {exit.pid, exit.code, exit.status, exit.utime_us, exit.stime_us, exit.maxrss_kb};
    (*env)->SetLongArrayRegion(env, out, 0, 6, values);
    return rc;
}

JNIEXPORT jint NATIVE(pidfdSignal)(JNIEnv *env, jclass cls, jint pidfd, jint sig, jint whole_group)
{
    return fl_pidfd_signal(pidfd, sig, whole_group);
}

/* ------------------------------------------------------------------------------------------ */
/* fds.                                                                                        */

JNIEXPORT jint NATIVE(pipe)(JNIEnv *env, jclass cls, jintArray fds)
{
    int32_t pair[2];
    int rc = fl_pipe(pair);
    if (rc >= 0)
        (*env)->SetIntArrayRegion(env, fds, 0, 2, (const jint *)pair);
    return rc;
}

JNIEXPORT jint NATIVE(setNonBlocking)(JNIEnv *env, jclass cls, jint fd)
{
    return fl_set_nonblocking(fd);
}

JNIEXPORT jint NATIVE(open)(JNIEnv *env, jclass cls, jbyteArray path, jint flags, jint mode)
{
    char name[NAME_BYTES];
    int rc = c_name(env, path, name);
    return rc < 0 ? rc : fl_open(name, flags, mode);
}

JNIEXPORT jint NATIVE(close)(JNIEnv *env, jclass cls, jint fd)
{
    return fl_close(fd);
}

/* A direct buffer's bytes [offset, offset + length), checked by Java. */
static char *direct(JNIEnv *env, jobject buffer, jint offset)
{
    char *base = (*env)->GetDirectBufferAddress(env, buffer);
    return base != NULL ? base + offset : NULL;
}

JNIEXPORT jlong NATIVE(read)(JNIEnv *env, jclass cls, jint fd, jobject buffer, jint offset, jint length)
{
    char *at = direct(env, buffer, offset);
    return at != NULL ? fl_read(fd, at, length) : -EFAULT;
}

JNIEXPORT jlong NATIVE(write)(JNIEnv *env, jclass cls, jint fd, jobject buffer, jint offset, jint length)
{
    char *at = direct(env, buffer, offset);
    return at != NULL ? fl_write(fd, at, length) : -EFAULT;
}

/* One write(2) of up to FL_SCRATCH_SMALL of a byte[]: the count written, or -errno. Callers loop. */
JNIEXPORT jlong NATIVE(writeBytes)(JNIEnv *env, jclass cls, jint fd, jbyteArray bytes, jint offset, jint length)
{
    char chunk[FL_SCRATCH_SMALL];
    jint n = length < FL_SCRATCH_SMALL ? length : FL_SCRATCH_SMALL;
    (*env)->GetByteArrayRegion(env, bytes, offset, n, (jbyte *)chunk);
    return fl_write(fd, chunk, n);
}

JNIEXPORT jint NATIVE(epollCreate)(JNIEnv *env, jclass cls)
{
    return fl_epoll_create();
}

JNIEXPORT jint NATIVE(epollCtl)(JNIEnv *env, jclass cls, jint epfd, jint op, jint fd, jint events, jlong token)
{
    return fl_epoll_ctl(epfd, op, fd, (uint32_t)events, (uint64_t)token);
}

/* At most EVENTS_MAX events per call; Java asks for no more. */
#define EVENTS_MAX 256
JNIEXPORT jint NATIVE(epollWait)(JNIEnv *env, jclass cls, jint epfd, jlongArray tokens, jintArray events, jint max,
                                 jint timeout_ms)
{
    uint64_t got_tokens[EVENTS_MAX];
    uint32_t got_events[EVENTS_MAX];
    int n = fl_epoll_wait(epfd, got_tokens, got_events, max < EVENTS_MAX ? max : EVENTS_MAX, timeout_ms);
    if (n > 0) {
        (*env)->SetLongArrayRegion(env, tokens, 0, n, (const jlong *)got_tokens);
        (*env)->SetIntArrayRegion(env, events, 0, n, (const jint *)got_events);
    }
    return n;
}

JNIEXPORT jint NATIVE(eventfd)(JNIEnv *env, jclass cls)
{
    return fl_eventfd();
}

JNIEXPORT jint NATIVE(dup)(JNIEnv *env, jclass cls, jint fd)
{
    return fl_dup(fd);
}

JNIEXPORT jint NATIVE(dup3)(JNIEnv *env, jclass cls, jint fd, jint target)
{
    return fl_dup3(fd, target);
}

JNIEXPORT jint NATIVE(pollReadable)(JNIEnv *env, jclass cls, jint fd, jint timeout_ms)
{
    return fl_poll_readable(fd, timeout_ms);
}

JNIEXPORT jint NATIVE(setLease)(JNIEnv *env, jclass cls, jint fd, jint type)
{
    return fl_set_lease(fd, type);
}

/* ------------------------------------------------------------------------------------------ */
/* Files under a directory fd (cgroupfs.c), for io.forkline.sys.shim.Fs.                      */

JNIEXPORT jint NATIVE(openAt)(JNIEnv *env, jclass cls, jint dirfd, jbyteArray name, jint flags)
{
    char c[NAME_BYTES];
    int rc = c_name(env, name, c);
    return rc < 0 ? rc : fl_openat(dirfd, c, flags);
}

JNIEXPORT jint NATIVE(mkdirAt)(JNIEnv *env, jclass cls, jint dirfd, jbyteArray name, jint mode)
{
    char c[NAME_BYTES];
    int rc = c_name(env, name, c);
    return rc < 0 ? rc : fl_mkdirat(dirfd, c, mode);
}

JNIEXPORT jint NATIVE(unlinkAt)(JNIEnv *env, jclass cls, jint dirfd, jbyteArray name, jint flags)
{
    char c[NAME_BYTES];
    int rc = c_name(env, name, c);
    return rc < 0 ? rc : fl_unlinkat(dirfd, c, flags);
}

JNIEXPORT jint NATIVE(accessAt)(JNIEnv *env, jclass cls, jint dirfd, jbyteArray name, jint mode)
{
    char c[NAME_BYTES];
    int rc = c_name(env, name, c);
    return rc < 0 ? rc : fl_faccessat(dirfd, c, mode);
}

/* Reads into C memory of the Java buffer's size, then copies what was read into the buffer. */
static jlong read_into(JNIEnv *env, jbyteArray buffer, jint dirfd, const char *name)
{
    jsize size = (*env)->GetArrayLength(env, buffer);
    char small[FL_SCRATCH_SMALL];
    struct fl_scratch memory;
    if (fl_scratch_open(&memory, small, (size_t)size) < 0)
        return -ENOMEM;
    long n = name != NULL ? fl_read_at(dirfd, name, memory.base, size) : fl_pread_all(dirfd, memory.base, size);
    if (n > 0)
        (*env)->SetByteArrayRegion(env, buffer, 0, (jsize)n, (const jbyte *)memory.base);
    fl_scratch_close(&memory);
    return n;
}

JNIEXPORT jlong NATIVE(readAt)(JNIEnv *env, jclass cls, jint dirfd, jbyteArray name, jbyteArray buffer)
{
    char c[NAME_BYTES];
    int rc = c_name(env, name, c);
    return rc < 0 ? rc : read_into(env, buffer, dirfd, c);
}

JNIEXPORT jlong NATIVE(preadAll)(JNIEnv *env, jclass cls, jint fd, jbyteArray buffer)
{
    return read_into(env, buffer, fd, NULL);
}

/* One write(2) of the whole value, as cgroup files want it. */
JNIEXPORT jlong NATIVE(writeAt)(JNIEnv *env, jclass cls, jint dirfd, jbyteArray name, jbyteArray value)
{
    char c[NAME_BYTES];
    int rc = c_name(env, name, c);
    if (rc < 0)
        return rc;
    jsize size = (*env)->GetArrayLength(env, value);
    char small[FL_SCRATCH_SMALL];
    struct fl_scratch memory;
    if (fl_scratch_open(&memory, small, (size_t)size) < 0)
        return -ENOMEM;
    (*env)->GetByteArrayRegion(env, value, 0, size, (jbyte *)memory.base);
    long n = fl_write_at(dirfd, c, memory.base, size);
    fl_scratch_close(&memory);
    return n;
}

/* out[2]: f_type, f_flags. */
JNIEXPORT jint NATIVE(fstatfs)(JNIEnv *env, jclass cls, jint fd, jlongArray out)
{
    int64_t values[2];
    int rc = fl_fstatfs(fd, values);
    if (rc >= 0)
        (*env)->SetLongArrayRegion(env, out, 0, 2, (const jlong *)values);
    return rc;
}

JNIEXPORT jint NATIVE(inotifyInit)(JNIEnv *env, jclass cls)
{
    return fl_inotify_init();
}

JNIEXPORT jint NATIVE(inotifyAddWatch)(JNIEnv *env, jclass cls, jint inotify_fd, jint dirfd, jbyteArray name,
                                       jint mask)
{
    char c[NAME_BYTES];
    int rc = c_name(env, name, c);
    return rc < 0 ? rc : fl_inotify_add_watch(inotify_fd, dirfd, c, (uint32_t)mask);
}
