package io.forkline.cgroup;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.Fs;
import io.forkline.sys.shim.Shim;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One open cgroup directory in one hierarchy: its fd (O_DIRECTORY|O_NOFOLLOW, close-on-exec),
 * the path errors show, and the file operations relative to it. A missing file is told apart
 * from a removed group by probing {@code cgroup.procs}, which every cgroup has, v1 and v2.
 */
final class GroupDir {
    final int fd;
    final Path path;
    final Hierarchy hierarchy;
    /**
     * The counters and events files, held open after their first read and read again with one
     * pread each: a pooled group's are read at every job's end and release.
     */
    private final ConcurrentHashMap<String, Integer> held = new ConcurrentHashMap<>();

    GroupDir(int fd, Path path, Hierarchy hierarchy) {
        this.fd = fd;
        this.path = path;
        this.hierarchy = hierarchy;
    }

    /** Opens {@code name} under {@code parent} as a directory. */
    static GroupDir openChild(GroupDir parent, String name) throws CgroupException {
        Path path = parent.path.resolve(name);
        try {
            return new GroupDir(Fs.openDirAt(parent.fd, name, path.toString()), path, parent.hierarchy);
        } catch (SyscallException e) {
            throw new CgroupSyscallException(e);
        }
    }

    String shown(String file) {
        return path.resolve(file).toString();
    }

    /** @return the file's text, stripped */
    String read(String file) throws CgroupException {
        try {
            return Fs.readAt(fd, file, shown(file)).strip();
        } catch (SyscallException e) {
            throw translate(e);
        }
    }

    /**
     * As {@link #read(String)}, through an fd held open until {@link #close()}: for the few files
     * that are read at every job's end (cgroup.events, cpu.stat, pids.current, ...).
     */
    String readHeld(String file) throws CgroupException {
        try {
            Integer open = held.get(file);
            if (open == null) {
                int opened = Fs.openAt(fd, file, Shim.O_RDONLY | Shim.O_NOFOLLOW, shown(file));
                open = held.putIfAbsent(file, opened);
                if (open != null) Shim.close(opened);
                else open = opened;
            }
            return Fs.readFd(open, shown(file)).strip();
        } catch (SyscallException e) {
            throw translate(e);
        }
    }

    /** As {@link #readIfPresent(String)}, through a held fd ({@link #readHeld(String)}). */
    String readHeldIfPresent(String file) throws CgroupException {
        try {
            return readHeld(file);
        } catch (GroupRemovedException e) {
            throw e;
        } catch (CgroupSyscallException e) {
            if (e.errno() == Errno.ENOENT) return null;
            throw e;
        }
    }

    /** @return the file's text, or {@code null} when this kernel has no such file */
    String readIfPresent(String file) throws CgroupException {
        try {
            return Fs.readAt(fd, file, shown(file)).strip();
        } catch (SyscallException e) {
            CgroupSyscallException translated = translate(e);
            if (translated instanceof GroupRemovedException) throw translated;
            if (e.errno() == Errno.ENOENT) return null;
            throw translated;
        }
    }

    void write(String file, String value) throws CgroupException {
        try {
            Fs.writeAt(fd, file, value, shown(file));
        } catch (SyscallException e) {
            throw translate(e);
        }
    }

    /** Writes without translating, so that a limit writer can wrap the raw error. */
    void writeRaw(String file, String value) throws SyscallException {
        Fs.writeAt(fd, file, value, shown(file));
    }

    boolean has(String file) {
        return Fs.accessAt(fd, file, 0) == 0;
    }

    /** @return "key value" lines as a map (cgroup.events, cpu.stat, memory.events, pids.events) */
    Map<String, String> readKeyed(String file) throws CgroupException {
        return parseKeyed(read(file));
    }

    static Map<String, String> parseKeyed(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int space = line.indexOf(' ');
            if (space > 0) out.put(line.substring(0, space), line.substring(space + 1).strip());
        }
        return out;
    }

    /**
     * ENOENT or ENODEV while cgroup.procs is gone too means the group itself was removed under us.
     */
    CgroupSyscallException translate(SyscallException e) {
        if ((e.errno() == Errno.ENOENT || e.errno() == Errno.ENODEV) && !has("cgroup.procs")) {
            return new GroupRemovedException(path.toString(), e);
        }
        return new CgroupSyscallException(e);
    }

    void close() {
        held.values().forEach(Shim::close);
        held.clear();
        Shim.close(fd);
    }

    @Override
    public String toString() {
        return hierarchy + " " + path;
    }
}
