/*
 * libcsym.c: a symbol of the process's own C library, found without calling it.
 *
 * Why
 * ---
 * The shim links no C library (sys.h), yet it needs a few things that live in the one the JVM
 * runs with: the variable `environ`, which a child inherits its environment from; whether this
 * glibc is one whose posix_spawn leaves a child's signal dispositions to clone3 (2.38 and later,
 * the release that added strlcpy), for the drop-in agent; and the posix_spawn functions
 * themselves, for a spawn that asks for them (posixspawn.c). FFM's default lookup could answer
 * these, but FFM is final only from JDK 22 (a preview in 21, an incubator in 17), and its first
 * use loads a few hundred classes, tens of milliseconds in every JVM. So the shim does what dlsym
 * does, for the C library only.
 *
 * How
 * ---
 * 1. /proc/self/maps lists every mapped file. A file's mapping at offset 0 begins with its ELF
 *    header, so its start is the load base; only its readable mappings are ever read below,
 *    and every address is checked against them, so bad data can never make this fault.
 * 2. The program headers lead to PT_DYNAMIC, the dynamic section as loaded. Its DT_SYMTAB,
 *    DT_STRTAB and DT_GNU_HASH or DT_HASH entries are file addresses that glibc's loader has
 *    relocated in place and musl's has not, so a value below the base is taken as relative.
 * 3. The name is looked up as the dynamic linker's global scope would resolve it: first in the
 *    program (an object with PT_INTERP that is neither the C library nor the loader), because a
 *    program that uses a C library variable itself gets its own copy of it by a copy relocation,
 *    and that copy is then the live one; then in the C library: glibc's libc.so.6 (libc-2.NN.so
 *    before 2.34), or musl's libc.so, which is its loader too. Within an object the GNU hash
 *    table is used where there is one (Debian's glibc has only that), else the SysV one. The
 *    first defined symbol of the name in its default version wins, as dlsym's does: glibc keeps
 *    old versions of some functions for old programs (posix_spawn@GLIBC_2.2.5 also tries the
 *    shell on ENOEXEC, posix_spawn@@GLIBC_2.15 does not), and DT_VERSYM marks those hidden.
 *
 * Only ELF64 (x86_64, aarch64), as the rest of the shim. The harness checks the answer against
 * the linker's own &environ under glibc 2.36, glibc 2.31, musl and on aarch64.
 */
#include "libcsym.h"

#include "sys.h"

#define MAPS_BUFFER (4u << 20) /* a JVM's maps is some hundred KB; the pages are touched only as read */
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define DT_NULL 0
#define DT_HASH 4
#define DT_STRTAB 5
#define DT_SYMTAB 6
#define DT_GNU_HASH 0x6ffffef5
#define DT_VERSYM 0x6ffffff0
#define VERSYM_HIDDEN 0x8000 /* a version other than the default: name@VER, not name@@VER */
#define SHN_UNDEF 0
#define SYM_SIZE 24 /* Elf64_Sym: name u32, info u8, other u8, shndx u16, value u64, size u64 */

/* One mapped file: its load base (the mapping at file offset 0) and the ranges that may be read. */
#define MAX_RANGES 8
#define MAX_OBJECTS 1024
struct image {
    uintptr_t base;
    uintptr_t bias; /* what to add to an address in the file: base for shared objects and PIEs, 0 for ET_EXEC */
    int nranges;
    struct {
        uintptr_t start, end;
    } ranges[MAX_RANGES];
    int is_libc;
    int is_loader; /* ld-linux-*.so.*, ld-2.NN.so: the dynamic loader, never the program */
};

static int is_libc_path(const char *path, size_t length)
{
    /* The basename, compared by hand: libc.so.6 (glibc 2.34 and later), libc-2.NN.so (older
     * glibc, whose libc.so.6 is a link to it), libc.so (musl, whose loader ld-musl-*.so.1 links
     * to it), libc.musl-*.so.1 (Alpine's name for the same). */
    size_t start = length;
    while (start > 0 && path[start - 1] != '/')
        start--;
    const char *name = path + start;
    size_t n = length - start;
    if ((n == 9 && memcmp(name, "libc.so.6", 9) == 0) || (n == 7 && memcmp(name, "libc.so", 7) == 0))
        return 1;
    if (n > 8 && memcmp(name, "libc-2.", 7) == 0 && memcmp(name + n - 3, ".so", 3) == 0)
        return 1;
    return n > 10 && memcmp(name, "libc.musl-", 10) == 0;
}

