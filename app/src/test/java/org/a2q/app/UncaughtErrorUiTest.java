package org.a2q.app;

import static org.a2q.app.WorkbenchFixture.waitUntil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeoutException;
import javafx.application.Platform;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
import javafx.scene.control.DialogPane;
import javafx.scene.control.Label;
import org.a2q.app.view.ErrorDialogs;
import org.a2q.app.view.NavItem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxRobot;
import org.testfx.util.WaitForAsyncUtils;

/**
 * A bug that escapes as an uncaught exception, on the FX thread or a worker, must end in a calm
 * dialog (no stack trace, no internals) and leave the window usable: the user can dismiss it and
 * carry on.
 */
class UncaughtErrorUiTest {
    private static final String PREFS = "org/a2q/workbench-uitest-uncaught";
    private static Workbench wb;
    private final FxRobot robot = new FxRobot();

    @BeforeAll
    static void openWorkbench() throws Exception {
        wb = WorkbenchFixture.open(PREFS);
    }

    @AfterAll
    static void close() throws Exception {
        WorkbenchFixture.close(wb, PREFS);
    }

    @Test
    void uncaughtExceptionsShowACalmDialogAndTheWindowKeepsWorking() throws Exception {
        // On the FX thread, as a buggy event handler would throw.
        Platform.runLater(() -> {
            throw new IllegalStateException("boom");
        });
        assertCalm(waitForErrorDialog(), "boom");
        dismiss();

        // The handler survives the first error, and covers other threads too.
        Thread worker = new Thread(() -> {
            throw new IllegalArgumentException("bang");
        }, "some-worker");
        worker.start();
        worker.join();
        assertCalm(waitForErrorDialog(), "bang");
        dismiss();

        // The window still responds: navigate to another view and back.
        clickNav("Data");
        assertEquals(NavItem.DATA, wb.window().selected());
        clickNav("Model");
        assertEquals(NavItem.MODEL, wb.window().selected());
        assertTrue(wb.stage().isShowing());
        assertTrue(robot.lookup("." + ErrorDialogs.STYLE_CLASS).tryQuery().isEmpty(), "no dialog left over");
    }

    private static void assertCalm(DialogPane dialog, String detail) {
        String text = ((Label) dialog.getContent()).getText();
        assertEquals("Something went wrong", dialog.getHeaderText());
        assertTrue(text.contains(detail), text);
        assertTrue(text.contains("Your files are unchanged"), "says what it means for the user: " + text);
        assertFalse(text.contains("\tat ") || text.contains("\n\tat") || text.contains("java.lang.")
                || text.contains("Exception in thread") || text.contains(".java:"), "no stack trace: " + text);
        assertTrue(text.lines().count() <= 3, "a short message, not a dump: " + text);
    }

    private void dismiss() throws Exception {
        DialogPane pane = robot.lookup("." + ErrorDialogs.STYLE_CLASS).queryAs(DialogPane.class);
        robot.clickOn((Button) pane.lookupButton(ButtonType.OK));
        waitUntil(10, () -> robot.lookup("." + ErrorDialogs.STYLE_CLASS).tryQuery().isEmpty());
    }

    private void clickNav(String title) {
        robot.clickOn(robot.lookup(".nav-title").match((Label l) -> l.getText().equals(title)).queryLabeled());
        WaitForAsyncUtils.waitForFxEvents();
    }

    private DialogPane waitForErrorDialog() throws TimeoutException {
        waitUntil(20, () -> robot.lookup("." + ErrorDialogs.STYLE_CLASS).tryQuery().isPresent());
        return robot.lookup("." + ErrorDialogs.STYLE_CLASS).queryAs(DialogPane.class);
    }

}
