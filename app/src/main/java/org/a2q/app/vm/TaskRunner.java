package org.a2q.app.vm;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.concurrent.Task;
import javafx.concurrent.Worker;
import org.a2q.engine.train.Cancellation;

/**
 * Runs engine work off the JavaFX thread and publishes what is running for the status bar.
 *
 * <p>All engine work goes through ONE worker thread: a model's graph holds preallocated buffers
 * and is not safe to use from two threads, and serial work also keeps the order users expect
 * (load, then evaluate, then train). Jobs queue behind each other; the status shows the running one.
 */
public final class TaskRunner {
    /** Text of the status bar when nothing runs; tests look for it. */
    public static final String IDLE = "Ready";

    /** A piece of engine work. Runs on the worker thread; must not touch the UI. */
    @FunctionalInterface
    public interface Job<T> {
        T run(Progress progress) throws Exception;
    }

    /** What a job can tell the status bar, and how it learns that the user pressed Cancel. */
    public interface Progress {
        /** @param fraction 0..1, or negative for "unknown" */
        void update(double fraction, String message);

        /** Poll between steps; the engine's own loops take it directly. */
        Cancellation cancellation();

        /** Throws CancellationException when cancelled: for jobs whose partial result is useless. */
        default void checkCancelled() {
            if (cancellation().isCancelled()) {
                throw new CancellationException();
            }
        }
    }

    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "a2q-engine");
        t.setDaemon(true);
        return t;
    });
    private final ErrorSink errors;
    private final ReadOnlyBooleanWrapper busy = new ReadOnlyBooleanWrapper(this, "busy");
    private final ReadOnlyStringWrapper message = new ReadOnlyStringWrapper(this, "message", IDLE);
    private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(this, "progress", 0);
    private final ReadOnlyBooleanWrapper cancellable = new ReadOnlyBooleanWrapper(this, "cancellable");
    private int pending;
    private JobTask<?> current;
    private String lastOutcome = "";

    public TaskRunner(ErrorSink errors) {
        this.errors = errors;
    }

    public ReadOnlyBooleanProperty busyProperty() { return busy.getReadOnlyProperty(); }
    public ReadOnlyStringProperty messageProperty() { return message.getReadOnlyProperty(); }
    public ReadOnlyDoubleProperty progressProperty() { return progress.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty cancellableProperty() { return cancellable.getReadOnlyProperty(); }

    public boolean isBusy() { return busy.get(); }

    /**
     * Queues a job. Call on the JavaFX thread.
     *
     * @param title      shown in the status bar while it runs ("Training LeNet")
     * @param canCancel  whether the status bar offers Cancel for it
     * @param onSuccess  receives the result on the JavaFX thread (may be null)
     * @param onFinished runs on the JavaFX thread after success, failure or cancel (may be null)
     */
    public <T> Task<T> submit(String title, boolean canCancel, Job<T> job, Consumer<T> onSuccess, Runnable onFinished) {
        JobTask<T> task = new JobTask<>(title, canCancel, job);
        task.setOnRunning(e -> started(task));
        task.setOnSucceeded(e -> {
            try {
                if (onSuccess != null) {
                    onSuccess.accept(task.getValue());
                }
            } catch (RuntimeException ex) {
                errors.report(title + " failed", UserMessages.describe(ex));
            }
            finished(task, onFinished, task.cancellation.isCancelled() ? "cancelled" : "done");
        });
        task.setOnCancelled(e -> finished(task, onFinished, "cancelled"));
        task.setOnFailed(e -> {
            Throwable ex = task.getException();
            boolean cancelled = ex instanceof CancellationException || task.cancellation.isCancelled();
            if (!cancelled) {
                errors.report(title + " failed", UserMessages.describe(ex));
            }
            finished(task, onFinished, cancelled ? "cancelled" : "failed");
        });
        pending++;
        busy.set(true);
        worker.execute(task);
        return task;
    }

    /** Shortcut without a finish hook. */
    public <T> Task<T> submit(String title, boolean canCancel, Job<T> job, Consumer<T> onSuccess) {
        return submit(title, canCancel, job, onSuccess, null);
    }

    /** Asks the running job to stop at its next check; queued jobs still run. */
    public void cancelCurrent() {
        if (current != null) {
            current.cancellation.cancel();
            // Say so at once; the job may need a moment to reach its next check.
            message.unbind();
            message.set("Cancelling " + lowerFirst(current.title) + "…");
        }
    }

    /** A short note shown after "Ready" (e.g. where a file was saved). Call on the JavaFX thread. */
    public void setOutcome(String note) {
        lastOutcome = note == null ? "" : note;
        if (!busy.get()) {
            message.set(idleText());
        }
    }

    private void started(JobTask<?> task) {
        current = task;
        cancellable.set(task.canCancel);
        message.unbind();
        progress.unbind();
        message.bind(task.messageProperty());
        progress.bind(task.progressProperty());
    }

    private void finished(JobTask<?> task, Runnable onFinished, String how) {
        if (onFinished != null) {
            try {
                onFinished.run();
            } catch (RuntimeException ex) {
                errors.report(task.title + " failed", UserMessages.describe(ex));
            }
        }
        pending--;
        if (current == task) {
            current = null;
            message.unbind();
            progress.unbind();
            cancellable.set(false);
        }
        if (how.equals("cancelled")) {
            lastOutcome = task.title + " cancelled";
        }
        if (pending == 0) {
            progress.set(0);
            message.set(idleText());
            busy.set(false);
        }
    }

    private String idleText() {
        return lastOutcome.isEmpty() ? IDLE : IDLE + " · " + lastOutcome;
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    /** Bridges a Job to JavaFX's Task so progress and message updates are coalesced onto the FX thread. */
    private static final class JobTask<T> extends Task<T> {
        final String title;
        final boolean canCancel;
        final Job<T> job;
        final Cancellation cancellation = new Cancellation();

        JobTask(String title, boolean canCancel, Job<T> job) {
            this.title = title;
            this.canCancel = canCancel;
            this.job = job;
            updateTitle(title);
            updateMessage(title + "…");
            updateProgress(-1, 1);
        }

        @Override
        protected T call() throws Exception {
            return job.run(new Progress() {
                @Override
                public void update(double fraction, String msg) {
                    if (fraction < 0) {
                        updateProgress(-1, 1);
                    } else {
                        updateProgress(Math.min(1, fraction), 1);
                    }
                    updateMessage(msg == null ? title : msg);
                }

                @Override
                public Cancellation cancellation() {
                    return cancellation;
                }
            });
        }
    }

    /** Exposed for the status bar's "is something running" checks in tests. */
    public Worker.State currentState() {
        return current == null ? Worker.State.READY : current.getState();
    }
}
