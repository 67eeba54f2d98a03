package org.a2q.app;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.prefs.Preferences;
import javafx.stage.Stage;
import javafx.stage.Window;
import org.a2q.app.vm.Settings;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

/**
 * One workbench window per UI test class, on the bundled sample, with its own preference node so
 * tests never touch a user's settings (or each other's).
 */
final class WorkbenchFixture {
    private WorkbenchFixture() { }

    /** Opens the workbench and waits until the sample model and data are loaded and the worker is idle. */
    static Workbench open(String prefsNode) throws Exception {
        Settings settings = new Settings(Preferences.userRoot().node(prefsNode));
        settings.clear();
        Stage stage = FxToolkit.registerPrimaryStage();
        Workbench[] wb = new Workbench[1];
        FxToolkit.setupFixture(() -> wb[0] = Workbench.open(stage, settings));
        waitUntil(60, () -> wb[0].model().layers().size() > 0 && wb[0].session().data() != null
                && !wb[0].runner().isBusy());
        return wb[0];
    }

    /** Closes every window but the main one (dialogs a test left open). */
    static void closeDialogs(Workbench wb) throws Exception {
        FxToolkit.setupFixture(() -> {
            for (Window w : List.copyOf(Window.getWindows())) {
                if (w != wb.stage()) {
                    // Dialogs are stages; pop-overs, tooltips and menus are popup windows.
                    if (w instanceof Stage st) {
                        st.close();
                    } else {
                        w.hide();
                    }
                }
            }
        });
    }

    /** Closes dialogs and the window, then removes the test's preference node. */
    static void close(Workbench wb, String prefsNode) throws Exception {
        closeDialogs(wb);
        FxToolkit.setupFixture(() -> {
            wb.stage().setOnHidden(null); // its settings node is about to be removed
            wb.stage().hide();
        });
        Preferences.userRoot().node(prefsNode).removeNode();
    }

    static void waitUntil(int seconds, BooleanSupplier condition) throws TimeoutException {
        WaitForAsyncUtils.waitFor(seconds, TimeUnit.SECONDS, condition::getAsBoolean);
        WaitForAsyncUtils.waitForFxEvents();
    }
}
