package org.a2q.app;

import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.a2q.engine.cli.Main;

/**
 * Entry point for class-path launches: JavaFX refuses to start an Application subclass named as
 * the main class when it is not on the module path, so this plain class starts it.
 */
public final class Launcher {
    // Held so the level set below is not lost when the logger is garbage-collected.
    private static final Logger JAVAFX_LOG = Logger.getLogger("javafx");
    private static final Logger PLATFORM_LOG = Logger.getLogger("com.sun.javafx.application.PlatformImpl");

    private Launcher() { }

    public static void main(String[] args) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        // Quiet like the command line: no ND4J banner or library INFO lines, and no JavaFX notice
        // about running from the class path (expected here), unless --verbose.
        Main.quietLogging(verbose);
        if (!verbose) {
            JAVAFX_LOG.setLevel(Level.SEVERE);
            PLATFORM_LOG.setLevel(Level.SEVERE);
        }
        WorkbenchApp.main(Arrays.stream(args).filter(a -> !a.equals("--verbose")).toArray(String[]::new));
    }
}
