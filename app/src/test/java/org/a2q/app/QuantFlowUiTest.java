package org.a2q.app;

import static org.a2q.app.WorkbenchFixture.waitUntil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.QuantReport;
import org.a2q.engine.quant.QuantReport.LayerReport;
import org.jfree.chart.fx.ChartViewer;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.ui.Layer;
import org.jfree.data.category.CategoryDataset;
import org.junit.jupiter.api.AfterAll;
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
 * The quantization workflow as a user goes through it: W4 A4 P12 A2Q+ in Bit widths, Apply,
 * a few batches of QAT, then Budgets, whose bars and lines must be exactly the engine's report.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuantFlowUiTest {
    private static final String PREFS = "org/a2q/workbench-quant-uitest";
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
    @SuppressWarnings("unchecked")
    void bitWidthsPreviewsTheEngineBudgetsBeforeApplying() throws Exception {
        clickNav("Bit widths");
        FxToolkit.setupFixture(() -> {
            ((ChoiceBox<QuantMethod>) robot.lookup("#quantMethod").query()).setValue(QuantMethod.A2Q_PLUS);
            ((Spinner<Integer>) robot.lookup("#weightBits").query()).getValueFactory().setValue(4);
            ((Spinner<Integer>) robot.lookup("#actBits").query()).getValueFactory().setValue(4);
            ((Spinner<Integer>) robot.lookup("#accBits").query()).getValueFactory().setValue(12);
        });
        waitUntil(60, () -> !wb.runner().isBusy() && !wb.bits().preview().isEmpty()
                && wb.bits().previewTextProperty().get().startsWith("Preview of a2q+ W4A4 P12"));
        // a2q-math §7.1: N = 4 unsigned, P = 12 gives ⌊T_A2Q⌋ = 127 and ⌊T₊⌋ = 272.
        String budgets = robot.lookup("#budgetText").queryAs(Label.class).getText();
        assertTrue(budgets.contains("⌊T_A2Q⌋ = 127") && budgets.contains("⌊T₊⌋ = 272"), budgets);
        List<LayerReport> hidden = wb.bits().preview().stream().filter(l -> l.method() == QuantMethod.A2Q_PLUS).toList();
        assertFalse(hidden.isEmpty());
        for (LayerReport l : hidden) {
            assertEquals(272, l.budget(), l.name());
            assertEquals(4, l.inputBits(), l.name());
            assertFalse(l.inputSigned(), l.name());
        }
        assertFalse(wb.session().quantized(), "a preview must not touch the session's model");
    }

    @Test
    @Order(2)
    void applyQuantizesAndTrainRunsQatOnIt() throws Exception {
        robot.clickOn("#applyQuant");
        waitUntil(60, () -> wb.session().quantized() && !wb.runner().isBusy());
        assertEquals("a2q+ W4A4 P12", wb.session().quantSummaryProperty().get());
        assertFalse(wb.session().reportsProperty().get().isEmpty());

        clickNav("Train");
        FxToolkit.setupFixture(() -> {
            wb.train().epochsProperty().set(1);
            wb.train().quickRunProperty().set(true);
            wb.train().quickBatchesProperty().set(5);
        });
        robot.clickOn("#startTraining");
        waitUntil(120, () -> !wb.train().runningProperty().get() && !wb.runner().isBusy());
        assertEquals(5, wb.train().loss().size(), "one loss point per batch");
        for (LayerReport l : QuantReport.of(wb.session().graph())) {
            if (l.method().constrained()) {
                assertTrue(l.overflowSafe(), l.name() + " must fit its 12-bit accumulator after training");
            }
        }
    }

    @Test
    @Order(3)
    void budgetsChartHoldsExactlyTheEngineReport() throws Exception {
        clickNav("Budgets");
        waitUntil(30, () -> !wb.runner().isBusy() && wb.budgets().current() != null);
        String layer = wb.budgets().selectedLayerProperty().get();
        // Recomputed here, from the trained graph, independently of what the view was given.
        LayerReport engine = QuantReport.of(wb.session().graph()).stream().filter(l -> l.name().equals(layer))
                .findFirst().orElseThrow();
        assertEquals(QuantMethod.A2Q_PLUS, engine.method());

        ChartViewer viewer = robot.lookup("#budgetChart").queryAs(ChartViewer.class);
        CategoryPlot plot = viewer.getChart().getCategoryPlot();
        CategoryDataset d = plot.getDataset();
        assertEquals(engine.channels().size(), d.getColumnCount());
        assertEquals(List.of("Pos(q)", "Neg(q)"), d.getRowKeys());
        for (QuantReport.Channel c : engine.channels()) {
            String col = Integer.toString(c.channel());
            long pos = d.getValue("Pos(q)", col).longValue();
            long neg = d.getValue("Neg(q)", col).longValue();
            assertEquals(c.pos(), pos, "Pos of channel " + col);
            assertEquals(c.neg(), neg, "Neg of channel " + col);
            assertEquals(c.l1(), pos + neg, "‖q‖₁ of channel " + col);
            assertTrue(pos + neg <= 272, "A2Q+ keeps ‖q‖₁ within ⌊T₊⌋");
        }
        Set<Double> lines = new java.util.HashSet<>();
        for (Object m : plot.getRangeMarkers(Layer.FOREGROUND)) {
            lines.add(((ValueMarker) m).getValue());
        }
        assertEquals(Set.of(127.0, 272.0), lines, "lines at ⌊T_A2Q⌋ and ⌊T₊⌋");
        assertTrue(robot.lookup("#budgetTable").tryQuery().isPresent());
    }

    @Test
    @Order(4)
    void macArrayTracesTheAdversarialInputAndOverflowsOnlyBelowTheTarget() throws Exception {
        clickNav("MAC array");
        String layer = wb.budgets().selectedLayerProperty().get();
        LayerReport engine = wb.session().reportsProperty().get().stream().filter(l -> l.name().equals(layer))
                .findFirst().orElseThrow();
        FxToolkit.setupFixture(() -> {
            wb.mac().layerProperty().set(layer);
            wb.mac().channelProperty().set(0);
            wb.mac().peProperty().set(1);
            wb.mac().simdProperty().set(1);
            wb.mac().accBitsProperty().set(12);
        });
        robot.clickOn("#macRun");
        waitUntil(30, () -> !wb.runner().isBusy() && wb.mac().simulation() != null);
        var safe = wb.mac().simulation().wrap();
        assertEquals(engine.dotProductLength(), safe.steps().size(), "SIMD 1: one step per weight");
        assertFalse(safe.overflowed(), "A2Q+ at its target P cannot overflow, even for the worst input");
        assertEquals(safe.exactResult(), safe.result());
        // The worst input for this channel reaches x_max·Pos: exactly what the report's Pos promises.
        assertEquals(((1L << engine.inputBits()) - 1) * engine.channels().get(0).pos(), safe.exactResult());

        FxToolkit.setupFixture(() -> wb.mac().accBitsProperty().set(6));
        robot.clickOn("#macRun");
        waitUntil(30, () -> !wb.runner().isBusy() && wb.mac().simulation().wrap() != safe);
        assertTrue(wb.mac().simulation().wrap().overflowed() || engine.channels().get(0).pos() == 0,
                "6 bits are far below what channel 0 needs");
    }

    @Test
    @Order(5)
    void savedQuantizedRunOpensQuantized(@TempDir Path dir) throws Exception {
        List<LayerReport> before = wb.session().reportsProperty().get();
        FxToolkit.setupFixture(() -> wb.session().saveRun(dir.resolve("w4a4")));
        waitUntil(30, () -> !wb.runner().isBusy());
        Path file = dir.resolve("w4a4.a2q");
        assertTrue(Files.isRegularFile(file));
        FxToolkit.setupFixture(() -> wb.model().selectBuiltIn("lenet"));
        waitUntil(30, () -> !wb.runner().isBusy() && !wb.session().quantized());
        FxToolkit.setupFixture(() -> wb.model().openRun(file));
        waitUntil(60, () -> !wb.runner().isBusy() && wb.session().quantized());
        assertEquals("a2q+ W4A4 P12", wb.session().quantSummaryProperty().get());
        List<LayerReport> after = wb.session().reportsProperty().get();
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) {
            assertNotNull(after.get(i));
            assertEquals(before.get(i).channels().stream().map(QuantReport.Channel::l1).toList(),
                    after.get(i).channels().stream().map(QuantReport.Channel::l1).toList(), before.get(i).name());
        }
    }

    private void clickNav(String title) {
        robot.clickOn(robot.lookup(".nav-title").match((Label l) -> l.getText().equals(title)).queryLabeled());
        WaitForAsyncUtils.waitForFxEvents();
    }

}
