package org.a2q.app.vm;

import java.util.List;
import java.util.Locale;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.a2q.engine.quant.AccumulatorBound;
import org.a2q.engine.quant.QuantReport;

/**
 * The Budgets view: the engine's per-layer report of the session's quantized model, and the one
 * layer whose channels are drawn. It only selects from {@link SessionViewModel#reportsProperty()},
 * which the worker refreshes during and after training, so the bars are always the engine's numbers.
 */
public final class BudgetsViewModel {
    private final SessionViewModel session;
    private final ObservableList<QuantReport.LayerReport> layers = FXCollections.observableArrayList();
    private final ObservableList<String> layerNames = FXCollections.observableArrayList();
    private final StringProperty selectedLayer = new SimpleStringProperty(this, "selectedLayer");
    private final ReadOnlyObjectWrapper<QuantReport.LayerReport> current = new ReadOnlyObjectWrapper<>(this, "current");
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper(this, "summary", "");

    public BudgetsViewModel(SessionViewModel session) {
        this.session = session;
        session.reportsProperty().addListener((o, a, b) -> update(b));
        selectedLayer.addListener((o, a, b) -> select());
        update(session.reportsProperty().get());
    }

    /** All quantized conv/linear layers, for the overview table. */
    public ObservableList<QuantReport.LayerReport> layers() { return layers; }
    public ObservableList<String> layerNames() { return layerNames; }
    public StringProperty selectedLayerProperty() { return selectedLayer; }
    /** The report of the selected layer, or null when the model is not quantized. */
    public ReadOnlyObjectProperty<QuantReport.LayerReport> currentProperty() { return current.getReadOnlyProperty(); }
    public QuantReport.LayerReport current() { return current.get(); }
    public ReadOnlyStringProperty summaryProperty() { return summary.getReadOnlyProperty(); }

    /** ⌊T_A2Q⌋ of a layer, exact (the engine's integer rule, not a floor of the double T). */
    public static long floorA2q(QuantReport.LayerReport l) {
        return AccumulatorBound.floorA2q(l.accBits(), l.inputBits(), l.inputSigned());
    }

    /** ⌊T₊⌋ of a layer, exact. */
    public static long floorPlus(QuantReport.LayerReport l) {
        return AccumulatorBound.floorPlus(l.accBits(), l.inputBits());
    }

    private void update(List<QuantReport.LayerReport> rep) {
        List<QuantReport.LayerReport> r = rep == null ? List.of() : rep;
        layers.setAll(r);
        List<String> names = r.stream().map(QuantReport.LayerReport::name).toList();
        if (!names.equals(layerNames)) {
            layerNames.setAll(names);
        }
        if (selectedLayer.get() == null || !names.contains(selectedLayer.get())) {
            // Start on the first budgeted layer: the edge layers have no accumulator constraint.
            String first = r.stream().filter(l -> l.method().constrained()).map(QuantReport.LayerReport::name)
                    .findFirst().orElse(names.isEmpty() ? null : names.get(0));
            selectedLayer.set(first);
        }
        select();
    }

    private void select() {
        QuantReport.LayerReport l = layers.stream().filter(x -> x.name().equals(selectedLayer.get())).findFirst()
                .orElse(null);
        current.set(l);
        if (l == null) {
            summary.set(session.quantized() ? "" : "The model is float. Quantize it in Bit widths (qat, a2q or a2q+) "
                    + "to see its per-channel budgets.");
            return;
        }
        summary.set(String.format(Locale.ROOT, "%s · %s W%d, %d-bit %s inputs, P = %d, K = %,d · ⌊T_A2Q⌋ = %,d, "
                        + "⌊T₊⌋ = %,d, budget ⌊T⌋ = %,d · clamped %d of %d channels · mean utilisation %.1f %% · "
                        + "sparsity %.1f %% · exact width %d bits%s",
                l.name(), l.method().label(), l.weightBits(), l.inputBits(), l.inputSigned() ? "signed" : "unsigned",
                l.accBits(), l.dotProductLength(), floorA2q(l), floorPlus(l),
                l.budget(), l.clampedChannels(), l.channels().size(), 100 * l.meanUtilisation(), 100 * l.sparsity(),
                l.widths().exact(), l.overflowSafe() ? " (fits P)" : " (exceeds P!)"));
    }
}
