package org.a2q.app.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.a2q.engine.EngineRuntime;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.IdxDatasets;
import org.a2q.engine.io.AtomicFiles;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.io.onnx.OnnxImporter;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.QuantReport;
import org.a2q.engine.quant.QuantSpec;
import org.a2q.engine.quant.Quantization;
import org.a2q.engine.train.Optimizer;
import org.a2q.engine.train.TrainListener.EpochEvent;

/**
 * What the user is working on: one model, one data set, and the training history of that model.
 * The other view-models read it and call it; only this class replaces the model or the data,
 * always on the engine worker, and publishes the result on the JavaFX thread.
 */
public final class SessionViewModel {
    /** File extension of saved runs. */
    public static final String RUN_EXTENSION = ".a2q";

    private final TaskRunner runner;
    private final ErrorSink errors;
    private final ReadOnlyObjectWrapper<Graph> graph = new ReadOnlyObjectWrapper<>(this, "graph");
    private final ReadOnlyStringWrapper modelName = new ReadOnlyStringWrapper(this, "modelName", "");
    private final ReadOnlyStringWrapper modelSource = new ReadOnlyStringWrapper(this, "modelSource", "no model yet");
    private final ReadOnlyObjectWrapper<DatasetSplit> data = new ReadOnlyObjectWrapper<>(this, "data");
    private final ReadOnlyStringWrapper dataSource = new ReadOnlyStringWrapper(this, "dataSource", "no data yet");
    private final ReadOnlyIntegerWrapper revision = new ReadOnlyIntegerWrapper(this, "revision");
    private final ObservableList<EpochEvent> history = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<QuantConfig> quantConfig = new ReadOnlyObjectWrapper<>(this, "quantConfig");
    private final ReadOnlyStringWrapper quantSummary = new ReadOnlyStringWrapper(this, "quantSummary", "float (fp32)");
    private final ReadOnlyObjectWrapper<List<QuantReport.LayerReport>> reports =
            new ReadOnlyObjectWrapper<>(this, "reports", List.of());
    private List<String> classNames = List.of();
    private Optimizer optimizer;
    private Consumer<Path> onModelOpened = f -> { };

    public SessionViewModel(TaskRunner runner, ErrorSink errors) {
        this.runner = runner;
        this.errors = errors;
    }

    public TaskRunner runner() { return runner; }
    public ErrorSink errors() { return errors; }

    public ReadOnlyObjectProperty<Graph> graphProperty() { return graph.getReadOnlyProperty(); }
    public Graph graph() { return graph.get(); }
    /** Built-in template name ("lenet"), or empty for a model opened from a file. */
    public ReadOnlyStringProperty modelNameProperty() { return modelName.getReadOnlyProperty(); }
    /** One line saying where the model came from, for headers. */
    public ReadOnlyStringProperty modelSourceProperty() { return modelSource.getReadOnlyProperty(); }
    /**
     * Called on the JavaFX thread with the path of each model or run that opened successfully (not
     * for ones that failed), so the recent-files list never offers a file that could not be read.
     */
    public void setOnModelOpened(Consumer<Path> listener) {
        onModelOpened = listener == null ? f -> { } : listener;
    }
    public ReadOnlyObjectProperty<DatasetSplit> dataProperty() { return data.getReadOnlyProperty(); }
    public DatasetSplit data() { return data.get(); }
    public ReadOnlyStringProperty dataSourceProperty() { return dataSource.getReadOnlyProperty(); }
    /** Increases whenever the model's weights change (loaded, trained), so views refresh their numbers. */
    public ReadOnlyIntegerProperty revisionProperty() { return revision.getReadOnlyProperty(); }
    /** Epochs trained on the current model, oldest first. */
    public ObservableList<EpochEvent> history() { return history; }
    public List<String> classNames() { return classNames; }
    /** The settings the current model was quantized with, or null while it is a float model. */
    public ReadOnlyObjectProperty<QuantConfig> quantConfigProperty() { return quantConfig.getReadOnlyProperty(); }
    public boolean quantized() { return quantConfig.get() != null; }
    /** "a2q+ W4A4 P12" or "float (fp32)", for headers. */
    public ReadOnlyStringProperty quantSummaryProperty() { return quantSummary.getReadOnlyProperty(); }
    /**
     * The engine's per-layer report of the current quantized model (empty for a float model).
     * Refreshed after quantizing, loading, training and, throttled, during training.
     */
    public ReadOnlyObjectProperty<List<QuantReport.LayerReport>> reportsProperty() {
        return reports.getReadOnlyProperty();
    }

