package io.forkline.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RwLockTest {

    @Test
    void perCpuValidatesStripesWordForWord() {
        assertThatThrownBy(() -> new PerCpuRwLock(3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stripes must be a positive power of two: 3");
    }

    @Test
    void perCpuWriterWaitsForAReaderThatAnotherThreadReleases() throws Exception {
        PerCpuRwLock lock = new PerCpuRwLock(4);
        lock.readLock();
        CompletableFuture<Void> writer = Threads.run(() -> {
            lock.writeLock();
            lock.writeUnlock();
        });
        Thread.sleep(20);
        assertThat(writer).isNotDone();
        // Released on another thread's stripe: the counts are modular, only the sum matters.
        Threads.run(lock::readUnlock).get(10, TimeUnit.SECONDS);
        writer.get(10, TimeUnit.SECONDS);
        assertThat(lock.readHolds()).isZero();
    }

    @Test
    void perCpuReadersWaitForTheWriter() throws Exception {
        PerCpuRwLock lock = new PerCpuRwLock();
        lock.writeLock();
        CompletableFuture<Void> reader = Threads.run(() -> {
            lock.readLock();
            lock.readUnlock();
        });
        Thread.sleep(20);
        assertThat(reader).isNotDone();
        lock.writeUnlock();
        reader.get(10, TimeUnit.SECONDS);
    }

    @Test
    void perCpuWriteUnlockByAStrangerIsRefusedWordForWord() {
        PerCpuRwLock lock = new PerCpuRwLock();
        assertThatThrownBy(lock::writeUnlock)
                .isInstanceOf(IllegalMonitorStateException.class)
                .hasMessage("writeUnlock() by a thread that does not hold the write lock");
    }

    @Test
    void bravoValidatesTableSizeWordForWord() {
        assertThatThrownBy(() -> new BravoRwLock.ReaderTable(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("slots must be a positive power of two: 0");
    }

    @Test
    void bravoReadersUseTheTableUntilAWriterRevokesTheBias() throws Exception {
        BravoRwLock.ReaderTable table = new BravoRwLock.ReaderTable(64);
        BravoRwLock lock = new BravoRwLock(table);
        int ticket = lock.readLock();
        assertThat(ticket).isNotEqualTo(BravoRwLock.SLOW_READ);
        CompletableFuture<Void> writer = Threads.run(() -> {
            lock.writeLock();
            lock.writeUnlock();
        });
        Thread.sleep(20);
        assertThat(writer).isNotDone();
        lock.readUnlock(ticket);
        writer.get(10, TimeUnit.SECONDS);
        // Right after a revocation the bias stays off, so this reader takes the underlying lock.
        int slow = lock.readLock();
        lock.readUnlock(slow);
    }

    @Test
    void bravoLocksSharingATableDoNotBlockEachOther() throws Exception {
        BravoRwLock.ReaderTable table = new BravoRwLock.ReaderTable(1);
        BravoRwLock first = new BravoRwLock(table);
        BravoRwLock second = new BravoRwLock(table);
        int firstTicket = first.readLock();
        // The only slot is taken, so this reader falls back to the underlying lock.
        assertThat(second.readLock()).isEqualTo(BravoRwLock.SLOW_READ);
        second.readUnlock(BravoRwLock.SLOW_READ);
        // A writer of the second lock scans the table, finds only the first lock there, and goes on.
        Threads.run(() -> {
            second.writeLock();
            second.writeUnlock();
        }).get(10, TimeUnit.SECONDS);
        first.readUnlock(firstTicket);
    }
}
