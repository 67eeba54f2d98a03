package org.a2q.app;

import static org.a2q.app.WorkbenchFixture.waitUntil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.prefs.Preferences;
import javafx.scene.Node;
import javafx.scene.control.DialogPane;
import javafx.scene.control.Label;
import javafx.scene.control.TableView;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.TilePane;
import org.a2q.app.view.ErrorDialogs;
import org.a2q.app.view.NavItem;
import org.a2q.app.vm.Settings;
import org.a2q.app.vm.TaskRunner;
import org.controlsfx.control.StatusBar;
import org.jfree.chart.fx.ChartViewer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

/**
 * Drives the workbench as a user would, on the bundled sample. One window for the whole class:
 * starting the numeric engine and loading the sample is the slow part, and a user also keeps one
 * window open while going from view to view.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MainFlowUiTest {
    private static final String PREFS = "org/a2q/workbench-uitest";
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

    @AfterEach
    void closeDialogs() throws Exception {
        WorkbenchFixture.closeDialogs(wb);
    }

    @Test
    @Order(1)
    void opensOnTheBundledSampleWithLeNetsTwelveLayers() throws Exception {
        assertEquals(NavItem.MODEL, wb.window().selected());
        TableView<?> table = robot.lookup("#layerTable").queryAs(TableView.class);
        assertEquals(12, table.getItems().size(), "LeNet: 2×(conv, relu, pool), flatten, 3 linear, 2 relu");
        assertTrue(robot.lookup("#dataSource").tryQuery().isEmpty(), "the Data view is built on first visit");
        assertTrue(wb.session().dataSourceProperty().get().contains("Fashion-MNIST"));
        waitUntil(30, () -> !Double.isNaN(wb.model().accuracy()));
        String acc = robot.lookup("#fp32Accuracy").queryAs(Label.class).getText();
        assertTrue(acc.endsWith("%"), acc);
        assertTrue(robot.lookup("#modelSummary").queryAs(Label.class).getText().contains("61,706 parameters"));
        assertIdle();
    }

    @Test
    @Order(2)
    void dataViewShowsLabelledImages() {
        clickNav("Data");
        TilePane grid = robot.lookup("#imageGrid").queryAs(TilePane.class);
        assertEquals(40, grid.getChildren().size());
        Set<Node> labels = robot.from(grid).lookup(".label").queryAll();
        assertTrue(labels.stream().map(n -> ((Label) n).getText()).anyMatch(t -> t.equals("Ankle boot")),
                "Fashion-MNIST class names under the images");
        robot.clickOn("Shuffle");
        assertEquals(40, grid.getChildren().size());
    }

    @Test
    @Order(3)
    void shortTrainingRunFillsTheChartsAndReturnsToIdle() throws Exception {
        clickNav("Train");
        FxToolkit.setupFixture(() -> {
            wb.train().epochsProperty().set(1);
            wb.train().quickBatchesProperty().set(6);
        });
        robot.clickOn("#quickRun");
        assertTrue(wb.train().quickRunProperty().get());
        int epochsBefore = wb.session().history().size();
        robot.clickOn("#startTraining");
        waitUntil(60, () -> !wb.train().runningProperty().get() && !wb.runner().isBusy());

        ChartViewer loss = robot.lookup("#lossChart").queryAs(ChartViewer.class);
        assertEquals(6, loss.getChart().getXYPlot().getDataset().getItemCount(0), "one loss point per batch");
        ChartViewer acc = robot.lookup("#accuracyChart").queryAs(ChartViewer.class);
        assertEquals(1, acc.getChart().getXYPlot().getDataset().getItemCount(2), "one test accuracy per epoch");
        assertEquals(epochsBefore + 1, wb.session().history().size());
        assertTrue(robot.lookup("#trainResult").queryAs(Label.class).getText().startsWith("Test accuracy"));
        assertIdle();
    }

    @Test
    @Order(4)
    void invalidLearningRateShowsAnErrorDialogNotACrash() throws Exception {
        clickNav("Train");
        robot.clickOn("#learningRate").press(KeyCode.CONTROL).press(KeyCode.A).release(KeyCode.A)
                .release(KeyCode.CONTROL).write("fast");
        robot.clickOn("#startTraining");
        DialogPane dialog = waitForErrorDialog();
        assertEquals("Cannot start training", dialog.getHeaderText());
        assertTrue(((Label) dialog.getContent()).getText().contains("'fast' is not a number"));
        assertFalse(wb.train().runningProperty().get());
        FxToolkit.setupFixture(() -> wb.train().learningRateProperty().set("0.001"));
    }

    @Test
    @Order(5)
    void folderWithoutIdxFilesShowsWhatIsMissing(@TempDir Path empty) throws Exception {
        var before = wb.session().data();
        FxToolkit.setupFixture(() -> wb.data().openFolder(empty));
        DialogPane dialog = waitForErrorDialog();
        String text = ((Label) dialog.getContent()).getText();
        assertTrue(text.contains("train-images-idx3-ubyte"), text);
        assertTrue(wb.stage().isShowing());
        waitUntil(10, () -> !wb.runner().isBusy());
        assertTrue(before == wb.session().data(), "the loaded data stays as it was");
    }

    @Test
    @Order(6)
    void savedRunOpensAgainWithItsHistory(@TempDir Path dir) throws Exception {
        int epochs = wb.session().history().size();
        FxToolkit.setupFixture(() -> wb.session().saveRun(dir.resolve("lenet")));
        waitUntil(30, () -> !wb.runner().isBusy());
        Path file = dir.resolve("lenet.a2q");
        assertTrue(Files.isRegularFile(file));
        assertTrue(wb.runner().messageProperty().get().contains("saved lenet.a2q"));
        FxToolkit.setupFixture(() -> wb.model().openRun(file));
        waitUntil(30, () -> !wb.runner().isBusy() && wb.session().modelSourceProperty().get().startsWith("lenet.a2q"));
        assertEquals(12, wb.model().layers().size());
        assertEquals(epochs, wb.session().history().size());
    }

    @Test
    @Order(7)
    void themeAndTextSizeSwitchAndAreRemembered() throws Exception {
        robot.clickOn("#darkTheme");
        assertTrue(wb.theme().darkProperty().get());
        robot.clickOn("#textBigger");
        assertEquals(1.1, wb.theme().fontScaleProperty().get(), 1e-9);
        Settings s = new Settings(Preferences.userRoot().node(PREFS));
        assertTrue(s.getBoolean("theme.dark", false));
        assertEquals(1.1, s.getDouble("theme.fontScale", 1.0), 1e-9);
        robot.clickOn("#textSmaller");
        robot.clickOn("#darkTheme");
        assertFalse(wb.theme().darkProperty().get());
    }

    @Test
    @Order(8)
    void cancelInTheStatusBarStopsTrainingAndKeepsTheWindowUsable() throws Exception {
        clickNav("Train");
        FxToolkit.setupFixture(() -> {
            wb.train().epochsProperty().set(5);
            wb.train().quickRunProperty().set(false);
        });
        int epochsBefore = wb.session().history().size();
        robot.clickOn("#startTraining");
        waitUntil(30, () -> wb.train().loss().size() > 0);  // running, with the first points drawn
        robot.clickOn("#statusCancel");
        waitUntil(30, () -> !wb.train().runningProperty().get() && !wb.runner().isBusy());
        assertTrue(wb.session().history().size() < epochsBefore + 5, "stopped before the five epochs");
        assertTrue(robot.lookup("#trainProgressText").queryAs(Label.class).getText().startsWith("Stopped after"));
        assertTrue(wb.runner().messageProperty().get().contains("cancelled"));
        assertIdle();
    }

    private void clickNav(String title) {
        robot.clickOn(robot.lookup(".nav-title").match((Label l) -> l.getText().equals(title)).queryLabeled());
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void assertIdle() {
        StatusBar bar = robot.lookup("#statusBar").queryAs(StatusBar.class);
        assertTrue(bar.getText().startsWith(TaskRunner.IDLE), bar.getText());
        assertEquals(0, bar.getProgress());
        assertFalse(robot.lookup("#statusCancel").query().isVisible());
        assertTrue(robot.lookup("." + ErrorDialogs.STYLE_CLASS).tryQuery().isEmpty(), "no error dialog");
    }

    private DialogPane waitForErrorDialog() throws TimeoutException {
        waitUntil(20, () -> robot.lookup("." + ErrorDialogs.STYLE_CLASS).tryQuery().isPresent());
        return robot.lookup("." + ErrorDialogs.STYLE_CLASS).queryAs(DialogPane.class);
    }

}
