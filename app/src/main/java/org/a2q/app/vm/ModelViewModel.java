package org.a2q.app.vm;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.a2q.engine.analysis.LayerTable;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.io.AtomicFiles;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.train.Evaluation;

/**
 * The Model view's state: which model, its layers, and its float accuracy on the current test
 * data. Both are recomputed on the worker whenever the model, its weights or the data change.
 */
public final class ModelViewModel {
    /** One row of the layer table, already in the units the table shows. */
    public record LayerRow(int index, String name, String op, String outputShape, long dotProductLength,
                           long parameters, double weightMin, double weightMax, double weightMeanAbs) {
        public boolean hasWeights() {
            return !Double.isNaN(weightMin);
        }
    }

    /** The built-in architectures the picker offers. */
    public static final List<String> BUILT_IN = ModelTemplates.NAMES;

    private final SessionViewModel session;
    private final ObservableList<LayerRow> layers = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper(this, "summary", "");
    private final ReadOnlyStringWrapper accuracyText = new ReadOnlyStringWrapper(this, "accuracyText", "—");
    private final ReadOnlyStringWrapper accuracyDetail = new ReadOnlyStringWrapper(this, "accuracyDetail", "");
    private final ReadOnlyBooleanWrapper evaluating = new ReadOnlyBooleanWrapper(this, "evaluating");
    private double accuracy = Double.NaN;
    private int evaluationTicket;

    public ModelViewModel(SessionViewModel session) {
        this.session = session;
        session.revisionProperty().addListener((o, a, b) -> refresh());
        session.dataProperty().addListener((o, a, b) -> evaluate());
    }

    public ObservableList<LayerRow> layers() { return layers; }
    /** "61,706 parameters · input 1×28×28 · 12 layers". */
    public ReadOnlyStringProperty summaryProperty() { return summary.getReadOnlyProperty(); }
    public ReadOnlyStringProperty accuracyTextProperty() { return accuracyText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty accuracyDetailProperty() { return accuracyDetail.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty evaluatingProperty() { return evaluating.getReadOnlyProperty(); }
    /** Last float test accuracy in [0, 1], NaN before the first evaluation. */
    public double accuracy() { return accuracy; }

    public void selectBuiltIn(String name) {
        // Picking the same built-in again is how a user gets the float model back after quantizing.
        if (!name.equals(session.modelNameProperty().get()) || session.quantized()) {
            session.loadBuiltIn(name, 0);
        }
    }

    public void openRun(Path file) {
        session.openRun(file);
    }

    /** A saved run or a float ONNX model, by the file's extension. */
    public void open(Path file) {
        session.openModel(file);
    }

    private void refresh() {
        Graph g = session.graph();
        if (g == null) {
            return;
        }
        session.runner().submit("Reading layers", false, p -> LayerTable.of(g), rows -> {
            if (session.graph() != g) {
                return; // a newer model replaced it while this ran
            }
            List<LayerRow> out = new java.util.ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                out.add(toRow(i + 1, rows.get(i)));
            }
            layers.setAll(out);
            long[] in = g.inputShape();
            summary.set(String.format(Locale.ROOT, "%,d parameters · input %s · %d layers", g.parameterCount(),
                    shape(in), rows.size()));
        });
        evaluate();
    }

    /** Float (FP32) accuracy of the current weights on the test split. */
    private void evaluate() {
        Graph g = session.graph();
        DatasetSplit d = session.data();
        if (g == null || d == null) {
            return;
        }
        int ticket = ++evaluationTicket;
        evaluating.set(true);
        accuracyText.set("…");
        accuracyDetail.set("evaluating on " + String.format(Locale.ROOT, "%,d", d.test().size()) + " test images");
        session.runner().submit("Evaluating FP32 accuracy", true, p -> {
            p.update(-1, "Evaluating FP32 accuracy on the test images…");
            Evaluation.Result r = Evaluation.evaluate(g, d.test(), 256, p.cancellation());
            p.checkCancelled();
            return r;
        }, r -> {
            if (ticket != evaluationTicket) {
                return;
            }
            accuracy = r.accuracy();
            accuracyText.set(String.format(Locale.ROOT, "%.2f %%", 100 * r.accuracy()));
            accuracyDetail.set(String.format(Locale.ROOT, "%,d of %,d test images correct · loss %.4f", r.correct(),
                    r.count(), r.loss()));
        }, () -> {
            if (ticket == evaluationTicket) {
                evaluating.set(false);
                if (Double.isNaN(accuracy) || accuracyText.get().equals("…")) {
                    accuracyText.set("—");
                    accuracyDetail.set("not evaluated");
                }
            }
        });
    }

    /** The table as CSV, for papers and spreadsheets. */
    public void exportCsv(Path target) {
        StringBuilder sb = new StringBuilder("index,name,op,output_shape,K,parameters,w_min,w_max,w_mean_abs\n");
        for (LayerRow r : layers) {
            sb.append(String.format(Locale.ROOT, "%d,%s,%s,%s,%d,%d,%s,%s,%s%n", r.index(), r.name(), r.op(),
                    r.outputShape(), r.dotProductLength(), r.parameters(), num(r.weightMin()), num(r.weightMax()),
                    num(r.weightMeanAbs())));
        }
        Path file = SessionViewModel.withExtension(target, ".csv");
        String csv = sb.toString();
        session.runner().submit("Exporting layer table", false, p -> {
            AtomicFiles.writeString(file, csv);
            return file;
        }, f -> session.runner().setOutcome("exported " + f.getFileName()));
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }

    private static LayerRow toRow(int index, LayerTable.Row r) {
        return new LayerRow(index, r.name(), r.op(), shape(dropBatch(r.outputShape())), r.dotProductLength(), r.parameters(),
                r.weightMin(), r.weightMax(), r.weightMeanAbs());
    }

    /** The engine reports shapes for a batch of one; the table shows the per-image shape. */
    private static long[] dropBatch(long[] s) {
        return s == null || s.length < 2 ? s : java.util.Arrays.copyOfRange(s, 1, s.length);
    }

    /** "16×5×5". */
    static String shape(long[] s) {
        if (s == null) {
            return "?";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length; i++) {
            if (sb.length() > 0) {
                sb.append('×');
            }
            sb.append(s[i]);
        }
        return sb.toString();
    }
}
