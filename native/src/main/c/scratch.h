/*
 * scratch.h: memory for one JNI call's C strings and vectors (shimjni.c, jdkspawn.c): a buffer on
 * the caller's stack when they fit, which is nearly always, else one anonymous mapping made for
 * the call and unmapped at its end. Every mapping made here is counted (fl_scratch_mapped_bytes),
 * so that tests can tell that none outlives its call: the JVM's Native Memory Tracking does not
 * see a library's mmap.
 */
#ifndef FORKLINE_SCRATCH_H
#define FORKLINE_SCRATCH_H

#include <stddef.h>
#include <stdint.h>

/* The caller's stack buffer for fl_scratch_open: its size, 8-byte aligned. */
#define FL_SCRATCH_SMALL 16384

struct fl_scratch {
    char *base;
    size_t size, used;
    int mapped;
};

/* Room for `needed` bytes: `small` (FL_SCRATCH_SMALL bytes) or a mapping. 0, or -ENOMEM. */
int fl_scratch_open(struct fl_scratch *s, char *small, size_t needed);
/* The next `bytes`, pointer-aligned; the caller counted them into `needed` with fl_scratch_aligned. */
void *fl_scratch_take(struct fl_scratch *s, size_t bytes);
void fl_scratch_close(struct fl_scratch *s);
/* What fl_scratch_take hands out for n bytes. */
size_t fl_scratch_aligned(size_t n);

/* A counted mapping of its own (an event loop's read buffer), and its end. NULL when out of memory. */
void *fl_map_counted(size_t size);
void fl_unmap_counted(void *p, size_t size);
/* Bytes mapped through this file and not unmapped: 0 whenever no call runs and no buffer is out. */
int64_t fl_scratch_mapped_bytes(void);

#endif