    /** Replaces the model with a freshly initialised built-in architecture. */
    public void loadBuiltIn(String name, long seed) {
        runner.submit("Building " + name, false, p -> {
            ensureEngine(p);
            p.update(-1, "Building " + name + "…");
            return ModelTemplates.create(name, seed);
        }, g -> {
            optimizer = null;
            history.clear();
            modelName.set(name);
            modelSource.set(name + " (built-in, seed " + seed + ", untrained)");
            setQuantization(null, List.of());
            setGraph(g);
        });
    }

    /** Replaces the model, its history and optimizer state with those of a saved run. */
    public void openRun(Path file) {
        runner.submit("Opening " + file.getFileName(), false, p -> {
            ensureEngine(p);
            RunFile.Run r = RunFile.load(RunFile.resolve(file), Quantization::restore);
            QuantConfig cfg = configOf(r.graph());
            return new Object[] {r, cfg, cfg == null ? List.<QuantReport.LayerReport>of() : QuantReport.of(r.graph())};
        }, loaded -> {
            RunFile.Run run = (RunFile.Run) loaded[0];
            @SuppressWarnings("unchecked")
            List<QuantReport.LayerReport> rep = (List<QuantReport.LayerReport>) loaded[2];
            setQuantization((QuantConfig) loaded[1], rep);
            optimizer = null;
            history.setAll(run.history());
            modelName.set("");
            modelSource.set(file.getFileName() + " (" + run.epochsDone() + " epoch" + (run.epochsDone() == 1 ? "" : "s")
                    + " trained)");
            setGraph(run.graph());
            onModelOpened.accept(file);
        });
    }

    /** Opens a saved run (.a2q, or a run directory) or a float ONNX model, by what the path is. */
    public void openModel(Path file) {
        if (file.getFileName() != null && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) {
            openOnnx(file);
        } else {
            openRun(file);
        }
    }

    /** Replaces the model with a float ONNX model; it starts untrained here, with no history. */
    public void openOnnx(Path file) {
        runner.submit("Opening " + file.getFileName(), false, p -> {
            ensureEngine(p);
            return OnnxImporter.read(file);
        }, r -> {
            optimizer = null;
            history.clear();
            modelName.set("");
            modelSource.set(file.getFileName() + " (ONNX, opset " + r.opset() + ", float)");
            setQuantization(null, List.of());
            setGraph(r.graph());
            onModelOpened.accept(file);
            if (!r.notes().isEmpty()) {
                runner.setOutcome("opened " + file.getFileName() + ": " + String.join("; ", r.notes()));
            }
        });
    }

    /** Loads the bundled Fashion-MNIST subset. */
    public void loadSampleData() {
        Path dir = AppPaths.sampleData();
        loadData(dir, "Bundled sample: Fashion-MNIST subset");
    }

    /** Loads a folder of IDX files in the MNIST naming (train-*, t10k-*, raw or .gz). */
    public void loadDataFolder(Path dir) {
        loadData(dir, dir.getFileName() == null ? dir.toString() : dir.getFileName().toString());
    }

    private void loadData(Path dir, String label) {
        runner.submit("Loading data", false, p -> {
            p.update(-1, "Reading " + label + "…");
            return IdxDatasets.loadSplit(dir);
        }, split -> {
            classNames = namesFor(dir, split.train().numClasses());
            dataSource.set(String.format(Locale.ROOT, "%s — %,d training / %,d test images", label,
                    split.train().size(), split.test().size()));
            data.set(split);
        });
    }

