package org.a2q.app.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.a2q.engine.analysis.QuantizationError;
import org.a2q.engine.analysis.QuantizationError.LayerError;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.ImageDataset;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The Error view: how far the session's quantized model is from its float counterpart, per layer
 * (weight MSE, output SQNR, sparsity) and per channel. All numbers come from the engine's
 * {@link QuantizationError}; they are recomputed on the worker whenever the weights change.
 */
public final class ErrorViewModel {
    /** Test images the output SQNR is measured on: enough for a stable figure, quick on a laptop. */
    public static final int SQNR_IMAGES = 256;
    /** Histogram bins per quantization step for low bit widths, so rounding regions are visible. */
    static final int BINS_PER_STEP = 4;

    /** One table row: the engine's weight error of a layer and the SQNR of its output (NaN without data). */
    public record Row(LayerError error, double sqnrDb) {
        public String name() { return error.name(); }
        public double mse() { return error.weights().mse(); }
        public double sparsity() { return error.weights().sparsity(); }
    }

    /** Histogram of w_ref/s over a layer, and the integer levels q may take. */
    public record Distribution(QuantizationError.Histogram histogram, long[] levels) { }

    private final SessionViewModel session;
    private final ObservableList<Row> rows = FXCollections.observableArrayList();
    private final ObservableList<String> layerNames = FXCollections.observableArrayList();
    private final StringProperty selectedLayer = new SimpleStringProperty(this, "selectedLayer");
    private final ReadOnlyObjectWrapper<Row> current = new ReadOnlyObjectWrapper<>(this, "current");
    private final ReadOnlyObjectWrapper<Distribution> distribution = new ReadOnlyObjectWrapper<>(this, "distribution");
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper(this, "summary", "");
    private boolean queued;
    private boolean again;

    public ErrorViewModel(SessionViewModel session) {
        this.session = session;
        // Not the graph or the config themselves: the session sets the config first and the graph
        // after it, and only the revision change that follows the graph sees both consistent.
        session.revisionProperty().addListener(x -> recompute());
        session.dataProperty().addListener(x -> recompute());
        selectedLayer.addListener((o, a, b) -> select());
        recompute();
    }

