package org.a2q.app.vm;

import java.util.List;
import java.util.Locale;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.AccumulatorBound;
import org.a2q.engine.quant.InitMode;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.QuantReport;
import org.a2q.engine.quant.Quantization;

/**
 * The Bit widths view: the model-wide method, M, N, P and init, and what they would do to the
 * current model before any training. Every change quantizes a copy of the model on the worker
 * and shows the engine's report of that copy (T, ⌊T⌋, clipped channels, minimum P by each rule),
 * so the preview is exactly what Apply will produce.
 */
public final class BitWidthsViewModel {
    /** The methods offered: PTQ is a CLI experiment, not a training setup. */
    public static final List<QuantMethod> METHODS = List.of(QuantMethod.FP32, QuantMethod.QAT, QuantMethod.A2Q,
            QuantMethod.A2Q_PLUS);

    private final SessionViewModel session;
    private final ObjectProperty<QuantMethod> method = new SimpleObjectProperty<>(this, "method", QuantMethod.A2Q_PLUS);
    private final IntegerProperty weightBits = new SimpleIntegerProperty(this, "weightBits", 4);
    private final IntegerProperty actBits = new SimpleIntegerProperty(this, "actBits", 4);
    private final IntegerProperty accBits = new SimpleIntegerProperty(this, "accBits", 12);
    private final ObjectProperty<InitMode> init = new SimpleObjectProperty<>(this, "init", InitMode.EP);
    private final ObservableList<QuantReport.LayerReport> preview = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper budgetText = new ReadOnlyStringWrapper(this, "budgetText", "");
    private final ReadOnlyStringWrapper previewText = new ReadOnlyStringWrapper(this, "previewText", "");
    private final ReadOnlyStringWrapper warningText = new ReadOnlyStringWrapper(this, "warningText", "");
    private final ReadOnlyBooleanWrapper canApply = new ReadOnlyBooleanWrapper(this, "canApply");

    /** The settings the next preview job should use; read on the worker when the job starts. */
    private volatile QuantConfig requested;
    private volatile Graph requestedGraph;
    private boolean previewQueued;

    public BitWidthsViewModel(SessionViewModel session) {
        this.session = session;
        for (javafx.beans.Observable o : List.of(method, weightBits, actBits, accBits, init, session.graphProperty(),
                session.quantConfigProperty(), session.reportsProperty())) {
            o.addListener(x -> recompute());
        }
        recompute();
    }

    public ObjectProperty<QuantMethod> methodProperty() { return method; }
    public IntegerProperty weightBitsProperty() { return weightBits; }
    public IntegerProperty actBitsProperty() { return actBits; }
    public IntegerProperty accBitsProperty() { return accBits; }
    public ObjectProperty<InitMode> initProperty() { return init; }
    /** One engine report per conv/linear layer of the previewed (or applied) model. */
    public ObservableList<QuantReport.LayerReport> preview() { return preview; }
    /** The hidden layers' budgets at the chosen N and P, computed at once while the preview runs. */
    public ReadOnlyStringProperty budgetTextProperty() { return budgetText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty previewTextProperty() { return previewText.getReadOnlyProperty(); }
    /** Non-empty where a layer's budget ⌊T⌋ is zero, i.e. the constraint forces all its weights to zero. */
    public ReadOnlyStringProperty warningTextProperty() { return warningText.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty canApplyProperty() { return canApply.getReadOnlyProperty(); }

    /** The engine config of the edited settings; throws EngineException with a user-facing message. */
    public QuantConfig config() {
        return QuantConfig.of(method.get(), weightBits.get(), actBits.get(), accBits.get()).withInit(init.get());
    }

    /** Quantizes the session's model with the current settings; Train then trains it (QAT). */
    public void apply() {
        QuantConfig cfg;
        try {
            cfg = config();
        } catch (EngineException e) {
            session.errors().report("Cannot quantize with these settings", UserMessages.describe(e));
            return;
        }
        if (cfg.method() == QuantMethod.FP32) {
            session.errors().report("Nothing to apply", "fp32 keeps the float model as it is. Choose qat, a2q or a2q+.");
            return;
        }
        session.applyQuantization(cfg);
    }

    private void recompute() {
        int n = actBits.get();
        int p = accBits.get();
        try {
            // Hidden layers read ReLU outputs, which the quantizer makes N-bit unsigned (a2q-math §5.1).
            budgetText.set(String.format(Locale.ROOT,
                    "Hidden layers (N = %d-bit unsigned inputs, P = %d): T_A2Q = %s → ⌊T_A2Q⌋ = %,d;  "
                            + "T₊ = %s → ⌊T₊⌋ = %,d", n, p, AccumulatorBounds.format(AccumulatorBound.tA2q(p, n, false)),
                    AccumulatorBound.floorA2q(p, n, false), AccumulatorBounds.format(AccumulatorBound.tPlus(p, n)),
                    AccumulatorBound.floorPlus(p, n)));
        } catch (EngineException e) {
            budgetText.set(UserMessages.describe(e));
        }
        Graph g = session.graph();
        if (session.quantized()) {
            canApply.set(false);
            previewText.set("The model is quantized (" + session.quantSummaryProperty().get() + "); the table shows "
                    + "its current report. Load a float model to try other settings.");
            show(session.reportsProperty().get());
            return;
        }
        canApply.set(g != null && method.get() != QuantMethod.FP32);
        if (g == null) {
            previewText.set("No model loaded yet.");
            show(List.of());
            return;
        }
        QuantConfig cfg;
        try {
            cfg = config();
        } catch (EngineException e) {
            canApply.set(false);
            previewText.set(UserMessages.describe(e));
            show(List.of());
            return;
        }
        if (cfg.method() == QuantMethod.FP32) {
            previewText.set("fp32: weights stay float, so no accumulator width is guaranteed.");
            show(List.of());
            return;
        }
        requested = cfg;
        requestedGraph = g;
        previewText.set("Computing the preview on a copy of the model…");
        if (previewQueued) {
            return; // the queued job will read the newest settings when it starts
        }
        previewQueued = true;
        session.runner().submit("Previewing bit widths", false, pr -> {
            QuantConfig c = requested;
            Graph src = requestedGraph;
            // Quantization reuses the layers it is given, so the preview works on a copy.
            Graph q = Quantization.apply(SessionViewModel.copyOf(src, null), c, null, 0);
            return new Object[] {c, src, QuantReport.of(q)};
        }, r -> {
            previewQueued = false;
            if (r[0] != requested || r[1] != session.graph() || session.quantized()) {
                recompute(); // settings moved on while it ran
                return;
            }
            @SuppressWarnings("unchecked")
            List<QuantReport.LayerReport> rep = (List<QuantReport.LayerReport>) r[2];
            previewText.set("Preview of " + SessionViewModel.describe((QuantConfig) r[0]) + " on the current "
                    + "weights, before any training. First and last layers stay 8-bit without a budget.");
            show(rep);
        }, () -> previewQueued = false);
    }

    private void show(List<QuantReport.LayerReport> rep) {
        preview.setAll(rep);
        StringBuilder w = new StringBuilder();
        for (QuantReport.LayerReport l : rep) {
            if (l.zeroBudget()) {
                w.append(w.length() == 0 ? "" : " ").append(String.format(Locale.ROOT,
                        "%s: ⌊T⌋ = 0 at P = %d, N = %d, so every weight of the layer must be zero; raise P or lower N.",
                        l.name(), l.accBits(), l.inputBits()));
            }
        }
        warningText.set(w.toString());
    }
}
