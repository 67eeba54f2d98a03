package org.a2q.app.vm;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.a2q.engine.EngineException;

/**
 * Turns exceptions into sentences for a dialog. Engine exceptions already say what is wrong and
 * what to do; anything else is a bug, so the user gets a calm explanation and the stack trace
 * goes to the log, where a bug report can pick it up.
 */
public final class UserMessages {
    private static final Logger LOG = Logger.getLogger("org.a2q.app");

    private UserMessages() { }

    public static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && !(root instanceof EngineException) && root != root.getCause()) {
            root = root.getCause();
        }
        if (root instanceof EngineException e) {
            return sentence(e.getMessage());
        }
        if (root instanceof OutOfMemoryError) {
            return "The workbench ran out of memory. Close other programs, or start it with more memory, "
                    + "e.g. A2Q_JAVA_OPTS=-Xmx8g ./a2q";
        }
        LOG.log(Level.SEVERE, "unexpected error", t);
        String detail = root.getMessage() == null ? "" : ": " + root.getMessage();
        return "Something unexpected went wrong (" + root.getClass().getSimpleName() + detail + "). "
                + "This is a bug in the workbench, not in your input; the details were written to the log. "
                + "Your files are unchanged. Try the action again, or restart the workbench.";
    }

    /** Engine messages start lower-case so the CLI can prefix them; a dialog wants a sentence. */
    static String sentence(String m) {
        if (m == null || m.isBlank()) {
            return "The operation failed without an explanation.";
        }
        String s = Character.toUpperCase(m.charAt(0)) + m.substring(1);
        return s.endsWith(".") ? s : s + ".";
    }
}
