package org.a2q.engine.train;

import java.util.concurrent.locks.LockSupport;
import org.a2q.engine.EngineException;

/**
 * A second thread that runs one task at a time beside the caller ({@link #runBoth}), handing work
 * over by spinning on volatile fields for short waits and parking only for long ones.
 *
 * <p>Why: a split training step hands work over once (float) or three times (quantized: weight
 * quantizers forward, the two halves, weight quantizers backward). Through an executor (a blocking
 * queue and a Future) the worker started 100–330 µs a step after the submits on this 2-vCPU VM
 * and the caller woke 10–130 µs after the worker finished (LeNet, timed per step); a parked vCPU
 * also came back slower (the caller's half ran 20–30 % longer than the worker's while the worker
 * parked between steps, the same once it spun). Alternated in one process, spinning made the
 * step 2–6 % faster than the same hand-over with parking (float LeNet 2.64–2.78 vs 2.76–2.94 ms,
 * A2Q+ 3.95–5.00 vs 4.19–5.28). The spinning thread holds a core only while the other works or
 * between steps, when training keeps both busy anyway.
 */
final class SpinHandoffWorker implements AutoCloseable {
    /**
     * How long the worker spins for the next task before parking: longer than the caller's half can
     * outlast its own plus the optimizer step between steps (with 0.5 ms it parked every step).
     */
    static final long WORKER_SPIN_NANOS = 3_000_000;
    /** How long the caller spins for the worker's result before parking (a half batch can take milliseconds). */
    static final long CALLER_SPIN_NANOS = 5_000_000;
    private static final long PARK_NANOS = 50_000;
    /**
     * Pure spinning for this long, then yielding between checks: on an idle core a yield returns at
     * once, and when more threads than cores want to run the waiting one gives its core away. Two
     * LeNet trainers in two processes at once: 8.5-8.9 ms per step each spinning throughout,
     * 5.7-6.2 yielding after 20 µs; alone, the two measured the same (ratios 0.99-1.04 alternated).
     */
    private static final long BUSY_SPIN_NANOS = 20_000;

    private final Thread thread;
    private final long workerSpinNanos;
    private volatile Runnable task;        // posted by the caller, taken by the worker
    private volatile boolean done = true;  // the last posted task has finished
    private volatile Throwable failure;    // what it threw, if anything
    private volatile Thread waiter;        // the caller, while it parks for the result
    private volatile boolean closed;
    private volatile boolean resting;      // park at once after the current task instead of spinning

    SpinHandoffWorker(String name) {
        this(name, WORKER_SPIN_NANOS);
    }

    /** @param workerSpinNanos how long the worker spins for the next task before parking */
    SpinHandoffWorker(String name, long workerSpinNanos) {
        this.workerSpinNanos = workerSpinNanos;
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs {@code mine} on the calling thread and {@code theirs} on the worker; returns when both are done. */
    void runBoth(Runnable mine, Runnable theirs) {
        if (closed) {
            throw new IllegalStateException("worker closed");
        }
        failure = null;
        done = false;
        resting = false;
        task = theirs;
        LockSupport.unpark(thread);
        Throwable own = null;
        try {
            mine.run();
        } catch (Throwable t) {
            own = t;
        }
        awaitDone();
        Throwable theirFailure = failure;
        if (own != null) {
            if (theirFailure != null && theirFailure != own) {
                own.addSuppressed(theirFailure);
            }
            throw rethrown(own);
        }
        if (theirFailure != null) {
            throw rethrown(theirFailure);
        }
    }

    private static RuntimeException rethrown(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new EngineException("training step failed: " + t, t);
    }

    /** Spins, then parks, until the worker's task is done (interrupts are kept for the caller). */
    private void awaitDone() {
        long start = System.nanoTime();
        while (!done) {
            long waited = System.nanoTime() - start;
            if (waited < CALLER_SPIN_NANOS) {
                pause(waited);
            } else {
                waiter = Thread.currentThread();
                if (!done) {
                    LockSupport.parkNanos(this, PARK_NANOS);
                }
                waiter = null;
            }
        }
    }

    private void loop() {
        while (!closed) {
            Runnable t = nextTask();
            if (t == null) {
                continue;
            }
            try {
                t.run();
            } catch (Throwable e) {
                failure = e;
            }
            done = true;
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /** The posted task (taken off the slot), or null when closed; spins first, then parks. */
    private Runnable nextTask() {
        long start = System.nanoTime();
        while (!closed) {
            Runnable t = task;
            if (t != null) {
                task = null;
                return t;
            }
            long waited = System.nanoTime() - start;
            if (!resting && waited < workerSpinNanos) {
                pause(waited);
            } else {
                LockSupport.park(this);   // runBoth unparks after posting; spurious wake-ups loop
            }
        }
        return null;
    }

    /** One wait step: a spin hint for the first {@link #BUSY_SPIN_NANOS}, a yield after. */
    static void pause(long waitedNanos) {
        if (waitedNanos < BUSY_SPIN_NANOS) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /**
     * No spinning until the next {@link #runBoth}: other work follows (evaluation, another model's
     * steps, a PyTorch process being timed), and a spinning worker would hold a core from it.
     */
    void rest() {
        resting = true;
        LockSupport.unpark(thread);
    }

    /** The worker thread (tests look at its state). */
    Thread thread() {
        return thread;
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
