/*
 * freestanding.c: the few routines a C library would otherwise provide, for a shim that links
 * none (sys.h says why).
 *
 * The compiler emits calls to memset, memcpy, memmove and memcmp on its own (zeroing a struct,
 * copying one), even in code that never names them, so they must exist; they are hidden like
 * every other symbol here, so they never stand in for the process's own. They are byte loops:
 * the shim copies a few hundred bytes per spawn at most. The build compiles this file with
 * -fno-tree-loop-distribute-patterns so that gcc does not turn the loop in memset into a call
 * to memset.
 */
#include "sys.h"

void *memset(void *s, int c, size_t n)
{
    unsigned char *p = s;
    while (n-- > 0)
        *p++ = (unsigned char)c;
    return s;
}

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    unsigned char *to = d;
    const unsigned char *from = s;
    while (n-- > 0)
        *to++ = *from++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *to = d;
    const unsigned char *from = s;
    if (to < from) {
        while (n-- > 0)
            *to++ = *from++;
    } else {
        while (n-- > 0)
            to[n] = from[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n > 0; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

size_t fl_strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

void fl_format_path(char *buf, size_t size, const char *prefix, int value)
{
    size_t n = 0;
    while (prefix[n] != '\0' && n + 1 < size) {
        buf[n] = prefix[n];
        n++;
    }
    char digits[16];
    int count = 0;
    unsigned int v = value < 0 ? (unsigned int)-value : (unsigned int)value;
    do {
        digits[count++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (value < 0 && n + 1 < size)
        buf[n++] = '-';
    while (count > 0 && n + 1 < size)
        buf[n++] = digits[--count];
    buf[n] = '\0';
}