    public ObservableList<Row> rows() { return rows; }
    public ObservableList<String> layerNames() { return layerNames; }
    public StringProperty selectedLayerProperty() { return selectedLayer; }
    public ReadOnlyObjectProperty<Row> currentProperty() { return current.getReadOnlyProperty(); }
    public ReadOnlyObjectProperty<Distribution> distributionProperty() { return distribution.getReadOnlyProperty(); }
    /** Says what the numbers are, or why there are none (float model, computing). */
    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }
    /** One line about the selected layer. */
    public ReadOnlyStringProperty summaryProperty() { return summary.getReadOnlyProperty(); }

    /** True while the model is float, so the view shows its empty state. */
    public boolean empty() { return rows.isEmpty(); }

    private void recompute() {
        if (!session.quantized() || session.graph() == null) {
            rows.clear();
            layerNames.clear();
            select();
            status.set("The model is float, so there is no quantization error yet. Quantize it in Bit widths "
                    + "(qat, a2q or a2q+), then come back here.");
            return;
        }
        status.set("Measuring the quantization error…");
        if (queued) {
            again = true; // the running job's result is stale; one more run picks up the newest weights
            return;
        }
        queued = true;
        again = false;
        Graph g = session.graph();
        QuantConfig cfg = session.quantConfigProperty().get();
        DatasetSplit data = session.data();
        session.runner().submit("Measuring quantization error", false, p -> {
            p.update(-1, "Comparing the quantized layers with their float weights…");
            List<LayerError> errors = QuantizationError.layerErrors(g);
            Map<String, Double> sqnr = Map.of();
            if (data != null) {
                // The reference model: a copy with every weight quantizer replaced by its unrounded weight.
                Graph reference = SessionViewModel.copyOf(g, cfg);
                QuantizationError.useReferenceWeights(reference);
                sqnr = QuantizationError.outputSqnr(g, reference, batch(data.test()),
                        errors.stream().map(LayerError::name).toList());
            }
            List<Row> out = new ArrayList<>();
            for (LayerError e : errors) {
                out.add(new Row(e, sqnr.getOrDefault(e.name(), Double.NaN)));
            }
            return new Object[] {g, out, data != null};
        }, r -> {
            if (r[0] != session.graph()) {
                return;
            }
            @SuppressWarnings("unchecked")
            List<Row> out = (List<Row>) r[1];
            show(out, (Boolean) r[2]);
        }, () -> {
            queued = false;
            if (again) {
                recompute();
            }
        });
    }

    private void show(List<Row> out, boolean withData) {
        rows.setAll(out);
        List<String> names = out.stream().map(Row::name).toList();
        if (!names.equals(layerNames)) {
            layerNames.setAll(names);
        }
        if (selectedLayer.get() == null || !names.contains(selectedLayer.get())) {
            // Start on the first hidden layer: the 8-bit edge layers are rarely where the error is.
            selectedLayer.set(names.size() > 2 ? names.get(1) : names.isEmpty() ? null : names.get(0));
        }
        select();
        status.set(withData ? String.format(Locale.ROOT, "%s · weight error against the unrounded float weights; "
                + "output SQNR on the first %d test images.", session.quantSummaryProperty().get(), SQNR_IMAGES)
                : "Load data to measure the output SQNR; the weight error needs none.");
    }

    private void select() {
        Row r = rows.stream().filter(x -> x.name().equals(selectedLayer.get())).findFirst().orElse(null);
        current.set(r);
        distribution.set(r == null ? null : distributionOf(r.error()));
        if (r == null) {
            summary.set("");
            return;
        }
        int worst = 0;
        double[] ch = r.error().weights().channelMse();
        for (int c = 1; c < ch.length; c++) {
            worst = ch[c] > ch[worst] ? c : worst;
        }
        summary.set(String.format(Locale.ROOT, "%s · W%d · %,d weights in %d channels · weight MSE %s · output SQNR %s"
                        + " · sparsity %.1f %% · largest channel MSE: channel %d (%s)", r.name(),
                r.error().weightBits(), r.error().weights().weights(), ch.length, formatMse(r.mse()),
                formatDb(r.sqnrDb()), 100 * r.sparsity(), worst, formatMse(ch[worst])));
    }

    /**
     * The layer's reference weights in units of their channel's scale, w_ref/s_c: channels have
     * different s, and only in these units do they share one grid, the integers q may take.
     */
    public static Distribution distributionOf(LayerError e) {
        int n = 0;
        for (double[] row : e.reference()) {
            n += row.length;
        }
        double[] v = new double[n];
        int i = 0;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < e.reference().length; c++) {
            for (double x : e.reference()[c]) {
                v[i] = x / e.scales()[c];
                lo = Math.min(lo, v[i]);
                hi = Math.max(hi, v[i]);
                i++;
            }
        }
        long[] levels = QuantizationError.gridLevels(e.weightBits());
        long max = levels[levels.length - 1];
        QuantizationError.Histogram h;
        if (max <= 15) {
            // The whole grid fits: bins aligned to it, so each step's rounding region is whole bins.
            h = QuantizationError.histogram(v, (int) (2 * max + 1) * BINS_PER_STEP, -max - 0.5, max + 0.5);
        } else {
            double span = Math.max(hi - lo, 1e-9);
            h = QuantizationError.histogram(v, 80, lo - 0.01 * span, hi + 0.01 * span);
        }
        return new Distribution(h, levels);
    }

    /** The first images of the test set as one batch (copied: the batcher reuses its arrays). */
    private static INDArray batch(ImageDataset test) {
        int n = Math.min(SQNR_IMAGES, test.size());
        int[] items = new int[n];
        for (int i = 0; i < n; i++) {
            items[i] = i;
        }
        return new Batcher(test, n).fill(items, 0, n).features().dup();
    }

    public static String formatMse(double mse) {
        return String.format(Locale.ROOT, "%.3e", mse);
    }

    public static String formatDb(double db) {
        if (Double.isNaN(db)) {
            return "—";
        }
        return Double.isInfinite(db) ? (db > 0 ? "∞ dB" : "−∞ dB") : String.format(Locale.ROOT, "%.1f dB", db);
    }
}
