package io.forkline.concurrent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * The pools' accounting, by Lincheck in model-checking and stress modes: no object is handed out
 * while someone holds it or after it was destroyed, none is destroyed twice, and after close every
 * object ever created is either destroyed or still held by a borrower (none lost). Refills run as an
 * operation of their own, so the model checker interleaves them with acquires and releases.
 */
class PoolLincheckTest {

    static final class Thing {
        final AtomicBoolean handedOut = new AtomicBoolean();
        final AtomicInteger destroyCount = new AtomicInteger();
        final int serial;

        Thing(int serial) {
            this.serial = serial;
        }
    }

    /** Recycles two objects out of three and destroys the third, so both release paths run. */
    static final class CountingFactory implements PooledObjectFactory<Thing> {
        final ConcurrentLinkedQueue<Thing> created = new ConcurrentLinkedQueue<>();
        private final AtomicInteger serials = new AtomicInteger();

        @Override
        public Thing create() {
            Thing thing = new Thing(serials.incrementAndGet());
            created.add(thing);
            return thing;
        }

        @Override
        public boolean recycle(Thing thing) {
            return thing.serial % 3 != 0;
        }

        @Override
        public void destroy(Thing thing) {
            thing.destroyCount.incrementAndGet();
        }
    }

    /** Runs refills when the scenario says so, on the thread that says so. */
    static final class ManualScheduler implements RefillScheduler {
        private final ConcurrentLinkedQueue<Runnable> pending = new ConcurrentLinkedQueue<>();

        @Override
        public void schedule(Runnable refill, long delayNanos) {
            pending.add(refill);
        }

        void runPending() {
            for (Runnable refill; (refill = pending.poll()) != null; ) {
                refill.run();
            }
        }
    }

    abstract static class PoolScenario {
        final CountingFactory factory = new CountingFactory();
        final ManualScheduler scheduler = new ManualScheduler();
        private final ConcurrentLinkedQueue<Thing> borrowed = new ConcurrentLinkedQueue<>();
        private ObjectPool<Thing> pool;

        void use(ObjectPool<Thing> pool) {
            this.pool = pool;
        }

        @Operation
        public boolean borrow() {
            Thing thing = pool.acquire();
            boolean ok = thing.handedOut.compareAndSet(false, true) && thing.destroyCount.get() == 0;
            borrowed.add(thing);
            return ok;
        }

        @Operation
        public boolean giveBack() {
            Thing thing = borrowed.poll();
            if (thing != null) {
                thing.handedOut.set(false);
                pool.release(thing);
            }
            return true;
        }

        @Operation
        public boolean refill() {
            scheduler.runPending();
            return true;
        }

        /** Called from a {@code @Validate} method in each concrete scenario (Lincheck wants one). */
        void checkNothingLostAfterClose() {
            pool.close();
            List<Thing> held = new ArrayList<>(borrowed);
            for (Thing thing : factory.created) {
                int expected = held.contains(thing) ? 0 : 1;
                if (thing.destroyCount.get() != expected) {
                    throw new AssertionError("object " + thing.serial + " destroyed "
                            + thing.destroyCount.get() + " times, expected " + expected);
                }
            }
        }
    }

    public static class ReplenishingScenario extends PoolScenario {
        @Validate
        public void nothingLostAfterClose() {
            checkNothingLostAfterClose();
        }

        public ReplenishingScenario() {
            use(new ReplenishingPool<>(factory, 2, 1, Duration.ZERO, scheduler));
        }
    }

    public static class LockedOnDemandScenario extends PoolScenario {
        @Validate
        public void nothingLostAfterClose() {
            checkNothingLostAfterClose();
        }

        public LockedOnDemandScenario() {
            use(new LockedOnDemandPool<>(factory));
        }
    }

    /** Seeded bug: an idle stack whose pop and push are plain reads and writes of the top index. */
    public static class RacyStackScenario extends PoolScenario {
        @Validate
        public void nothingLostAfterClose() {
            checkNothingLostAfterClose();
        }

        public RacyStackScenario() {
            use(new RacyStackPool(factory));
        }
    }

    static final class RacyStackPool implements ObjectPool<Thing> {
        private final CountingFactory factory;
        private final Thing[] stack = new Thing[16];
        private int top;

        RacyStackPool(CountingFactory factory) {
            this.factory = factory;
        }

        @Override
        public Thing acquire() {
            int t = top;
            if (t == 0) {
                return factory.create();
            }
            Thing thing = stack[t - 1];
            top = t - 1;
            return thing;
        }

        @Override
        public void release(Thing thing) {
            int t = top;
            stack[t] = thing;
            top = t + 1;
        }

        @Override
        public void close() {
            for (int t = top; t > 0; t--) {
                factory.destroy(stack[t - 1]);
            }
            top = 0;
        }
    }

    @Test
    void replenishingModelChecking() {
        LincheckRuns.modelChecking().check(ReplenishingScenario.class);
    }

    @Test
    void replenishingStress() {
        LincheckRuns.stress().check(ReplenishingScenario.class);
    }

    @Test
    void lockedOnDemandModelChecking() {
        LincheckRuns.modelChecking().check(LockedOnDemandScenario.class);
    }

    @Test
    void modelCheckingCatchesRacyStack() {
        LincheckRuns.assertCatches(
                LincheckRuns.modelCheckingForSeededBug(), RacyStackScenario.class,
                LincheckRuns.INVALID_RESULTS + "|object \\d+ destroyed");
    }
}
