package org.a2q.engine.train;

/** A flag long work polls between steps; cancel() is safe from any thread (GUI, signal handler). */
public final class Cancellation {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled || Thread.currentThread().isInterrupted();
    }

    public static Cancellation none() {
        return new Cancellation();
    }
}
