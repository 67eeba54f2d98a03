package org.a2q.app;

/**
 * Entry point for class-path launches: JavaFX refuses to start an Application subclass named as
 * the main class when it is not on the module path, so this plain class starts it.
 */
public final class Launcher {
    private Launcher() { }

    public static void main(String[] args) {
        WorkbenchApp.main(args);
    }
}
