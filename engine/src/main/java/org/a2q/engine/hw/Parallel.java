package org.a2q.engine.hw;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

import org.a2q.engine.EngineRuntime;

/**
 * Runs the parts 0..n−1 of a job on a fixed pool of daemon threads plus the calling thread, which
 * works too. Parts are handed out in order from a shared counter, so which thread runs which part
 * varies; callers make results independent of that by giving each part its own outputs (disjoint
 * array ranges, its own tally) and combining them in part order afterwards.
 *
 * <p>The pool never blocks: its threads only run parts, and a part that calls {@link #run} again
 * runs the inner parts itself.
 */
final class Parallel {
    private static final int POOL_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    private static final ThreadLocal<Boolean> IN_POOL = ThreadLocal.withInitial(() -> false);
    private static volatile ExecutorService pool;

    private Parallel() {
    }

    /** Threads a job uses: the engine's configured compute threads, else all cores. */
    static int threads() {
        int t = EngineRuntime.threads();
        return t > 0 ? t : Runtime.getRuntime().availableProcessors();
    }

    /** A number of parts for n independent items: a few per thread for balance, at most n. */
    static int parts(int items) {
        return Math.max(1, Math.min(items, threads() * 4));
    }

    static void run(int parts, IntConsumer part) {
        int helpers = Math.min(Math.min(threads(), parts) - 1, POOL_THREADS);
        if (helpers <= 0 || IN_POOL.get()) {
            for (int i = 0; i < parts; i++) {
                part.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i = next.getAndIncrement(); i < parts; i = next.getAndIncrement()) {
                part.accept(i);
            }
        };
        List<Future<?>> futures = new ArrayList<>(helpers);
        for (int h = 0; h < helpers; h++) {
            futures.add(pool().submit(worker));
        }
        Throwable failure = null;
        try {
            worker.run();
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        // Wait for every helper even when interrupted: they write into the caller's arrays.
        boolean interrupted = false;
        for (Future<?> f : futures) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    private static ExecutorService pool() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                if (pool == null) {
                    AtomicInteger id = new AtomicInteger();
                    pool = Executors.newFixedThreadPool(POOL_THREADS, r -> {
                        Thread t = new Thread(() -> {
                            IN_POOL.set(true);
                            r.run();
                        }, "a2q-integer-" + id.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
                }
                p = pool;
            }
        }
        return p;
    }
}
