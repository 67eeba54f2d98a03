package org.a2q.app.vm;

import java.util.List;
import java.util.Locale;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import org.a2q.engine.EngineException;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AdversarialInput;
import org.a2q.engine.hw.Folding;
import org.a2q.engine.hw.InputFormat;
import org.a2q.engine.hw.IntWeights;
import org.a2q.engine.hw.LutCostModel;
import org.a2q.engine.hw.LutCostParams;
import org.a2q.engine.hw.LutEstimate;
import org.a2q.engine.hw.MacArray;
import org.a2q.engine.hw.MacTrace;
import org.a2q.engine.hw.MatVecEngine;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.WeightTransform;
import org.a2q.engine.quant.AccumulatorAwareWeightQuantizer;
import org.a2q.engine.quant.IntegerWeights;
import org.a2q.engine.quant.PerChannelWeightQuantizer;
import org.a2q.engine.quant.Quantization;

/**
 * The MAC array view: one output channel of a quantized layer accumulated step by step on the
 * engine's integer core, for the input that drives the sum highest (the adversarial input), in a
 * P-bit register that wraps or saturates. P can be set below the layer's target to watch the
 * guarantee break.
 */
public final class MacArrayViewModel {
    private final SessionViewModel session;
    private final StringProperty layer = new SimpleStringProperty(this, "layer");
    private final IntegerProperty channel = new SimpleIntegerProperty(this, "channel", 0);
    private final IntegerProperty pe = new SimpleIntegerProperty(this, "pe", 1);
    private final IntegerProperty simd = new SimpleIntegerProperty(this, "simd", 5);
    private final IntegerProperty accBits = new SimpleIntegerProperty(this, "accBits", 12);
    private final ObjectProperty<AccumulatorMode> mode = new SimpleObjectProperty<>(this, "mode", AccumulatorMode.WRAP);
    private final ReadOnlyObjectWrapper<MacTrace> trace = new ReadOnlyObjectWrapper<>(this, "trace");
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper(this, "summary", "");

    public MacArrayViewModel(SessionViewModel session) {
        this.session = session;
    }

    public StringProperty layerProperty() { return layer; }
    public IntegerProperty channelProperty() { return channel; }
    public IntegerProperty peProperty() { return pe; }
    public IntegerProperty simdProperty() { return simd; }
    public IntegerProperty accBitsProperty() { return accBits; }
    public ObjectProperty<AccumulatorMode> modeProperty() { return mode; }
    public ReadOnlyObjectProperty<MacTrace> traceProperty() { return trace.getReadOnlyProperty(); }
    public ReadOnlyStringProperty summaryProperty() { return summary.getReadOnlyProperty(); }

    /** Runs the trace on the worker with the current settings. */
    public void run() {
        Graph g = session.graph();
        String name = layer.get();
        if (g == null || name == null || !session.quantized()) {
            session.errors().report("Nothing to simulate", "Quantize the model in Bit widths first: the MAC array "
                    + "works on integer weights.");
            return;
        }
        int ch = channel.get();
        Folding folding;
        try {
            folding = new Folding(pe.get(), simd.get());
        } catch (EngineException e) {
            session.errors().report("Cannot simulate", UserMessages.describe(e));
            return;
        }
        int p = accBits.get();
        AccumulatorMode m = mode.get();
        session.runner().submit("Simulating the MAC array", false, pr -> {
            WeightTransform t = Graph.weightTransform(g.node(name).layer());
            IntegerWeights iw;
            int weightBits;
            if (t instanceof AccumulatorAwareWeightQuantizer a) {
                iw = a.integerWeights();
                weightBits = a.weightBits();
            } else if (t instanceof PerChannelWeightQuantizer b) {
                iw = b.integerWeights();
                weightBits = b.weightBits();
            } else {
                throw new EngineException("layer " + name + " has float weights");
            }
            int[][] rows = new int[iw.q().length][];
            for (int c = 0; c < rows.length; c++) {
                rows[c] = new int[iw.q()[c].length];
                for (int i = 0; i < rows[c].length; i++) {
                    rows[c][i] = Math.toIntExact(iw.q()[c][i]);
                }
            }
            IntWeights w = new IntWeights(rows);
            if (ch < 0 || ch >= w.outputs()) {
                throw new EngineException("channel " + ch + " does not exist; " + name + " has channels 0.."
                        + (w.outputs() - 1));
            }
            if (!MacArray.isLegal(w.outputs(), w.length(), folding)) {
                throw new EngineException("PE = " + folding.pe() + " must divide the " + w.outputs() + " channels and SIMD = "
                        + folding.simd() + " the dot-product length " + w.length() + "; legal: "
                        + MacArray.divisors(w.outputs()) + " × " + MacArray.divisors(w.length()));
            }
            Quantization.InputFormat f = Quantization.inputFormat(g, name);
            InputFormat fmt = f == null ? InputFormat.unsigned(8) : new InputFormat(f.bits(), f.signed());
            MatVecEngine engine = new MatVecEngine(w, fmt, p, m, folding);
            MacTrace tr = AdversarialInput.maximizingTrace(engine, ch);
            MacArray array = MacArray.of(w, 1, folding);
            LutEstimate lut = LutCostModel.estimate(array, LutCostParams.allLut(weightBits, fmt.bits(), fmt.signed(),
                    fmt.bits()), p);
            String s = String.format(Locale.ROOT, "%s channel %d, %s inputs, P = %d, %s: exact result %,d, register %,d"
                            + " (%s) · needs %d bits exactly · %,d cycles per output vector with PE %d × SIMD %d · "
                            + "about %,d LUTs (cost model)",
                    name, ch, fmt, p, m, tr.exactResult(), tr.result(),
                    tr.overflowed() ? "overflow at step " + tr.firstOverflowStep() + (tr.resultWrong() ? ", result wrong"
                            : ", result still right") : "no overflow",
                    tr.exactBitsNeeded(), array.cycles(), folding.pe(), folding.simd(), lut.total());
            return new Object[] {tr, s};
        }, r -> {
            trace.set((MacTrace) r[0]);
            summary.set((String) r[1]);
        });
    }

    /** Names of the quantized conv/linear layers, from the current report. */
    public List<String> layers() {
        return session.reportsProperty().get().stream().map(l -> l.name()).toList();
    }
}