static int is_loader_path(const char *path, size_t length)
{
    size_t start = length;
    while (start > 0 && path[start - 1] != '/')
        start--;
    return length - start > 3 && memcmp(path + start, "ld-", 3) == 0;
}

static uintptr_t parse_hex(const char **p, const char *end)
{
    uintptr_t value = 0;
    for (; *p < end; (*p)++) {
        char c = **p;
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0)
            break;
        value = value * 16 + (uintptr_t)digit;
    }
    return value;
}

/*
 * Reads /proc/self/maps into `objects` (at most MAX_OBJECTS), one per mapped file, its lines
 * being next to each other as the kernel lists them. Returns how many, or -1.
 */
static int read_maps(struct image *objects)
{
    int fd = fl_open("/proc/self/maps", O_RDONLY, 0);
    if (fd < 0)
        return -1;
    char *buffer = sys_mmap(MAPS_BUFFER, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (buffer == NULL) {
        fl_close(fd);
        return -1;
    }
    size_t used = 0;
    long n;
    while (used < MAPS_BUFFER && (n = fl_read(fd, buffer + used, MAPS_BUFFER - used)) != 0) {
        if (n == -EINTR)
            continue;
        if (n < 0)
            break;
        used += (size_t)n;
    }
    fl_close(fd);

    /* Each line: "start-end perms offset dev inode    path". */
    int count = 0;
    const char *previous = NULL;
    size_t previous_length = 0;
    const char *line = buffer, *end = buffer + used;
    while (line < end) {
        const char *eol = line;
        while (eol < end && *eol != '\n')
            eol++;
        const char *p = line;
        uintptr_t start = parse_hex(&p, eol);
        p++; /* '-' */
        uintptr_t stop = parse_hex(&p, eol);
        uintptr_t offset = UINTPTR_MAX;
        int readable = 0;
        for (int field = 0; field < 4 && p < eol; field++) { /* perms, offset, dev, inode */
            while (p < eol && *p == ' ')
                p++;
            const char *field_start = p;
            while (p < eol && *p != ' ')
                p++;
            if (field == 0)
                readable = field_start < p && *field_start == 'r';
            if (field == 1) {
                const char *q = field_start;
                offset = parse_hex(&q, p);
            }
        }
        while (p < eol && *p == ' ')
            p++;
        size_t path_length = (size_t)(eol - p);
        if (path_length > 0 && *p == '/') {
            int same = previous != NULL && path_length == previous_length && memcmp(p, previous, path_length) == 0;
            if (!same) {
                if (count == MAX_OBJECTS)
                    break;
                struct image *o = &objects[count++];
                o->base = 0;
                o->nranges = 0;
                o->is_libc = is_libc_path(p, path_length);
                o->is_loader = is_loader_path(p, path_length);
                previous = p;
                previous_length = path_length;
            }
            struct image *o = &objects[count - 1];
            if (offset == 0 && o->base == 0 && readable)
                o->base = start;
            if (readable && o->nranges < MAX_RANGES) {
                o->ranges[o->nranges].start = start;
                o->ranges[o->nranges].end = stop;
                o->nranges++;
            }
        } else {
            previous = NULL; /* an anonymous mapping between two of one file's starts a new object */
        }
        line = eol + 1;
    }
    sys_munmap(buffer, MAPS_BUFFER);
    return count;
}

/* Whether [address, address + length) lies in one readable mapping of the object. */
static int inside(const struct image *image, uintptr_t address, size_t length)
{
    for (int i = 0; i < image->nranges; i++) {
        if (address >= image->ranges[i].start && address < image->ranges[i].end
            && length <= image->ranges[i].end - address)
            return 1;
    }
    return 0;
}

static uintptr_t absolute(const struct image *image, uint64_t value)
{
    return value < image->base ? image->bias + (uintptr_t)value : (uintptr_t)value;
}

static int same_name(const struct image *image, uintptr_t strtab, uint32_t offset, const char *name, size_t length)
{
    uintptr_t at = strtab + offset;
    if (!inside(image, at, length + 1))
        return 0;
    return memcmp((const void *)at, name, length) == 0 && ((const char *)at)[length] == '\0';
}

/* The symbol's address if entry `index` of the symbol table defines `name`, else 0. */
struct tables {
    uintptr_t symtab, strtab, versym; /* versym 0: the object has no symbol versions (musl) */
};

static uintptr_t defined_as(const struct image *image, const struct tables *t, uint32_t index, const char *name,
                            size_t length)
{
    uintptr_t symtab = t->symtab, strtab = t->strtab;
    uintptr_t sym = symtab + (uintptr_t)index * SYM_SIZE;
    if (!inside(image, sym, SYM_SIZE))
        return 0;
    if (t->versym != 0) {
        uint16_t version;
        uintptr_t at = t->versym + (uintptr_t)index * 2;
        if (!inside(image, at, 2))
            return 0;
        memcpy(&version, (const void *)at, 2);
        if (version & VERSYM_HIDDEN)
            return 0;
    }
    uint32_t st_name;
    uint16_t st_shndx;
    uint64_t st_value;
    memcpy(&st_name, (const void *)sym, 4);
    memcpy(&st_shndx, (const void *)(sym + 6), 2);
    memcpy(&st_value, (const void *)(sym + 8), 8);
    if (st_shndx == SHN_UNDEF || !same_name(image, strtab, st_name, name, length))
        return 0;
    return image->bias + (uintptr_t)st_value;
}

static uintptr_t lookup_gnu(const struct image *image, uintptr_t table, const struct tables *t, const char *name,
                            size_t length)
{
    uint32_t header[4]; /* nbuckets, symoffset, bloom words, bloom shift */
    if (!inside(image, table, sizeof header))
        return 0;
    memcpy(header, (const void *)table, sizeof header);
    if (header[0] == 0)
        return 0;
    uint32_t hash = 5381;
    for (size_t i = 0; i < length; i++)
        hash = hash * 33 + (unsigned char)name[i];
    uintptr_t buckets = table + sizeof header + (uintptr_t)header[2] * 8;
    uintptr_t chain = buckets + (uintptr_t)header[0] * 4;
    uint32_t index;
    if (!inside(image, buckets + (hash % header[0]) * 4, 4))
        return 0;
    memcpy(&index, (const void *)(buckets + (hash % header[0]) * 4), 4);
    if (index < header[1])
        return 0;
    for (;; index++) {
        uint32_t entry;
        uintptr_t at = chain + (uintptr_t)(index - header[1]) * 4;
        if (!inside(image, at, 4))
            return 0;
        memcpy(&entry, (const void *)at, 4);
        if ((entry | 1) == (hash | 1)) {
            uintptr_t address = defined_as(image, t, index, name, length);
            if (address != 0)
                return address;
        }
        if (entry & 1)
            return 0;
    }
}

static uintptr_t lookup_sysv(const struct image *image, uintptr_t table, const struct tables *t, const char *name,
                             size_t length)
{
    uint32_t header[2]; /* nbucket, nchain */
    if (!inside(image, table, sizeof header))
        return 0;
    memcpy(header, (const void *)table, sizeof header);
    if (header[0] == 0)
        return 0;
    uint32_t hash = 0;
    for (size_t i = 0; i < length; i++) {
        hash = (hash << 4) + (unsigned char)name[i];
        uint32_t high = hash & 0xf0000000u;
        if (high)
            hash ^= high >> 24;
        hash &= ~high;
    }
    uintptr_t buckets = table + sizeof header, chain = buckets + (uintptr_t)header[0] * 4;
    uint32_t index;
    if (!inside(image, buckets + (hash % header[0]) * 4, 4))
        return 0;
    memcpy(&index, (const void *)(buckets + (hash % header[0]) * 4), 4);
    for (uint32_t steps = 0; index != 0 && index < header[1] && steps < header[1]; steps++) {
        uintptr_t address = defined_as(image, t, index, name, length);
        if (address != 0)
            return address;
        uintptr_t at = chain + (uintptr_t)index * 4;
        if (!inside(image, at, 4))
            return 0;
        memcpy(&index, (const void *)at, 4);
    }
    return 0;
}

/* The dynamic section of an ELF object, and whether it is an executable (it has PT_INTERP). */
static uintptr_t dynamic_of(struct image *image, int *executable)
{
    if (image->base == 0 || !inside(image, image->base, 64))
        return 0;
    const unsigned char *ehdr = (const unsigned char *)image->base;
    if (ehdr[0] != 0x7f || ehdr[1] != 'E' || ehdr[2] != 'L' || ehdr[3] != 'F' || ehdr[4] != 2 /* ELFCLASS64 */)
        return 0;
    uint64_t phoff;
    uint16_t phentsize, phnum;
    memcpy(&phoff, ehdr + 32, 8);
    memcpy(&phentsize, ehdr + 54, 2);
    memcpy(&phnum, ehdr + 56, 2);
    uint64_t dynamic_vaddr = 0;
    int has_dynamic = 0, has_load = 0;
    *executable = 0;
    image->bias = image->base;
    for (uint16_t i = 0; i < phnum; i++) {
        uintptr_t phdr = image->base + (uintptr_t)phoff + (uintptr_t)i * phentsize;
        if (phentsize < 24 || !inside(image, phdr, 24))
            return 0;
        uint32_t type;
        uint64_t offset, vaddr;
        memcpy(&type, (const void *)phdr, 4);
        memcpy(&offset, (const void *)(phdr + 8), 8);
        memcpy(&vaddr, (const void *)(phdr + 16), 8);
        if (type == PT_LOAD && offset == 0 && !has_load) {
            /* The segment that maps the file's start sits at the base: 0 for a shared object or
             * a PIE, the link address for an ET_EXEC, whose addresses are absolute. */
            image->bias = image->base - (uintptr_t)vaddr;
            has_load = 1;
        } else if (type == PT_DYNAMIC) {
            dynamic_vaddr = vaddr;
            has_dynamic = 1;
        } else if (type == PT_INTERP) {
            *executable = 1;
        }
    }
    return has_dynamic ? image->bias + (uintptr_t)dynamic_vaddr : 0;
}

/* `name` as the object defines it, or 0. */
static uintptr_t lookup_in(const struct image *image, uintptr_t dynamic, const char *name, size_t length)
{
    struct tables t = {0, 0, 0};
    uintptr_t gnu_hash = 0, sysv_hash = 0;
    for (uintptr_t entry = dynamic;; entry += 16) {
        if (!inside(image, entry, 16))
            return 0;
        int64_t tag;
        uint64_t value;
        memcpy(&tag, (const void *)entry, 8);
        memcpy(&value, (const void *)(entry + 8), 8);
        if (tag == DT_NULL)
            break;
        if (tag == DT_SYMTAB)
            t.symtab = absolute(image, value);
        else if (tag == DT_STRTAB)
            t.strtab = absolute(image, value);
        else if (tag == DT_VERSYM)
            t.versym = absolute(image, value);
        else if (tag == DT_GNU_HASH)
            gnu_hash = absolute(image, value);
        else if (tag == DT_HASH)
            sysv_hash = absolute(image, value);
    }
    if (t.symtab == 0 || t.strtab == 0)
        return 0;
    if (gnu_hash != 0)
        return lookup_gnu(image, gnu_hash, &t, name, length);
    if (sysv_hash != 0)
        return lookup_sysv(image, sysv_hash, &t, name, length);
    return 0;
}

/*
 * The main program comes first, as in the dynamic linker's global scope: a program that uses a
 * C library variable itself (environ, say) gets a copy of it in its own data by a copy
 * relocation, which then is the live one, and the C library's is left unused. Only executables
 * (objects with PT_INTERP) get copies; the `java` launcher has none of environ, and a C program
 * usually has.
 */
FL_API int fl_libc_symbols(const char *const *names, uintptr_t *addresses, int count)
{
    struct image *objects = sys_mmap(MAX_OBJECTS * sizeof(struct image), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (objects == NULL)
        return -ENOMEM;
    int nobjects = read_maps(objects);
    int libc = -1, found_count = 0;
    for (int n = 0; n < count; n++) {
        size_t length = fl_strlen(names[n]);
        uintptr_t found = 0;
        for (int i = 0; i < nobjects && found == 0; i++) {
            int executable;
            uintptr_t dynamic = dynamic_of(&objects[i], &executable);
            if (objects[i].is_libc && libc < 0 && dynamic != 0)
                libc = i;
            /* glibc's libc.so.6 has PT_INTERP too (it runs, to print its version): not a program here */
            if (executable && dynamic != 0 && !objects[i].is_libc && !objects[i].is_loader)
                found = lookup_in(&objects[i], dynamic, names[n], length);
        }
        if (found == 0 && libc >= 0) {
            int executable;
            found = lookup_in(&objects[libc], dynamic_of(&objects[libc], &executable), names[n], length);
        }
        addresses[n] = found;
        found_count += found != 0;
    }
    sys_munmap(objects, MAX_OBJECTS * sizeof(struct image));
    return found_count;
}

FL_API uintptr_t fl_libc_symbol(const char *name)
{
    uintptr_t address = 0;
    if (name == NULL || fl_libc_symbols(&name, &address, 1) < 0)
        return 0;
    return address;
}
