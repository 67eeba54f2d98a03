package org.a2q.app.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Collects events from a worker thread and hands them to the UI in batches, at most once per
 * interval. Training fires hundreds of step events a second; redrawing charts for each would
 * keep the JavaFX thread busy and make the window sluggish, while ten redraws a second look live.
 */
public final class Coalescer<T> {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "a2q-coalescer");
        t.setDaemon(true);
        return t;
    });

    private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final long intervalNanos;
    private final Executor uiExecutor;
    private final Consumer<List<T>> sink;
    private volatile long lastFlush;

    /**
     * @param intervalMillis shortest time between two deliveries
     * @param uiExecutor     runs the delivery (Platform::runLater in the app)
     * @param sink           receives each batch in arrival order, on the ui executor
     */
    public Coalescer(long intervalMillis, Executor uiExecutor, Consumer<List<T>> sink) {
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
        this.uiExecutor = uiExecutor;
        this.sink = sink;
        this.lastFlush = System.nanoTime() - intervalNanos;
    }

    /** Safe from any thread; cheap enough to call on every training step. */
    public void offer(T event) {
        queue.add(event);
        if (scheduled.compareAndSet(false, true)) {
            long wait = Math.max(0, lastFlush + intervalNanos - System.nanoTime());
            TIMER.schedule(() -> uiExecutor.execute(this::flush), wait, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Delivers everything queued so far; call it on the ui thread when the work ends so the last
     * events are shown before the "finished" state.
     */
    public void flush() {
        scheduled.set(false);
        lastFlush = System.nanoTime();
        List<T> batch = new ArrayList<>();
        for (T e; (e = queue.poll()) != null; ) {
            batch.add(e);
        }
        if (!batch.isEmpty()) {
            sink.accept(batch);
        }
    }
}
