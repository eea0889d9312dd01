package io.forkline;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Shim;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Low fd numbers that the launcher holds from its start, so that a child can be born sharing
 * the JVM's fd table (CLONE_FILES) and copy only the fds below a small bound.
 *
 * <p>Why: a plain clone copies the whole fd table and the child then closes all of it, which
 * costs about 100 ns per open fd per spawn (1 ms with 10,000 sockets open; posix_spawn pays the
 * same through close-on-exec). The child can instead unshare with
 * {@code close_range(bound, ~0, CLOSE_RANGE_UNSHARE)}, which copies only the fds below the
 * bound, if everything it needs sits below it. Pipes and files opened for a spawn get whatever
 * number is free, often a high one, so before the clone each of them is dup3'ed into one of
 * these slots, which hold /dev/null otherwise, and put back after.
 *
 * <p>Slots are taken at launcher creation, when the JVM's table is usually still small. When
 * none are free (many spawns at once), a spawn simply copies the table as before.
 */
final class FdSlots implements AutoCloseable {
    /** Enough for a few concurrent spawns with piped stdin, stdout and stderr. */
    static final int DEFAULT_COUNT = 24;

    private final int placeholder;
    private final int[] slots;
    private final ConcurrentLinkedQueue<Integer> free = new ConcurrentLinkedQueue<>();

    FdSlots(int count) throws SyscallException {
        placeholder = Shim.open("/dev/null", Shim.O_RDONLY, 0);
        slots = new int[count];
        int made = 0;
        try {
            for (; made < count; made++) {
                slots[made] = Shim.dup(placeholder);
                free.add(slots[made]);
            }
        } catch (SyscallException | RuntimeException e) {
            for (int i = 0; i < made; i++) Shim.close(slots[i]);
            Shim.close(placeholder);
            throw e;
        }
    }

    /**
     * Moves every source of an fd map at or above 3 into a free slot.
     *
     * @param fdMap pairs (source, target), rewritten in place on success
     * @return the slots taken, to hand to {@link #release(int[])}, or null when there were not
     *     enough free slots (the map is then unchanged)
     */
    int[] place(int[] fdMap) throws SyscallException {
        int needed = 0;
        for (int i = 0; i < fdMap.length; i += 2) if (fdMap[i] >= 3) needed++;
        int[] taken = new int[needed];
        for (int i = 0; i < needed; i++) {
            Integer slot = free.poll();
            if (slot == null) {
                for (int j = 0; j < i; j++) free.add(taken[j]);
                return null;
            }
            taken[i] = slot;
        }
        int next = 0;
        try {
            for (int i = 0; i < fdMap.length; i += 2) {
                if (fdMap[i] < 3) continue;
                Shim.dup3(fdMap[i], taken[next]);
                fdMap[i] = taken[next++];
            }
        } catch (SyscallException | RuntimeException e) {
            release(taken);
            throw e;
        }
        return taken;
    }

    /** @return the bound below which every fd a child placed by {@link #place(int[])} needs lies */
    static int bound(int[] fdMap) {
        int highest = 2;
        for (int i = 0; i < fdMap.length; i += 2) highest = Math.max(highest, fdMap[i]);
        return highest + 1;
    }

    /** Puts /dev/null back in the slots (dropping the parent's extra reference) and frees them. */
    void release(int[] taken) {
        for (int slot : taken) {
            try {
                Shim.dup3(placeholder, slot);
            } catch (SyscallException e) {
                // dup3 onto a slot we hold cannot fail but for EMFILE/EBADF, neither of which applies;
                // the slot is kept out of use rather than risk handing out a wrong fd.
                continue;
            }
            free.add(slot);
        }
    }

    @Override
    public void close() {
        for (int slot : slots) Shim.close(slot);
        Shim.close(placeholder);
    }
}
