/* scratch.c: see scratch.h. */
#include "scratch.h"

#include "sys.h"

static int64_t bytes_mapped; /* __atomic builtins */

void *fl_map_counted(size_t size)
{
    void *p = sys_mmap(size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (p != NULL)
        __atomic_fetch_add(&bytes_mapped, (int64_t)size, __ATOMIC_RELAXED);
    return p;
}

void fl_unmap_counted(void *p, size_t size)
{
    if (sys_munmap(p, size) == 0)
        __atomic_fetch_sub(&bytes_mapped, (int64_t)size, __ATOMIC_RELAXED);
}

int64_t fl_scratch_mapped_bytes(void)
{
    return __atomic_load_n(&bytes_mapped, __ATOMIC_RELAXED);
}

size_t fl_scratch_aligned(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

int fl_scratch_open(struct fl_scratch *s, char *small, size_t needed)
{
    s->used = 0;
    s->mapped = needed > FL_SCRATCH_SMALL;
    s->size = s->mapped ? needed : FL_SCRATCH_SMALL;
    s->base = s->mapped ? fl_map_counted(needed) : small;
    return s->base != NULL ? 0 : -ENOMEM;
}

void *fl_scratch_take(struct fl_scratch *s, size_t bytes)
{
    void *p = s->base + s->used;
    s->used += fl_scratch_aligned(bytes); /* pointer-aligned, for the vectors */
    return p;
}

void fl_scratch_close(struct fl_scratch *s)
{
    if (s->mapped && s->base != NULL)
        fl_unmap_counted(s->base, s->size);
}
