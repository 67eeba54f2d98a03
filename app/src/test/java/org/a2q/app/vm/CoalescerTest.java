package org.a2q.app.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CoalescerTest {
    @Test
    void manyEventsArriveInFewBatchesInOrder() throws Exception {
        ExecutorService ui = Executors.newSingleThreadExecutor();
        List<List<Integer>> batches = new ArrayList<>();
        Coalescer<Integer> c = new Coalescer<>(50, ui, batches::add);
        long start = System.nanoTime();
        for (int i = 0; i < 20_000; i++) {
            c.offer(i);
            if (i % 2000 == 0) {
                Thread.sleep(10); // a producer that runs for ~100 ms, like a short training run
            }
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        ui.submit(c::flush).get();
        ui.shutdown();
        List<Integer> all = new ArrayList<>();
        batches.forEach(all::addAll);
        assertEquals(20_000, all.size());
        for (int i = 0; i < all.size(); i++) {
            assertEquals(i, all.get(i));
        }
        // at most one delivery per interval, plus the first one and the final flush
        assertTrue(batches.size() <= elapsedMs / 50 + 3, batches.size() + " batches in " + elapsedMs + " ms");
    }

    @Test
    void flushDeliversPendingEventsAtOnce() {
        List<List<String>> batches = new ArrayList<>();
        Coalescer<String> c = new Coalescer<>(10_000, r -> { }, batches::add);
        c.offer("a");
        c.offer("b");
        c.flush();
        assertEquals(List.of(List.of("a", "b")), batches);
    }
}
