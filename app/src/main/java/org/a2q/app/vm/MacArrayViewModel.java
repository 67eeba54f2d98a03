package org.a2q.app.vm;

import java.util.List;
import java.util.Locale;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.AdversarialInput;
import org.a2q.engine.hw.Folding;
import org.a2q.engine.hw.IntegerLayer;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.hw.LutCostModel;
import org.a2q.engine.hw.LutCostParams;
import org.a2q.engine.hw.MacArray;
import org.a2q.engine.hw.MacTrace;
import org.a2q.engine.hw.MatVecEngine;
import org.a2q.engine.hw.PBitArithmetic;
import org.a2q.engine.hw.TracePixels;
import org.a2q.engine.hw.TraceStep;
import org.a2q.engine.hw.WorstCase;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantReport.LayerReport;

/**
 * The MAC array view: one output channel of a quantized layer accumulated cycle by cycle on the
 * engine's integer core, in a P-bit register that wraps and in one that saturates, side by side,
 * for the adversarial input or a real test image. P can be set below the layer's target to watch
 * the guarantee break. The engine computes both traces on the worker; this class only keeps the
 * settings, the two traces and the animation cursor (which cycle the view shows).
 */
public final class MacArrayViewModel {
    /** What the traced channel is fed. */
    public enum InputChoice {
        ADVERSARIAL_MAX("Adversarial (max)"),
        ADVERSARIAL_MIN("Adversarial (min)"),
        TEST_IMAGE("Test image");

        private final String label;

