package org.a2q.app;

import static org.a2q.app.WorkbenchFixture.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import javafx.scene.control.DialogPane;
import javafx.scene.control.Label;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import onnx.Onnx;
import org.a2q.app.view.ErrorDialogs;
import org.a2q.app.view.FileChoosers;
import org.a2q.app.vm.ExportViewModel;
import org.a2q.app.vm.MacArrayViewModel.InputChoice;
import org.a2q.app.vm.MacArrayViewModel.Simulation;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.AdversarialInput;
import org.a2q.engine.hw.Folding;
import org.a2q.engine.hw.IntegerLayer;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.hw.LaneOp;
import org.a2q.engine.hw.MacTrace;
import org.a2q.engine.hw.MatVecEngine;
import org.a2q.engine.hw.PBitArithmetic;
import org.a2q.engine.hw.TracePixels;
import org.a2q.engine.hw.TraceExport;
import org.a2q.engine.hw.TraceStep;
import org.a2q.engine.io.export.GoldenVectors;
import org.a2q.engine.io.export.IntegerModelJson;
import org.a2q.engine.io.onnx.QuantizedOnnxExporter;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.QuantReport.LayerReport;
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
 * The MAC array animation as a user drives it, on the sample quantized W4 A4 P12 A2Q+: every
 * number on screen after N steps must be the engine's trace at step N, recomputed here straight
 * from the engine for both register modes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MacArrayUiTest {
    private static final String PREFS = "org/a2q/workbench-mac-uitest";
    /** Far below the layer's 12-bit target, so the adversarial sum must overflow. */
    private static final int NARROW_P = 8;
    private static final int SIMD = 5;
    private static Workbench wb;
    private final FxRobot robot = new FxRobot();

    @BeforeAll
    static void openAndQuantize() throws Exception {
        wb = WorkbenchFixture.open(PREFS);
        FxToolkit.setupFixture(() -> {
            wb.bits().methodProperty().set(QuantMethod.A2Q_PLUS);
            wb.bits().weightBitsProperty().set(4);
            wb.bits().actBitsProperty().set(4);
            wb.bits().accBitsProperty().set(12);
            wb.bits().apply();
        });
        waitUntil(60, () -> wb.session().quantized() && !wb.runner().isBusy());
        assertEquals("a2q+ W4A4 P12", wb.session().quantSummaryProperty().get());
    }

    @AfterAll
    static void close() throws Exception {
        WorkbenchFixture.close(wb, PREFS);
    }

    @Test
    @Order(0)
    void beforeTheFirstTraceTheViewSaysToPressTraceOnTheQuantizedModel() throws Exception {
        clickNav("MAC array");
        Label summary = robot.lookup("#macSummary").queryAs(Label.class);
        assertTrue(summary.getText().startsWith("Pick a layer and channel, then press Trace"), summary.getText());
    }

    @Test
    @Order(1)
    void steppingShowsTheEngineTraceOfBothRegistersCycleByCycle() throws Exception {
        Simulation sim = traceAdversarial(NARROW_P);
        MacTrace wrap = engineTrace(sim.layer(), sim.channel(), NARROW_P, AccumulatorMode.WRAP);
        MacTrace sat = engineTrace(sim.layer(), sim.channel(), NARROW_P, AccumulatorMode.SATURATE);
        assertEquals(wrap, sim.wrap(), "the view holds exactly the engine's wrap trace");
        assertEquals(sat, sim.saturate(), "and its saturate trace");
        assertTrue(wrap.overflowed(), "P = " + NARROW_P + " cannot hold the worst case " + wrap.exactResult());
        assertShows(-1, wrap, sat);

        // Past the overflow, where the two registers hold different values.
        int n = Math.min(wrap.firstOverflowStep() + 2, wrap.steps().size() - 1);
        for (int i = 0; i <= n; i++) {
            robot.clickOn("#macStep");
            WaitForAsyncUtils.waitForFxEvents();
            assertShows(i, wrap, sat);
        }
        assertNotEquals(wrap.steps().get(n).register(), sat.steps().get(n).register(),
                "after an overflow on a rising sum, wrap jumps and saturate sticks");
    }

    @Test
    @Order(2)
    void backAndResetWalkTheSameTrace() throws Exception {
        Simulation sim = wb.mac().simulation();
        int at = wb.mac().cursorProperty().get();
        robot.clickOn("#macBack");
        WaitForAsyncUtils.waitForFxEvents();
        assertShows(at - 1, sim.wrap(), sim.saturate());
        robot.clickOn("#macReset");
        WaitForAsyncUtils.waitForFxEvents();
        assertShows(-1, sim.wrap(), sim.saturate());
        assertEquals("0".repeat(NARROW_P), bits("#wrapBits"), "a cleared register");
    }

    @Test
    @Order(3)
    void playRunsToTheLastCycleAndStops() throws Exception {
        Simulation sim = wb.mac().simulation();
        FxToolkit.setupFixture(() -> wb.mac().speedProperty().set(60));
        robot.clickOn("#macPlay");
        waitUntil(20, () -> !wb.mac().playingProperty().get());
        int last = sim.steps() - 1;
        assertEquals(last, wb.mac().cursorProperty().get());
        assertShows(last, sim.wrap(), sim.saturate());
        assertEquals(fmt(sim.wrap().result()), text("#wrapValue"));
        // The maximising input's products are all ≥ 0, so a saturating register ends pinned at the top.
        assertEquals(fmt(PBitArithmetic.maxValue(NARROW_P)), text("#saturateValue"));
        assertEquals(fmt(sim.wrap().exactResult()), text("#exactValue"));
    }

    @Test
    @Order(4)
    void overflowMarkerAppearsAtTheEngineOverflowCycle() throws Exception {
        Simulation sim = wb.mac().simulation();
        int first = sim.wrap().firstOverflowStep();
        robot.clickOn("#macReset");
        for (int i = 0; i < first; i++) {
            robot.clickOn("#macStep");
        }
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(first - 1, wb.mac().cursorProperty().get());
        Label marker = robot.lookup("#macOverflowMarker").queryAs(Label.class);
        assertFalse(marker.isVisible(), "no marker before the overflow");
        assertFalse(text("#wrapStatus").contains("OVERFLOW"));

        robot.clickOn("#macStep");
        WaitForAsyncUtils.waitForFxEvents();
        TraceStep at = sim.wrap().steps().get(first);
        assertTrue(at.overflow());
        assertTrue(marker.isVisible(), "the marker shows at the overflow cycle");
        assertTrue(marker.getStyleClass().contains("now"));
        assertTrue(marker.getText().startsWith("Overflow at cycle " + fmt(at.cycle()) + " (step " + first + ")"),
                marker.getText());
        assertTrue(text("#wrapStatus").startsWith("OVERFLOW: " + fmt(at.registerBefore()) + " + " + fmt(at.laneSum())
                + " = " + fmt(at.registerIncoming())), text("#wrapStatus"));
        assertTrue(robot.lookup("#wrapBits").query().getStyleClass().contains("overflow-now"));
        assertTrue(robot.lookup("#saturateBits").query().getStyleClass().contains("overflow-now"));

        // Jumping there from elsewhere lands on the same cycle.
        robot.clickOn("#macEnd");
        robot.clickOn("#macJumpOverflow");
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(first, wb.mac().cursorProperty().get());
    }

    @Test
    @Order(5)
    void atTheTrainedWidthNothingOverflowsEvenForTheWorstInput() throws Exception {
        Simulation narrow = wb.mac().simulation();
        // Changing P re-traces the shown channel by itself.
        FxToolkit.setupFixture(() -> wb.mac().accBitsProperty().set(12));
        waitUntil(30, () -> !wb.runner().isBusy() && wb.mac().simulation() != narrow);
        Simulation sim = wb.mac().simulation();
        assertEquals(12, sim.accBits());
        assertEquals(engineTrace(sim.layer(), sim.channel(), 12, AccumulatorMode.WRAP), sim.wrap());
        robot.clickOn("#macEnd");
        WaitForAsyncUtils.waitForFxEvents();
        assertFalse(robot.lookup("#macOverflowMarker").queryAs(Label.class).isVisible());
        assertEquals(-1, sim.divergenceStep());
        assertEquals(fmt(sim.wrap().exactResult()), text("#wrapValue"));
        assertEquals(fmt(sim.wrap().exactResult()), text("#saturateValue"));
    }

    @Test
    @Order(6)
    void aTestImageIsTracedOnTheLayersRealInput() throws Exception {
        FxToolkit.setupFixture(() -> {
            wb.mac().accBitsProperty().set(NARROW_P);
            wb.mac().imageIndexProperty().set(3);
            wb.mac().pixelProperty().set(-1);
            wb.mac().inputProperty().set(InputChoice.TEST_IMAGE);
        });
        waitUntil(30, () -> !wb.runner().isBusy() && wb.mac().simulation().inputChoice() == InputChoice.TEST_IMAGE
                && wb.mac().simulation().accBits() == NARROW_P);
        Simulation sim = wb.mac().simulation();
        IntegerModel m = IntegerModel.compile(wb.session().graph(), AccumulatorPolicy.AS_TRAINED, new Folding(1, SIMD));
        IntegerLayer l = m.layer(sim.layer());
        var image = new Batcher(wb.session().data().test(), 1).fill(new int[] {3}, 0, 1).features();
        int[][] patches = m.layerInput(l.name(), image, AccumulatorMode.EXACT);
        MatVecEngine wrap = new MatVecEngine(l.weights(), l.format(), NARROW_P, AccumulatorMode.WRAP, new Folding(1, SIMD));
        int px = TracePixels.furthest(wrap, sim.channel(), patches);
        assertEquals(px, sim.pixel());
        assertEquals(wrap.trace(sim.channel(), patches[px], px), sim.wrap());
        assertTrue(sim.input().startsWith("test image 3"), sim.input());
        robot.clickOn("#macEnd");
        WaitForAsyncUtils.waitForFxEvents();
        assertShows(sim.steps() - 1, sim.wrap(), sim.saturate());
    }

    @Test
    @Order(7)
    void everyExportButtonWritesAFileThatParses(@TempDir Path dir) throws Exception {
        FxToolkit.setupFixture(() -> {
            wb.mac().inputProperty().set(InputChoice.ADVERSARIAL_MAX);
            wb.mac().accBitsProperty().set(NARROW_P);
        });
        waitUntil(30, () -> !wb.runner().isBusy() && wb.mac().simulation().inputChoice() == InputChoice.ADVERSARIAL_MAX
                && wb.mac().simulation().accBits() == NARROW_P);
        Simulation sim = wb.mac().simulation();
        wb.window().setFileChoosers(new FixedChoosers(dir));
        List<LayerReport> layers = wb.session().reportsProperty().get();
        ObjectMapper json = new ObjectMapper();

        export("#exportFolding");
        JsonNode folding = json.readTree(dir.resolve("folding.json").toFile());
        assertTrue(folding.has("Defaults"));
        for (LayerReport l : layers) {
            JsonNode e = folding.get(l.name());
            assertEquals(1, e.get("PE").asInt(), l.name());
            int simd = e.get("SIMD").asInt();
            assertTrue(simd <= SIMD && l.dotProductLength() % simd == 0, l.name() + ": legal SIMD, " + simd);
        }
        assertEquals(SIMD, folding.get(sim.layer()).get("SIMD").asInt(), "the traced layer keeps the chosen SIMD");

        export("#exportTraces");
        String base = ExportViewModel.traceBaseName(sim);
        assertEquals("trace-" + sim.layer() + "-ch0-adversarial-P" + NARROW_P, base);
        for (String mode : List.of("wrap", "saturate")) {
            MacTrace t = mode.equals("wrap") ? sim.wrap() : sim.saturate();
            List<String> rows = Files.readAllLines(dir.resolve(base + "-" + mode + ".csv"));
            assertEquals(TraceExport.CSV_HEADER, rows.get(0));
            // One row per lane per cycle.
            assertEquals(t.steps().size() * SIMD, rows.size() - 1, mode);
            assertEquals(t.steps().size(), rows.stream().skip(1).map(r -> r.split(",")[0]).distinct().count(), mode);
            JsonNode doc = json.readTree(dir.resolve(base + "-" + mode + ".json").toFile());
            assertEquals(mode.toUpperCase(Locale.ROOT), doc.get("mode").asText());
            assertEquals(t.steps().size(), doc.get("steps").size());
            assertEquals(t.result(), doc.get("result").asLong());
            assertEquals(t.firstOverflowStep(), doc.get("first_overflow_step").asInt());
        }

        export("#exportGolden");
        JsonNode golden = json.readTree(dir.resolve("golden.json").toFile());
        assertEquals(GoldenVectors.FORMAT, golden.get("format").asText());
        assertEquals(ExportViewModel.GOLDEN_IMAGES, golden.get("cases").size());

        export("#exportQonnx");
        Onnx.ModelProto qonnx = Onnx.ModelProto.parseFrom(Files.readAllBytes(dir.resolve("model.qonnx.onnx")));
        long quantNodes = qonnx.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Quant")
                && n.getDomain().equals(QuantizedOnnxExporter.QONNX_DOMAIN)).count();
        assertTrue(quantNodes >= 2 * layers.size(), "weights and activations carry Quant nodes: " + quantNodes);

        export("#exportQcdq");
        Onnx.ModelProto qcdq = Onnx.ModelProto.parseFrom(Files.readAllBytes(dir.resolve("model.qcdq.onnx")));
        assertTrue(qcdq.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("QuantizeLinear")));

        export("#exportIntegerModel");
        JsonNode model = json.readTree(dir.resolve("integer-model.json").toFile());
        assertEquals(IntegerModelJson.FORMAT, model.get("format").asText());
        assertEquals(layers.size(), model.get("layers").size());
        assertTrue(robot.lookup("." + ErrorDialogs.STYLE_CLASS).tryQuery().isEmpty(), "no export failed");
    }

    @Test
    @Order(8)
    void aFailedExportSaysWhatWentWrongAndWhatToDo(@TempDir Path dir) throws Exception {
        Path notAFolder = Files.writeString(dir.resolve("a-file"), "x");
        wb.window().setFileChoosers(new FixedChoosers(notAFolder));
        robot.clickOn("#exportIntegerModel");
        waitUntil(20, () -> robot.lookup("." + ErrorDialogs.STYLE_CLASS).tryQuery().isPresent());
        DialogPane dialog = robot.lookup("." + ErrorDialogs.STYLE_CLASS).queryAs(DialogPane.class);
        String text = ((Label) dialog.getContent()).getText();
        assertTrue(text.startsWith("Could not write"), "what went wrong: " + text);
        assertTrue(text.contains("choose another place"), "what to do: " + text);
        assertFalse(text.contains("bug"), "a file-system problem is not a bug: " + text);
        WorkbenchFixture.closeDialogs(wb);
    }

    @Test
    @Order(9)
    void theHelpButtonShowsWhatTheViewDoes() throws Exception {
        robot.clickOn("#helpButton");
        waitUntil(10, () -> robot.lookup(".help-text").tryQuery().isPresent());
        String text = robot.lookup(".help-text .label").queryAllAs(Label.class).stream().map(Label::getText)
                .collect(Collectors.joining("\n"));
        assertTrue(text.startsWith("MAC array\n"), text);
        assertTrue(text.contains("one that wraps and one that saturates"), text);
        WorkbenchFixture.closeDialogs(wb);
    }

    private void export(String button) throws Exception {
        robot.clickOn(button);
        waitUntil(60, () -> !wb.runner().isBusy());
        assertTrue(wb.runner().messageProperty().get().contains("exported"), wb.runner().messageProperty().get());
    }

    /** Answers every file dialog with a fixed folder: a save goes to its suggested name there. */
    private record FixedChoosers(Path dir) implements FileChoosers {
        @Override
        public Optional<Path> open(String title, String what, List<String> patterns) {
            return Optional.empty();
        }

        @Override
        public Optional<Path> save(String title, String initialName, String what, String pattern) {
            return Optional.of(dir.resolve(initialName));
        }

        @Override
        public Optional<Path> folder(String title) {
            return Optional.of(dir);
        }
    }

    /** Traces channel 0 of the default (first A2Q+) layer on the adversarial input at P. */
    private Simulation traceAdversarial(int p) throws Exception {
        clickNav("MAC array");
        FxToolkit.setupFixture(() -> {
            wb.mac().channelProperty().set(0);
            wb.mac().peProperty().set(1);
            wb.mac().simdProperty().set(SIMD);
            wb.mac().accBitsProperty().set(p);
            wb.mac().inputProperty().set(InputChoice.ADVERSARIAL_MAX);
        });
        robot.clickOn("#macRun");
        waitUntil(30, () -> !wb.runner().isBusy() && wb.mac().simulation() != null
                && wb.mac().simulation().accBits() == p);
        Simulation sim = wb.mac().simulation();
        assertEquals(QuantMethod.A2Q_PLUS.label(), sim.method());
        assertEquals(new Folding(1, SIMD), sim.folding());
        return sim;
    }

    /** The same trace, straight from the engine, independent of the view-model. */
    private static MacTrace engineTrace(String layer, int channel, int p, AccumulatorMode mode) {
        IntegerLayer l = IntegerModel.compile(wb.session().graph(), AccumulatorPolicy.AS_TRAINED).layer(layer);
        MatVecEngine e = new MatVecEngine(l.weights(), l.format(), p, mode, new Folding(1, SIMD));
        return AdversarialInput.maximizingTrace(e, channel);
    }

    /** Everything the animation shows at step i (−1: before the first) equals the traces' values there. */
    private void assertShows(int i, MacTrace wrap, MacTrace sat) {
        assertEquals(i, wb.mac().cursorProperty().get());
        if (i < 0) {
            assertEquals("0", text("#wrapValue"));
            assertEquals("0", text("#saturateValue"));
            assertEquals("0", text("#exactValue"));
            assertEquals("0".repeat(wrap.accBits()), bits("#saturateBits"));
            return;
        }
        TraceStep w = wrap.steps().get(i);
        TraceStep s = sat.steps().get(i);
        String at = "step " + i;
        assertEquals(fmt(w.register()), text("#wrapValue"), at);
        assertEquals(fmt(s.register()), text("#saturateValue"), at);
        assertEquals(w.registerBits(), bits("#wrapBits"), at);
        assertEquals(s.registerBits(), bits("#saturateBits"), at);
        assertEquals(fmt(w.exactPartialSum()), text("#exactValue"), at);
        assertEquals(String.format(Locale.ROOT, "Σ = %,d", w.laneSum()), text("#macLaneSum"), at);
        assertTrue(text("#macCycle").equals("cycle " + fmt(w.cycle()) + " · step " + i + " of 0–"
                + (wrap.steps().size() - 1)), at);
        for (LaneOp op : w.lanes()) {
            VBox cell = robot.lookup("#lane" + op.lane()).queryAs(VBox.class);
            assertEquals(op.weight() + "·" + op.input(), ((Label) cell.getChildren().get(0)).getText(), at);
            assertEquals("= " + fmt(op.product()), ((Label) cell.getChildren().get(1)).getText(), at);
        }
        // Lit cells: exactly the register's bits in use, counted from the least significant end.
        HBox row = robot.lookup("#wrapBits").queryAs(HBox.class);
        long used = row.getChildren().stream().filter(n -> n.getStyleClass().contains("bit-used")).count();
        assertEquals(w.bitsInUse(), used, at);
        assertTrue(row.getChildren().get(0).getStyleClass().contains("bit-sign"));
    }

    private String text(String id) {
        return robot.lookup(id).queryAs(Label.class).getText();
    }

    private String bits(String id) {
        return robot.lookup(id).queryAs(HBox.class).getChildren().stream().map(n -> ((Label) n).getText())
                .collect(Collectors.joining());
    }

    private static String fmt(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private void clickNav(String title) {
        robot.clickOn(robot.lookup(".nav-title").match((Label l) -> l.getText().equals(title)).queryLabeled());
        WaitForAsyncUtils.waitForFxEvents();
    }
}
