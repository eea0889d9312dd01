/*
 * libcsym.h: the address of a symbol of the process's own C library, found without calling it
 * (libcsym.c says why and how).
 */
#ifndef FORKLINE_LIBCSYM_H
#define FORKLINE_LIBCSYM_H

#include <stdint.h>

#include "forkline.h"

/* The address of `name` in the C library this process runs with (glibc's libc.so.6, or musl's
 * libc.so), or 0 when it has no such defined symbol or cannot be read. */
FL_API uintptr_t fl_libc_symbol(const char *name);

/* As fl_libc_symbol for `count` names at once, reading /proc/self/maps once: addresses[i] is the
 * address of names[i] or 0. Returns how many were found, or -errno. */
FL_API int fl_libc_symbols(const char *const *names, uintptr_t *addresses, int count);

#endif
