package org.a2q.app;

import static org.a2q.app.WorkbenchFixture.waitUntil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import org.a2q.app.vm.ErrorViewModel;
import org.a2q.app.vm.SessionViewModel;
import org.a2q.app.vm.TradeOffsViewModel;
import org.a2q.engine.analysis.QuantizationError;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.fx.ChartViewer;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.ui.Layer;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

/**
 * Error and Trade-offs as a user sees them: the error table must hold the engine's
 * QuantizationError numbers, the trade-offs chart the sweep CSV's points, and a click on a point
 * must open its model or say why it cannot.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ErrorTradeOffsUiTest {
    private static final String PREFS = "org/a2q/workbench-error-uitest";
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
    @Order(1)
    void errorViewOfAFloatModelSaysToQuantizeFirst() throws Exception {
        clickNav("Error");
        Label empty = robot.lookup("#errorEmpty").queryAs(Label.class);
        assertTrue(empty.isVisible());
        assertTrue(empty.getText().contains("Quantize it in Bit widths"), empty.getText());
        assertTrue(robot.lookup("#errorTable").tryQuery().isEmpty(), "no table of made-up numbers");
    }

    @Test
    @Order(2)
    @SuppressWarnings("unchecked")
    void errorTableHoldsTheEngineNumbers() throws Exception {
        FxToolkit.setupFixture(() -> wb.session().applyQuantization(QuantConfig.of(QuantMethod.A2Q_PLUS, 4, 4, 12)));
        waitUntil(120, () -> wb.session().quantized() && !wb.runner().isBusy() && !wb.error().rows().isEmpty()
                && !wb.error().statusProperty().get().startsWith("Measuring"));
        TableView<ErrorViewModel.Row> table = robot.lookup("#errorTable").queryAs(TableView.class);
        Graph g = wb.session().graph();
        // Recomputed here, from the session's model, independently of what the view was given.
        List<QuantizationError.LayerError> engine = QuantizationError.layerErrors(g);
        Graph reference = SessionViewModel.copyOf(g, wb.session().quantConfigProperty().get());
        QuantizationError.useReferenceWeights(reference);
        int n = ErrorViewModel.SQNR_IMAGES;
        int[] items = new int[n];
        for (int i = 0; i < n; i++) {
            items[i] = i;
        }
        INDArray x = new Batcher(wb.session().data().test(), n).fill(items, 0, n).features().dup();
        Map<String, Double> sqnr = QuantizationError.outputSqnr(g, reference, x,
                engine.stream().map(QuantizationError.LayerError::name).toList());

        assertEquals(engine.size(), table.getItems().size());
        TableColumn<ErrorViewModel.Row, String> mseCol = (TableColumn<ErrorViewModel.Row, String>) table.getColumns().get(2);
        TableColumn<ErrorViewModel.Row, String> sqnrCol = (TableColumn<ErrorViewModel.Row, String>) table.getColumns().get(3);
        for (int i = 0; i < engine.size(); i++) {
            QuantizationError.LayerError e = engine.get(i);
            ErrorViewModel.Row row = table.getItems().get(i);
            assertEquals(e.name(), row.name());
            assertEquals(e.weights().mse(), row.mse(), 1e-15, e.name());
            assertEquals(e.weights().sparsity(), row.sparsity(), 0, e.name());
            assertEquals(sqnr.get(e.name()), row.sqnrDb(), 1e-9, e.name());
            assertTrue(Double.isFinite(row.sqnrDb()), e.name());
            assertEquals(ErrorViewModel.formatMse(e.weights().mse()), mseCol.getCellData(i));
            assertEquals(ErrorViewModel.formatDb(sqnr.get(e.name())), sqnrCol.getCellData(i));
        }

        // The per-channel chart is the selected layer's channel MSE, bar for bar.
        String layer = wb.error().selectedLayerProperty().get();
        QuantizationError.LayerError sel = engine.stream().filter(e -> e.name().equals(layer)).findFirst().orElseThrow();
        CategoryPlot plot = robot.lookup("#errorChannelChart").queryAs(ChartViewer.class).getChart().getCategoryPlot();
        CategoryDataset d = plot.getDataset();
        assertEquals(sel.weights().channelMse().length, d.getColumnCount());
        for (int c = 0; c < d.getColumnCount(); c++) {
            assertEquals(sel.weights().channelMse()[c], d.getValue("MSE", Integer.toString(c)).doubleValue(), 1e-15);
        }
        // The histogram counts every weight of the layer once; the grid lines are the 4-bit levels ±7.
        JFreeChart hist = robot.lookup("#errorHistogram").queryAs(ChartViewer.class).getChart();
        XYDataset h = hist.getXYPlot().getDataset();
        double total = 0;
        for (int i = 0; i < h.getItemCount(0); i++) {
            total += h.getYValue(0, i);
        }
        assertEquals(sel.weights().weights(), (long) total);
        Set<Double> lines = new HashSet<>();
        for (Object m : hist.getXYPlot().getDomainMarkers(Layer.FOREGROUND)) {
            lines.add(((ValueMarker) m).getValue());
        }
        Set<Double> levels = new HashSet<>();
        for (long l = -7; l <= 7; l++) {
            levels.add((double) l);
        }
        assertEquals(levels, lines);
    }

    @Test
    @Order(3)
    void tradeOffsChartHoldsTheBundledSweep() throws Exception {
        assertTrue(robot.lookup(".dialog-pane").tryQuery().isEmpty(), "no error so far");
        clickNav("Trade-offs");
        waitUntil(30, () -> !wb.runner().isBusy() && !wb.tradeOffs().points().isEmpty());
        Path csv = TradeOffsViewModel.bundledSweep().resolve("results.csv");
        List<TradeOffsViewModel.Point> rows = TradeOffsViewModel.parse(Files.readAllLines(csv));
        assertEquals(18, rows.size());
        TableView<?> table = robot.lookup("#sweepTable").queryAs(TableView.class);
        assertEquals(rows, table.getItems());

        XYDataset d = robot.lookup("#tradeOffChart").queryAs(ChartViewer.class).getChart().getXYPlot().getDataset();
        assertEquals(3, d.getSeriesCount());
        Set<String> plotted = new HashSet<>();
        for (int s = 0; s < d.getSeriesCount(); s++) {
            for (int i = 0; i < d.getItemCount(s); i++) {
                plotted.add(d.getSeriesKey(s) + "@" + d.getXValue(s, i) + ":" + d.getYValue(s, i));
            }
        }
        Set<String> expected = new HashSet<>();
        for (TradeOffsViewModel.Point p : rows) {
            expected.add(p.method() + "@" + (double) p.plotWidth() + ":" + 100 * p.accuracy());
        }
        assertEquals(expected, plotted, "every CSV row is a point; qat's repeated rows are one model");
        assertEquals(1, d.getItemCount(0), "qat: one model, drawn at its exact width");
        assertEquals(15.0, d.getXValue(0, 0));
    }

    @Test
    @Order(4)
    void clickingAPointWithoutItsModelSaysSo() throws Exception {
        clickRow(6); // a2q, P = 10
        String msg = robot.lookup("#sweepMessage").queryAs(Label.class).getText();
        assertTrue(msg.contains("a2q at P = 10") && msg.contains("not present"), msg);
        assertEquals("a2q+ W4A4 P12", wb.session().quantSummaryProperty().get(), "the session is untouched");
    }

    @Test
    @Order(5)
    void clickingAPointWithItsModelOpensIt(@TempDir Path dir) throws Exception {
        Path point = dir.resolve("points").resolve("a2qplus-P12");
        Files.createDirectories(point);
        FxToolkit.setupFixture(() -> wb.session().saveRun(point.resolve("model.a2q")));
        waitUntil(30, () -> !wb.runner().isBusy() && Files.isRegularFile(point.resolve("model.a2q")));
        Files.writeString(dir.resolve("results.csv"), String.join(",", List.of("method", "M", "N", "P", "init",
                "accuracy", "exact_width_needed", "channels_at_risk", "sparsity", "mean_budget_utilisation",
                "train_seconds", "run")) + "\na2q+,4,4,12,ep,0.5,12,0,0.7,0.4,1.0,points/a2qplus-P12/model.a2q\n",
                StandardCharsets.UTF_8);
        FxToolkit.setupFixture(() -> wb.model().selectBuiltIn("lenet"));
        waitUntil(30, () -> !wb.runner().isBusy() && !wb.session().quantized());
        FxToolkit.setupFixture(() -> wb.tradeOffs().openSweep(dir));
        waitUntil(30, () -> !wb.runner().isBusy() && wb.tradeOffs().points().size() == 1);
        // The robot's row click is covered above; here the open itself, which once timed out
        // behind a robot click on a loaded machine, goes straight through the view-model.
        FxToolkit.setupFixture(() -> wb.tradeOffs().openPoint(wb.tradeOffs().points().get(0)));
        try {
            waitUntil(60, () -> !wb.runner().isBusy() && wb.session().quantized());
        } catch (TimeoutException e) {
            throw new AssertionError("not opened; message: " + wb.tradeOffs().messageProperty().get() + "; dialogs: "
                    + robot.lookup(".dialog-pane").queryAllAs(javafx.scene.control.DialogPane.class).stream()
                    .map(d -> String.valueOf(d.getContent() instanceof Label l ? l.getText() : d.getContentText()))
                    .toList() + "; windows: " + javafx.stage.Window.getWindows().size(), e);
        }
        assertEquals("a2q+ W4A4 P12", wb.session().quantSummaryProperty().get());
        assertTrue(wb.session().modelSourceProperty().get().startsWith("model.a2q"),
                wb.session().modelSourceProperty().get());
        assertFalse(robot.lookup("#sweepMessage").queryAs(Label.class).getText().contains("not present"));
    }

    /** Clicks the table row that shows sweep row {@code index}, as a user would. */
    @SuppressWarnings("unchecked")
    private void clickRow(int index) throws Exception {
        TableView<TradeOffsViewModel.Point> table = robot.lookup("#sweepTable").queryAs(TableView.class);
        TradeOffsViewModel.Point p = table.getItems().get(index);
        FxToolkit.setupFixture(() -> table.scrollTo(index));
        WaitForAsyncUtils.waitForFxEvents();
        Node row = robot.lookup(".table-row-cell").match((javafx.scene.control.TableRow<?> r) -> r.getItem() == p)
                .query();
        robot.clickOn(row);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void clickNav(String title) {
        robot.clickOn(robot.lookup(".nav-title").match((Label l) -> l.getText().equals(title)).queryLabeled());
        WaitForAsyncUtils.waitForFxEvents();
    }

}
