package org.a2q.app.view;

import java.util.logging.Level;
import java.util.logging.Logger;
import javafx.application.Platform;
import javafx.scene.control.Alert;
import javafx.scene.control.ButtonType;
import javafx.scene.control.Label;
import javafx.stage.Window;
import org.a2q.app.vm.ErrorSink;
import org.a2q.app.vm.UserMessages;

/**
 * Shows problems as dialogs that say what went wrong and what to do. Also the last line of
 * defence: the default uncaught-exception handler logs the trace and shows a calm dialog instead
 * of letting a bug kill the window or print a trace at the user.
 */
public final class ErrorDialogs implements ErrorSink {
    /** Style class of every error dialog's pane, for tests and the stylesheet. */
    public static final String STYLE_CLASS = "error-dialog";
    private static final Logger LOG = Logger.getLogger("org.a2q.app");

    private final Window owner;

    public ErrorDialogs(Window owner) {
        this.owner = owner;
    }

    @Override
    public void report(String title, String message) {
        if (!Platform.isFxApplicationThread()) {
            Platform.runLater(() -> report(title, message));
            return;
        }
        Alert alert = new Alert(Alert.AlertType.ERROR, "", ButtonType.OK);
        alert.setTitle("A2Q Workbench");
        alert.setHeaderText(title);
        Label text = new Label(message);
        text.setWrapText(true);
        text.setMaxWidth(520);
        alert.getDialogPane().setContent(text);
        alert.getDialogPane().getStyleClass().add(STYLE_CLASS);
        alert.getDialogPane().setMinWidth(460);
        if (owner != null && owner.isShowing()) {
            alert.initOwner(owner);
        }
        // show(), not showAndWait(): a dialog must never block the code that reports the error.
        alert.show();
    }

    /** Routes every uncaught exception, on any thread, to the log and a dialog. */
    public void installAsUncaughtHandler() {
        Thread.UncaughtExceptionHandler h = (thread, e) -> {
            LOG.log(Level.SEVERE, "uncaught exception on " + thread.getName(), e);
            report("Something went wrong", UserMessages.describe(e));
        };
        Thread.setDefaultUncaughtExceptionHandler(h);
        if (Platform.isFxApplicationThread()) {
            Thread.currentThread().setUncaughtExceptionHandler(h);
        }
    }
}
