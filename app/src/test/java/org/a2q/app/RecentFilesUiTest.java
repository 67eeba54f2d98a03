package org.a2q.app;

import static org.a2q.app.WorkbenchFixture.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.prefs.Preferences;
import javafx.scene.control.DialogPane;
import javafx.scene.control.Label;
import javafx.scene.control.MenuItem;
import javafx.scene.control.SplitMenuButton;
import org.a2q.app.view.ErrorDialogs;
import org.a2q.app.view.FileChoosers;
import org.a2q.app.vm.RecentFiles;
import org.a2q.app.vm.Settings;
import org.a2q.engine.io.onnx.OnnxExporter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;

/** The toolbar's Open remembers what was opened and offers it again, newest first, across sessions. */
class RecentFilesUiTest {
    private static final String PREFS = "org/a2q/workbench-recent-uitest";
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
    void openedRunsAreOfferedAgainAndAMissingOneIsDropped(@TempDir Path dir) throws Exception {
        FxToolkit.setupFixture(() -> wb.recent().clear());
        Path first = save(dir, "first");
        Path second = save(dir, "second");
        SplitMenuButton open = robot.lookup("#openRunButton").queryAs(SplitMenuButton.class);
        assertEquals(List.of("No recent files"), open.getItems().stream().map(MenuItem::getText).toList());

        openWithDialog(first);
        openWithDialog(second);
        assertEquals(List.of(second, first), wb.recent().files(), "newest first");
        assertEquals("recentFile0", open.getItems().get(0).getId());
        assertTrue(open.getItems().get(0).getText().startsWith("second.a2q"), open.getItems().get(0).getText());
        assertTrue(open.getItems().get(1).getText().startsWith("first.a2q"), open.getItems().get(1).getText());
        // Remembered in the settings, so the next session offers them too.
        Settings stored = new Settings(Preferences.userRoot().node(PREFS));
        assertEquals(List.of(second, first), new RecentFiles(stored).files());

        // Picking an entry opens it and moves it to the top.
        pickRecent("first.a2q");
        waitUntil(30, () -> !wb.runner().isBusy() && wb.session().modelSourceProperty().get().startsWith("first.a2q"));
        assertEquals(List.of(first, second), wb.recent().files());

        // A file deleted since: a dialog says so and what to do, and the entry goes.
        Files.delete(second);
        pickRecent("second.a2q");
        waitUntil(20, () -> robot.lookup("." + ErrorDialogs.STYLE_CLASS).tryQuery().isPresent());
        DialogPane dialog = robot.lookup("." + ErrorDialogs.STYLE_CLASS).queryAs(DialogPane.class);
        String text = ((Label) dialog.getContent()).getText();
        assertTrue(text.contains("no longer exists") && text.contains("use Open…"), text);
        WorkbenchFixture.closeDialogs(wb);
        assertEquals(List.of(first), wb.recent().files());
        assertEquals(List.of(first), new RecentFiles(stored).files());
    }

    @Test
    void aFloatOnnxModelOpensAndIsRemembered(@TempDir Path dir) throws Exception {
        FxToolkit.setupFixture(() -> wb.model().selectBuiltIn("lenet"));
        waitUntil(30, () -> !wb.runner().isBusy());
        Path onnx = dir.resolve("lenet.onnx");
        int layers = wb.model().layers().size();
        OnnxExporter.write(wb.session().graph(), onnx);
        openWithDialog(onnx);
        assertTrue(wb.session().modelSourceProperty().get().startsWith("lenet.onnx (ONNX, opset "),
                wb.session().modelSourceProperty().get());
        waitUntil(30, () -> !wb.runner().isBusy() && wb.model().layers().size() == layers);
        assertEquals(onnx, wb.recent().files().get(0));
    }

    private static Path save(Path dir, String name) throws Exception {
        FxToolkit.setupFixture(() -> wb.session().saveRun(dir.resolve(name)));
        waitUntil(30, () -> !wb.runner().isBusy());
        Path file = dir.resolve(name + ".a2q");
        assertTrue(Files.isRegularFile(file));
        return file;
    }

    /** Clicks Open, with the file dialog answering {@code file}. */
    private void openWithDialog(Path file) throws Exception {
        wb.window().setFileChoosers(new FileChoosers() {
            @Override
            public Optional<Path> open(String title, String what, List<String> patterns) {
                return Optional.of(file);
            }

            @Override
            public Optional<Path> save(String title, String initialName, String what, String pattern) {
                return Optional.empty();
            }

            @Override
            public Optional<Path> folder(String title) {
                return Optional.empty();
            }
        });
        // The button's label part runs the action; its arrow part opens the menu.
        robot.clickOn(robot.lookup("#openRunButton").lookup(".label").queryLabeled());
        waitUntil(30, () -> !wb.runner().isBusy() && wb.session().modelSourceProperty().get()
                .startsWith(file.getFileName().toString()));
    }

    private void pickRecent(String name) throws Exception {
        SplitMenuButton open = robot.lookup("#openRunButton").queryAs(SplitMenuButton.class);
        FxToolkit.setupFixture(open::show);
        robot.clickOn(robot.lookup(".menu-item .label").match((Label l) -> l.getText().startsWith(name)).queryLabeled());
    }
}
