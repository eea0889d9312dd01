/*
 * sys.h: the only way the shim reaches the kernel: raw system calls, with the kernel's own
 * constants and structs (linux/ and asm/ headers), and no C library at all.
 *
 * Why no libc
 * -----------
 * libforkline.so is loaded into whatever JVM the user runs: glibc 2.17 or 2.36, musl on Alpine,
 * x86_64 or aarch64. Linking libc would pin it to the symbol versions of the build machine's
 * glibc (pthread keys are GLIBC_2.34 when built on 2.34 or later, strerrorname_np 2.32), and a
 * musl process cannot load a library that names glibc's symbols at all. So the library has no
 * DT_NEEDED entry and no undefined symbol (the build links it with -nostdlib -z defs and checks
 * both with readelf): what it needs from the kernel it asks with the instructions below, and the
 * few routines the compiler may call on its own (memset, memcpy) are in freestanding.c. The
 * child of a spawn already had to work this way (it must not touch errno or locks that it
 * shares with its parent); now the parent side does too.
 *
 * Every wrapper returns the kernel's answer as it is: a value, or -errno. Nothing here writes a
 * global errno.
 */
#ifndef FORKLINE_SYS_H
#define FORKLINE_SYS_H

#include <stddef.h>
#include <stdint.h>

#include <asm/unistd.h>
#include <linux/close_range.h>
#include <linux/errno.h>
#include <linux/eventpoll.h>
#include <linux/fcntl.h>
#include <linux/inotify.h>
#include <linux/mman.h>
#include <linux/poll.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/time_types.h>
#include <linux/wait.h>

#if defined(__x86_64__)
static inline long raw_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
static inline long raw_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}
#else
#error "forkline's shim has a system-call entry for x86_64 and aarch64 only"
#endif

#define raw_syscall0(n) raw_syscall6((n), 0, 0, 0, 0, 0, 0)
#define raw_syscall1(n, a) raw_syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define raw_syscall2(n, a, b) raw_syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define raw_syscall3(n, a, b, c) raw_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define raw_syscall4(n, a, b, c, d) raw_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define raw_syscall5(n, a, b, c, d, e) raw_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* The signals and sigaction layout the shim uses; the numbers are the same on x86_64 and the
 * generic table aarch64 uses. (asm/signal.h is not included: its user-space half declares a
 * sigset_t and a struct sigaction of the old, pre-rt kind.) */
#define FL_SIGKILL 9
#define FL_SIGPIPE 13
#define FL_SIGCHLD 17
#define FL_SIGSTOP 19
#define FL_SIG_SETMASK 2
#define FL_SIG_DFL ((void *)0)
#define FL_SIG_IGN ((void *)1)
/* The kernel's sigset is 64 bits; rt_sigprocmask and rt_sigaction want its size. */
#define KERNEL_SIGSET_SIZE 8

/* struct sigaction as rt_sigaction takes it: x86_64 and aarch64 both have sa_restorer. */
struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

/* The part of the kernel's siginfo that waitid fills for a child (64-bit layout: three ints,
 * padding, then the union), in the kernel's 128 bytes. */
struct kernel_siginfo {
    int32_t signo;
    int32_t error;
    int32_t code;
    int32_t pad;
    int32_t pid;
    uint32_t uid;
    int32_t status;
    int32_t rest[25];
};

/* The C libraries' name for EOPNOTSUPP; the kernel's headers have only that one. */
#ifndef ENOTSUP
#define ENOTSUP EOPNOTSUPP
#endif

/* eventfd2's flags are open(2)'s (there is no uapi header for them). */
#define FL_EFD_CLOEXEC O_CLOEXEC
#define FL_EFD_NONBLOCK O_NONBLOCK

/* faccessat2's flag for "check with the effective ids", as linux/fcntl.h names it since 5.8. */
#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif

/* mmap and its friends, which return an address or -errno in the same register. */
static inline void *sys_mmap(size_t length, int prot, int flags)
{
    long rc = raw_syscall6(__NR_mmap, 0, (long)length, prot, flags, -1, 0);
    return rc < 0 && rc > -4096 ? NULL : (void *)rc;
}

static inline long sys_munmap(void *address, size_t length)
{
    return raw_syscall2(__NR_munmap, address, length);
}

/* What the compiler may call on its own, in freestanding.c. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Small string helpers for the parent side (freestanding.c). */
size_t fl_strlen(const char *s);
/* Writes "prefix" followed by the decimal value into buf (size >= 32 + strlen(prefix)). */
void fl_format_path(char *buf, size_t size, const char *prefix, int value);

/* The errno table (errnames.c): NULL for a number it does not know. */
const char *fl_errno_name(int err);
const char *fl_errno_description(int err);

#endif