        InputChoice(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /**
     * Everything one simulation produced, for the view to draw: the same dot product in a wrapping
     * and in a saturating register, and the layer facts printed beside them.
     *
     * @param image          the test image's index (meaningful for {@link InputChoice#TEST_IMAGE})
     * @param input          what the channel was fed, in words
     * @param pixel          the traced output pixel (0 for a fully connected layer)
     * @param registerMin    −2^(P−1), the register's lowest value
     * @param registerMax    2^(P−1) − 1
     * @param worstCase      the channel's §2.5 extremes over all inputs
     * @param cycles         cycles of the whole layer per image at this folding
     * @param luts           LUT estimate of the layer's MVAU at this P (engine cost model)
     * @param divergenceStep first step at which the two registers hold different values, or −1
     */
    public record Simulation(String layer, String method, int channel, InputChoice inputChoice, int image, String input,
                             long pixel, MacTrace wrap,
                             MacTrace saturate, long registerMin, long registerMax, WorstCase worstCase, int outputs,
                             int dotLength, long pixels, int trainedAccBits, long cycles, long luts,
                             int divergenceStep) {
        public int steps() {
            return wrap.steps().size();
        }

        public int accBits() {
            return wrap.accBits();
        }

        public Folding folding() {
            return wrap.folding();
        }
    }

    /** Fastest animation the speed control offers, in cycles per second. */
    public static final double MAX_SPEED = 60;

    private final SessionViewModel session;
    private final StringProperty layer = new SimpleStringProperty(this, "layer");
    private final IntegerProperty channel = new SimpleIntegerProperty(this, "channel", 0);
    private final IntegerProperty pe = new SimpleIntegerProperty(this, "pe", 1);
    private final IntegerProperty simd = new SimpleIntegerProperty(this, "simd", 5);
    private final IntegerProperty accBits = new SimpleIntegerProperty(this, "accBits", 12);
    private final ObjectProperty<InputChoice> input = new SimpleObjectProperty<>(this, "input", InputChoice.ADVERSARIAL_MAX);
    private final IntegerProperty imageIndex = new SimpleIntegerProperty(this, "imageIndex", 0);
    /** Output pixel to trace for a test image; −1 lets the engine pick the one that reaches furthest. */
    private final IntegerProperty pixel = new SimpleIntegerProperty(this, "pixel", -1);
    private final ReadOnlyIntegerWrapper channelCount = new ReadOnlyIntegerWrapper(this, "channelCount", 1);
    private final ObservableList<Integer> legalPe = FXCollections.observableArrayList(1);
    private final ObservableList<Integer> legalSimd = FXCollections.observableArrayList(1);
    private final ReadOnlyObjectWrapper<Simulation> simulation = new ReadOnlyObjectWrapper<>(this, "simulation");
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper(this, "summary", "");
    private final ReadOnlyIntegerWrapper cursor = new ReadOnlyIntegerWrapper(this, "cursor", -1);
    private final ReadOnlyBooleanWrapper playing = new ReadOnlyBooleanWrapper(this, "playing");
    private final DoubleProperty speed = new SimpleDoubleProperty(this, "speed", 4);
    private final ReadOnlyObjectWrapper<TraceStep> wrapStep = new ReadOnlyObjectWrapper<>(this, "wrapStep");
    private final ReadOnlyObjectWrapper<TraceStep> saturateStep = new ReadOnlyObjectWrapper<>(this, "saturateStep");
    private boolean running;
    private boolean rerun;

    public MacArrayViewModel(SessionViewModel session) {
        this.session = session;
        session.reportsProperty().addListener((o, a, b) -> reportsChanged());
        layer.addListener((o, a, b) -> layerChanged(b));
        session.graphProperty().addListener((o, a, b) -> clear());
        session.revisionProperty().addListener((o, a, b) -> refreshShown());
        for (javafx.beans.Observable p : List.of(channel, pe, simd, accBits, input, imageIndex, pixel)) {
            p.addListener(x -> refreshShown());
        }
        cursor.addListener((o, a, b) -> showCursor());
        reportsChanged();
    }

    public StringProperty layerProperty() { return layer; }
    public IntegerProperty channelProperty() { return channel; }
    public IntegerProperty peProperty() { return pe; }
    public IntegerProperty simdProperty() { return simd; }
    /** P of the simulated registers; the rest of the model keeps its trained widths. */
    public IntegerProperty accBitsProperty() { return accBits; }
    public ObjectProperty<InputChoice> inputProperty() { return input; }
    public IntegerProperty imageIndexProperty() { return imageIndex; }
    public IntegerProperty pixelProperty() { return pixel; }
    /** Output channels of the chosen layer. */
    public ReadOnlyIntegerProperty channelCountProperty() { return channelCount.getReadOnlyProperty(); }
    /** PE values FINN accepts for the chosen layer: divisors of its output channels. */
    public ObservableList<Integer> legalPe() { return legalPe; }
    /** SIMD values FINN accepts for the chosen layer: divisors of its dot-product length. */
    public ObservableList<Integer> legalSimd() { return legalSimd; }
    public ReadOnlyObjectProperty<Simulation> simulationProperty() { return simulation.getReadOnlyProperty(); }
    public Simulation simulation() { return simulation.get(); }
    public ReadOnlyStringProperty summaryProperty() { return summary.getReadOnlyProperty(); }
    /** Index of the step the animation shows, −1 before the first (registers cleared). */
    public ReadOnlyIntegerProperty cursorProperty() { return cursor.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty playingProperty() { return playing.getReadOnlyProperty(); }
    /** Animation speed in cycles per second. */
    public DoubleProperty speedProperty() { return speed; }
    /** The wrapping register's step at the cursor, null before the first. */
    public ReadOnlyObjectProperty<TraceStep> wrapStepProperty() { return wrapStep.getReadOnlyProperty(); }
    /** The saturating register's step at the cursor, null before the first. */
    public ReadOnlyObjectProperty<TraceStep> saturateStepProperty() { return saturateStep.getReadOnlyProperty(); }

    /** Names of the quantized conv/linear layers, from the current report. */
    public List<String> layers() {
        return session.reportsProperty().get().stream().map(LayerReport::name).toList();
    }

    // ---- animation: the view's timer calls advance(); buttons call the rest ----

    /** One cycle forward; stops playing at the last step. */
    public void step() {
        Simulation s = simulation.get();
        if (s == null) {
            return;
        }
        if (cursor.get() < s.steps() - 1) {
            cursor.set(cursor.get() + 1);
        }
        if (cursor.get() >= s.steps() - 1) {
            playing.set(false);
        }
    }

    /** One cycle back. */
    public void stepBack() {
        playing.set(false);
        if (cursor.get() > -1) {
            cursor.set(cursor.get() - 1);
        }
    }

    /** Back to before the first cycle: both registers cleared. */
    public void reset() {
        playing.set(false);
        cursor.set(-1);
    }

    /** Straight to the last cycle. */
    public void toEnd() {
        playing.set(false);
        Simulation s = simulation.get();
        if (s != null) {
            cursor.set(s.steps() - 1);
        }
    }

    /** Shows step i (−1 … steps−1), e.g. a row picked in the table or the overflow. */
    public void seek(int step) {
        Simulation s = simulation.get();
        if (s != null) {
            cursor.set(Math.max(-1, Math.min(s.steps() - 1, step)));
        }
    }

    /** Starts or stops the animation; starting at the end replays from the beginning. */
    public void togglePlay() {
        Simulation s = simulation.get();
        if (playing.get() || s == null) {
            playing.set(false);
            return;
        }
        if (cursor.get() >= s.steps() - 1) {
            cursor.set(-1);
        }
        playing.set(true);
    }

    /** The animation timer's tick. */
    public void advance() {
        if (playing.get()) {
            step();
        }
    }

    // ---- simulation ----

    /** Traces the chosen channel in both register modes on the worker, with the current settings. */
    public void run() {
        Graph g = session.graph();
        String name = layer.get();
        if (g == null || name == null || !session.quantized()) {
            session.errors().report("Nothing to simulate", "Quantize the model in Bit widths first: the MAC array "
                    + "works on integer weights.");
            return;
        }
        if (running) {
            rerun = true;
            return;
        }
        Request r = new Request(g, name, channel.get(), pe.get(), simd.get(), accBits.get(), input.get(),
                imageIndex.get(), pixel.get(), session.data());
        running = true;
        session.runner().submit("Simulating the MAC array", false, p -> simulate(r), this::publish, () -> {
            running = false;
            if (rerun) {
                rerun = false;
                run();
            }
        });
    }

    private record Request(Graph graph, String layer, int channel, int pe, int simd, int accBits, InputChoice input,
                           int image, int pixel, DatasetSplit data) { }

    /** Runs on the worker: engine calls only. */
    private static Simulation simulate(Request r) {
        if (r.accBits() < PBitArithmetic.MIN_WIDTH || r.accBits() > 32) {
            throw new EngineException("the accumulator width P must be 2..32 bits, not " + r.accBits());
        }
        // Upstream layers keep their trained widths, so a test image reaches the traced layer as the
        // trained model would deliver it; only the traced register gets the chosen P.
        IntegerModel m = IntegerModel.compile(r.graph(), AccumulatorPolicy.AS_TRAINED, new Folding(r.pe(), r.simd()));
        IntegerLayer l = m.layer(r.layer());
        if (r.channel() < 0 || r.channel() >= l.outputChannels()) {
            throw new EngineException("channel " + r.channel() + " does not exist; " + l.name() + " has channels 0.."
                    + (l.outputChannels() - 1));
        }
        Folding folding = new Folding(r.pe(), r.simd());
        MacArray.checkLegal(l.outputChannels(), l.dotLength(), folding);
        MatVecEngine wrap = new MatVecEngine(l.weights(), l.format(), r.accBits(), AccumulatorMode.WRAP, folding);
        MatVecEngine saturate = new MatVecEngine(l.weights(), l.format(), r.accBits(), AccumulatorMode.SATURATE, folding);
        int[] x;
        long px = 0;
        String what;
        switch (r.input()) {
            case ADVERSARIAL_MAX -> {
                x = AdversarialInput.maximizing(wrap, r.channel());
                what = "adversarial input: x_max where q > 0, x_min where q < 0";
            }
            case ADVERSARIAL_MIN -> {
                x = AdversarialInput.minimizing(wrap, r.channel());
                what = "adversarial input: x_min where q > 0, x_max where q < 0";
            }
            default -> {
                DatasetSplit d = r.data();
                if (d == null) {
                    throw new EngineException("no data is loaded; open the sample or an IDX folder in Data to trace a "
                            + "test image");
                }
                if (r.image() < 0 || r.image() >= d.test().size()) {
                    throw new EngineException("test image " + r.image() + " does not exist; the test set has 0.."
                            + (d.test().size() - 1));
                }
                var image = new Batcher(d.test(), 1).fill(new int[] {r.image()}, 0, 1).features();
                // Exact upstream registers: both traced registers then see the very same input vector.
                int[][] patches = m.layerInput(l.name(), image, AccumulatorMode.EXACT);
                int chosen = r.pixel() >= 0 ? r.pixel() : TracePixels.furthest(wrap, r.channel(), patches);
                if (chosen >= patches.length) {
                    throw new EngineException("output pixel " + chosen + " does not exist; " + l.name()
                            + " has pixels 0.." + (patches.length - 1));
                }
                x = patches[chosen];
                px = chosen;
                what = "test image " + r.image() + " (label " + d.test().label(r.image()) + ")"
                        + (l.isConv() ? ", output pixel " + chosen + " (row " + chosen / l.outW() + ", column "
                        + chosen % l.outW() + ")" + (r.pixel() < 0 ? ", the one whose sums reach furthest" : "") : "");
            }
        }
        MacTrace tw = wrap.trace(r.channel(), x, px);
        MacTrace ts = saturate.trace(r.channel(), x, px);
        int diverge = -1;
        for (int i = 0; i < tw.steps().size() && diverge < 0; i++) {
            if (tw.steps().get(i).register() != ts.steps().get(i).register()) {
                diverge = i;
            }
        }
        MacArray array = new MacArray(l.outputChannels(), l.dotLength(), l.pixels(), folding);
        long luts = LutCostModel.estimate(array, LutCostParams.allLut(l.weightBits(), l.format().bits(),
                l.format().signed(), l.outputBits()), r.accBits()).total();
        return new Simulation(l.name(), l.method().label(), r.channel(), r.input(), r.image(), what, px, tw, ts,
                PBitArithmetic.minValue(r.accBits()), PBitArithmetic.maxValue(r.accBits()), wrap.worstCase(r.channel()),
                l.outputChannels(), l.dotLength(), l.pixels(), l.trainedAccBits(), array.cycles(), luts, diverge);
    }

    /** Shows a finished simulation (package-private so tests can feed one without the worker). */
    void publish(Simulation s) {
        Simulation old = simulation.get();
        simulation.set(s);
        summary.set(summaryOf(s));
        // Same dot product, new register width or input: stay on the cycle the user was looking at,
        // so the effect of the change shows in place.
        boolean sameShape = old != null && old.steps() == s.steps() && old.layer().equals(s.layer())
                && old.channel() == s.channel();
        if (sameShape) {
            showCursor();
        } else {
            playing.set(false);
            if (cursor.get() == -1) {
                showCursor();
            } else {
                cursor.set(-1);
            }
        }
    }

    static String summaryOf(Simulation s) {
        MacTrace w = s.wrap();
        MacTrace sat = s.saturate();
        String overflow = w.overflowed()
                ? String.format(Locale.ROOT, "first overflow at step %d (cycle %,d); wrap ends %s, saturate ends %s",
                w.firstOverflowStep(), w.steps().get(w.firstOverflowStep()).cycle(), w.resultWrong() ? "wrong" : "right",
                sat.resultWrong() ? "wrong" : "right")
                : "no overflow: both registers end on the exact result";
        return String.format(Locale.ROOT, "%s (%s) channel %d, %s inputs, P = %d (trained for %d) · exact result %,d, "
                        + "needs %d bits · %s · layer: %,d cycles per image at PE %d × SIMD %d, about %,d LUTs",
                s.layer(), s.method(), s.channel(), w.format().finnName(), s.accBits(), s.trainedAccBits(),
                w.exactResult(), w.exactBitsNeeded(), overflow, s.cycles(), s.folding().pe(), s.folding().simd(),
                s.luts());
    }

    private void showCursor() {
        Simulation s = simulation.get();
        int c = cursor.get();
        if (s == null || c < 0 || c >= s.steps()) {
            wrapStep.set(null);
            saturateStep.set(null);
        } else {
            wrapStep.set(s.wrap().steps().get(c));
            saturateStep.set(s.saturate().steps().get(c));
        }
    }

    private void clear() {
        playing.set(false);
        simulation.set(null);
        summary.set("");
        cursor.set(-1);
        showCursor();
    }

    /** A shown trace follows its settings and the model's weights; nothing runs before the first trace. */
    private void refreshShown() {
        if (simulation.get() == null) {
            return;
        }
        if (!session.quantized() || layer.get() == null) {
            clear();
            return;
        }
        run();
    }

    /** New report: keep the chosen layer if it still exists, else start on the first A2Q/A2Q+ layer. */
    private void reportsChanged() {
        List<LayerReport> reports = session.reportsProperty().get();
        if (reports.isEmpty()) {
            return;
        }
        LayerReport current = reports.stream().filter(l -> l.name().equals(layer.get())).findFirst().orElse(null);
        if (current == null) {
            LayerReport first = reports.stream().filter(l -> l.method().constrained()).findFirst().orElse(reports.get(0));
            layer.set(first.name());
        } else {
            updateLegal(current);
        }
    }

    private void layerChanged(String name) {
        LayerReport l = session.reportsProperty().get().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElse(null);
        if (l == null) {
            return;
        }
        updateLegal(l);
        // A new layer starts at the width it was trained for; lowering it is the experiment.
        accBits.set(Math.max(PBitArithmetic.MIN_WIDTH, Math.min(32, l.accBits())));
        refreshShown();
    }

    private void updateLegal(LayerReport l) {
        int outputs = l.channels().size();
        int k = Math.toIntExact(l.dotProductLength());
        channelCount.set(outputs);
        if (channel.get() >= outputs) {
            channel.set(outputs - 1);
        }
        List<Integer> pes = MacArray.divisors(outputs);
        List<Integer> simds = MacArray.divisors(k);
        if (!legalPe.equals(pes)) {
            legalPe.setAll(pes);
        }
        if (!legalSimd.equals(simds)) {
            legalSimd.setAll(simds);
        }
        pe.set(largestNotAbove(pes, pe.get()));
        simd.set(largestNotAbove(simds, simd.get()));
    }

    /** The legal value closest to the wish from below (1 is always legal). */
    static int largestNotAbove(List<Integer> legal, int wish) {
        int best = legal.get(0);
        for (int v : legal) {
            if (v <= wish) {
                best = v;
            }
        }
        return best;
    }
}