    /** Saves model, optimizer state and history as one run file; adds the extension if missing. */
    public void saveRun(Path target) {
        Graph g = graph.get();
        if (g == null) {
            errors.report("Nothing to save", "No model is loaded yet. Pick a built-in model or open a saved run first.");
            return;
        }
        Path file = withExtension(target, RUN_EXTENSION);
        List<EpochEvent> h = new ArrayList<>(history);
        Optimizer opt = optimizer;
        int epochs = h.size();
        QuantConfig qc = quantConfig.get();
        runner.submit("Saving " + file.getFileName(), false, p -> {
            // A quantized run must name its quantizers, or loading it would rebuild a float model.
            RunFile.save(file, g, opt, epochs, h, qc == null ? null : Map.of(Quantization.SECTION, Quantization.section(g, qc)));
            return file;
        }, f -> runner.setOutcome("saved " + f.getFileName()));
    }

    /** Writes the epoch history as CSV (one row per epoch) for spreadsheets and reports. */
    public void exportMetrics(Path target) {
        Path file = withExtension(target, ".csv");
        StringBuilder sb = new StringBuilder("epoch,train_loss,train_accuracy,test_accuracy,images_per_second,seconds\n");
        for (int i = 0; i < history.size(); i++) {
            EpochEvent e = history.get(i);
            sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.1f,%.3f%n", i + 1, e.trainLoss(),
                    e.trainAccuracy(), e.testAccuracy(), e.imagesPerSecond(), e.seconds()));
        }
        String csv = sb.toString();
        runner.submit("Exporting metrics", false, p -> {
            AtomicFiles.writeString(file, csv);
            return file;
        }, f -> runner.setOutcome("exported " + f.getFileName()));
    }

    /** Called by training on the JavaFX thread when a run ends; the weights have changed. */
    void trainingFinished(Optimizer opt, List<EpochEvent> newEpochs) {
        optimizer = opt;
        history.addAll(newEpochs);
        if (!modelName.get().isEmpty()) {
            modelSource.set(modelName.get() + " (built-in, " + history.size() + " epoch"
                    + (history.size() == 1 ? "" : "s") + " trained)");
        }
        revision.set(revision.get() + 1);
        refreshReport();
    }

    /**
     * Quantizes the current float model with the given settings (activation scales calibrated on
     * a few training batches) and makes the result the session's model, so Train runs QAT on it.
     */
    public void applyQuantization(QuantConfig cfg) {
        Graph g = graph.get();
        DatasetSplit d = data.get();
        if (g == null) {
            errors.report("Nothing to quantize", "No model is loaded yet. Pick a built-in model or open a saved run first.");
            return;
        }
        if (quantized()) {
            errors.report("The model is already quantized", "It was quantized as " + quantSummary.get() + ". "
                    + "Quantizing twice would stack quantizers; reload the float model (Model view) and apply again.");
            return;
        }
        runner.submit("Quantizing", false, p -> {
            p.update(-1, "Quantizing the model (" + describe(cfg) + ") and calibrating activations…");
            Graph q = Quantization.apply(g, cfg, d == null ? null : d.train(), CALIBRATION_BATCHES);
            return new Object[] {q, QuantReport.of(q)};
        }, r -> {
            optimizer = null; // its moments belong to the float parameter set
            @SuppressWarnings("unchecked")
            List<QuantReport.LayerReport> rep = (List<QuantReport.LayerReport>) r[1];
            setQuantization(cfg, rep);
            if (!modelName.get().isEmpty()) {
                modelSource.set(modelName.get() + " (built-in, " + history.size() + " epoch"
                        + (history.size() == 1 ? "" : "s") + " trained, quantized " + describe(cfg) + ")");
            }
            setGraph((Graph) r[0]);
            runner.setOutcome("quantized as " + describe(cfg));
        });
    }

    /** Recomputes the per-layer report on the worker (after anything that changed the weights). */
    public void refreshReport() {
        Graph g = graph.get();
        if (g == null || !quantized()) {
            return;
        }
        runner.submit("Reporting", false, p -> QuantReport.of(g), r -> {
            if (graph.get() == g) {
                reports.set(r);
            }
        });
    }

    /** Called on the JavaFX thread with a report computed on the worker during training. */
    void publishReport(Graph of, List<QuantReport.LayerReport> r) {
        if (graph.get() == of && quantized()) {
            reports.set(r);
        }
    }

    /** Number of training batches used to calibrate the activation quantizers' scales. */
    static final int CALIBRATION_BATCHES = 4;

    /** "a2q+ W4A4 P12". */
    public static String describe(QuantConfig c) {
        return c == null || c.method() == QuantMethod.FP32 ? "float (fp32)"
                : c.method().label() + " W" + c.weightBits() + "A" + c.actBits()
                + (c.method().constrained() ? " P" + c.accBits() : "");
    }

    /**
     * An independent copy of a model (layers, parameters, quantizers), for previews that must not
     * touch the session's model. Goes through the run format, which already knows how to rebuild
     * every layer and quantizer.
     */
    public static Graph copyOf(Graph g, QuantConfig cfg) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("a2q-copy", RUN_EXTENSION);
            RunFile.save(tmp, g, null, 0, List.of(), cfg == null ? null
                    : Map.of(Quantization.SECTION, Quantization.section(g, cfg)));
            return RunFile.load(tmp, Quantization::restore).graph();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    /** Rebuilds a config for a loaded run from its layers, so the app knows it is quantized. */
    private static QuantConfig configOf(Graph g) {
        Map<String, QuantSpec> specs = Quantization.specsOf(g);
        List<String> names = new ArrayList<>(specs.keySet());
        String hidden = null;
        // The model-wide setting is what the hidden layers carry; the edges are 8-bit QAT by design.
        for (int i = 0; i < names.size(); i++) {
            boolean edge = i == 0 || i == names.size() - 1;
            if (specs.get(names.get(i)).method() != QuantMethod.FP32 && (hidden == null || !edge)) {
                hidden = names.get(i);
                if (!edge) {
                    break;
                }
            }
        }
        if (hidden == null) {
            return null;
        }
        QuantSpec spec = specs.get(hidden);
        Quantization.InputFormat f = Quantization.inputFormat(g, hidden);
        return QuantConfig.of(spec.method(), spec.weightBits(), f == null ? 8 : f.bits(), spec.accumulatorBits());
    }

    private void setQuantization(QuantConfig cfg, List<QuantReport.LayerReport> rep) {
        quantConfig.set(cfg);
        quantSummary.set(describe(cfg));
        reports.set(rep);
    }

    private void setGraph(Graph g) {
        graph.set(g);
        revision.set(revision.get() + 1);
    }

    /** Configures ND4J's threads once, before the first engine call, as the CLI does. */
    private static void ensureEngine(TaskRunner.Progress p) {
        if (EngineRuntime.threads() == 0) {
            p.update(-1, "Starting the numeric engine…");
            EngineRuntime.configure(0);
        }
    }

    /** Class names: Fashion-MNIST's when the folder is a Fashion-MNIST copy, else "class k". */
    static List<String> namesFor(Path dir, int numClasses) {
        String name = dir.toAbsolutePath().normalize().toString().toLowerCase(Locale.ROOT);
        if (numClasses == IdxDatasets.FASHION_MNIST_CLASSES.size() && name.contains("fashion")) {
            return IdxDatasets.FASHION_MNIST_CLASSES;
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < numClasses; i++) {
            names.add("class " + i);
        }
        return names;
    }

    static Path withExtension(Path p, String ext) {
        String n = p.getFileName().toString();
        return n.toLowerCase(Locale.ROOT).endsWith(ext) ? p : p.resolveSibling(n + ext);
    }
}
