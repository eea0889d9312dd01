package io.forkline.cgroup;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.Fs;
import io.forkline.sys.shim.Shim;

/**
 * A v2 group's {@code memory.peak}, held open so that a pooled group can report each job's own
 * peak.
 *
 * <p>Linux 6.12 made the file resettable per open file: a write of any non-empty string to an
 * open memory.peak sets that fd's peak to the group's current usage, and reads through that fd
 * show the highest usage since (cgroup-v2.rst; {@code peak_write} and {@code peak_show} in
 * mm/memcontrol.c, a {@code struct cgroup_of_peak} per open file). Other fds, and the file
 * opened anew, still show the peak since the group was made. So the fd that is reset is the one
 * read, for as long as the group lives.
 *
 * <p>Before 6.12 memory.peak has no write handler: {@code cgroup_file_write} answers EINVAL (the
 * file is mode 0444 then, which root's CAP_DAC_OVERRIDE opens for writing all the same). Where
 * the open for writing is refused (EACCES or EPERM: no write permission), the file is read
 * through a read-only fd. Either way {@link #reset()} says the reset is not there, and the caller
 * reports the peak of a reused group as unknown.
 *
 * <p>Opened on first use; one instance per group, its methods serialized.
 */
final class MemoryPeak {
    static final String FILE = "memory.peak";

    private final GroupDir dir;
    private int fd = -1;
    private boolean writable;
    /** The kernel has no memory.peak (before 5.19): reads return -1. */
    private boolean absent;
    /** Why the last {@link #reset()} could not be made, for the root's record. */
    private String notReset;

    MemoryPeak(GroupDir dir) {
        this.dir = dir;
    }

    /** @return the peak in bytes as this fd sees it, or -1 when the kernel has no memory.peak */
    synchronized long read() throws CgroupException {
        if (!open()) return -1;
        try {
            return Long.parseLong(Fs.readFd(fd, dir.shown(FILE)).strip());
        } catch (SyscallException e) {
            throw dir.translate(e);
        }
    }

    /**
     * Resets the peak that {@link #read()} shows to the group's current usage.
     *
     * @return whether the kernel did it: false when it cannot (EINVAL before Linux 6.12, or no
     *     write permission), and then reads still show the peak since the group was made, and
     *     {@link #whyNotReset()} says why
     * @throws CgroupException for any other failure, {@link GroupRemovedException} among them
     */
    synchronized boolean reset() throws CgroupException {
        if (!open()) return notReset("this kernel has no " + FILE + " (Linux 5.19 added it)");
        if (!writable) return notReset(notReset);
        try {
            // The content is ignored; only a non-empty write resets (cgroup_file_write returns early on 0 bytes).
            Fs.writeFd(fd, "reset\n", dir.shown(FILE));
            return true;
        } catch (SyscallException e) {
            if (e.errno() == Errno.EINVAL) {
                return notReset(e.getMessage() + ": no write handler, so no per-fd reset (Linux 6.12 added it)");
            }
            throw dir.translate(e);
        }
    }

    /** @return why the last {@link #reset()} returned false */
    synchronized String whyNotReset() {
        return notReset;
    }

    private boolean notReset(String why) {
        notReset = why;
        return false;
    }

    /** @return whether there is a file to read; opens it read-write if allowed, else read-only */
    private boolean open() throws CgroupException {
        if (fd >= 0) return true;
        if (absent) return false;
        String shown = dir.shown(FILE);
        try {
            try {
                fd = Fs.openAt(dir.fd, FILE, Shim.O_RDWR | Shim.O_NOFOLLOW, shown);
                writable = true;
            } catch (SyscallException e) {
                if (e.errno() != Errno.EACCES && e.errno() != Errno.EPERM) throw e;
                fd = Fs.openAt(dir.fd, FILE, Shim.O_RDONLY | Shim.O_NOFOLLOW, shown);
                notReset = e.getMessage() + ": cannot open it for writing, so read-only";
            }
            return true;
        } catch (SyscallException e) {
            CgroupSyscallException translated = dir.translate(e);
            if (!(translated instanceof GroupRemovedException) && e.errno() == Errno.ENOENT) {
                absent = true;
                return false;
            }
            throw translated;
        }
    }

    synchronized void close() {
        if (fd >= 0) Shim.close(fd);
        fd = -1;
    }
}
