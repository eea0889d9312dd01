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

#endif
