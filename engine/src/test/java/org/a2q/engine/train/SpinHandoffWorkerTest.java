package org.a2q.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicReference;
import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;

/** Both parts run, on two threads, after short and long gaps, and failures reach the caller. */
class SpinHandoffWorkerTest {
    @Test
    void runsBothPartsOnTwoThreadsAfterShortAndLongGaps() throws InterruptedException {
        try (SpinHandoffWorker w = new SpinHandoffWorker("test-worker")) {
            AtomicReference<Thread> other = new AtomicReference<>();
            long[] sums = new long[2];
            for (int round = 0; round < 200; round++) {
                int r = round;
                w.runBoth(() -> sums[0] += r, () -> {
                    sums[1] += r;
                    other.set(Thread.currentThread());
                });
                if (round % 50 == 49) {
                    Thread.sleep((SpinHandoffWorker.WORKER_SPIN_NANOS / 1_000_000) + 5);   // the worker parks
                }
            }
            assertEquals(19_900, sums[0]);
            assertEquals(19_900, sums[1], "every posted part ran once, its writes seen by the caller");
            assertNotSame(Thread.currentThread(), other.get());
        }
    }

    @Test
    void aFailureOnEitherSideReachesTheCallerAndTheWorkerGoesOn() {
        try (SpinHandoffWorker w = new SpinHandoffWorker("test-worker")) {
            IllegalStateException theirs = new IllegalStateException("theirs");
            assertSame(theirs, assertThrows(IllegalStateException.class, () -> w.runBoth(() -> { }, () -> {
                throw theirs;
            })));
            IllegalArgumentException mine = new IllegalArgumentException("mine");
            IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, () -> w.runBoth(() -> {
                throw mine;
            }, () -> {
                throw theirs;
            }));
            assertSame(mine, thrown);
            assertSame(theirs, thrown.getSuppressed()[0]);
            EngineException checked = assertThrows(EngineException.class, () -> w.runBoth(() -> { }, () -> {
                throw sneaky(new Exception("checked"));
            }));
            assertEquals("checked", checked.getCause().getMessage());
            int[] ran = new int[1];
            w.runBoth(() -> { }, () -> ran[0]++);
            assertEquals(1, ran[0]);
        }
    }

    @Test
    void aRestingWorkerParksInsteadOfSpinning() throws InterruptedException {
        try (SpinHandoffWorker w = new SpinHandoffWorker("test-worker", 60_000_000_000L)) {
            w.runBoth(() -> { }, () -> { });
            Thread.sleep(50);
            assertEquals(Thread.State.RUNNABLE, w.thread().getState(), "spinning for the next task");
            w.rest();
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (w.thread().getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(Thread.State.WAITING, w.thread().getState(), "parked after rest()");
            int[] ran = new int[1];
            w.runBoth(() -> { }, () -> ran[0]++);
            assertEquals(1, ran[0], "and wakes for the next task");
        }
    }

    @Test
    void aClosedWorkerRefusesWork() {
        SpinHandoffWorker w = new SpinHandoffWorker("test-worker");
        w.close();
        assertThrows(IllegalStateException.class, () -> w.runBoth(() -> { }, () -> { }));
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
