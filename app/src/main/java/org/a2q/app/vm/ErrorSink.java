package org.a2q.app.vm;

/**
 * Where view-models report failures the user must see. The window shows them as dialogs; tests
 * can collect them. Always called on the JavaFX application thread.
 */
@FunctionalInterface
public interface ErrorSink {
    /**
     * @param title   what the user was doing, e.g. "Could not open the data folder"
     * @param message what went wrong and what to do about it; never a stack trace
     */
    void report(String title, String message);
}
