package org.a2q.app;

import java.nio.file.Path;
import java.util.List;
import javafx.application.Application;
import javafx.stage.Stage;
import org.a2q.app.vm.Settings;

/**
 * The workbench window. Options: {@code --screenshots DIR} renders every view to DIR as PNG
 * (after a short real training run) and exits; used for the README pictures.
 */
public final class WorkbenchApp extends Application {
    public static void main(String[] args) {
        launch(WorkbenchApp.class, args);
    }

    @Override
    public void start(Stage stage) {
        List<String> args = getParameters().getRaw();
        int i = args.indexOf("--screenshots");
        if (i >= 0 && i + 1 < args.size()) {
            // A throwaway settings node: pictures must not depend on, or change, the user's settings.
            Settings s = new Settings(java.util.prefs.Preferences.userRoot().node("org/a2q/workbench-screenshots"));
            s.clear();
            new ScreenshotTour(Workbench.open(stage, s), Path.of(args.get(i + 1))).start();
        } else {
            Workbench.open(stage, Settings.user());
        }
    }
}
