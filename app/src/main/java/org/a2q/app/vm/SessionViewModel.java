package org.a2q.app.vm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
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
    private List<String> classNames = List.of();
    private Optimizer optimizer;

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
    public ReadOnlyObjectProperty<DatasetSplit> dataProperty() { return data.getReadOnlyProperty(); }
    public DatasetSplit data() { return data.get(); }
    public ReadOnlyStringProperty dataSourceProperty() { return dataSource.getReadOnlyProperty(); }
    /** Increases whenever the model's weights change (loaded, trained), so views refresh their numbers. */
    public ReadOnlyIntegerProperty revisionProperty() { return revision.getReadOnlyProperty(); }
    /** Epochs trained on the current model, oldest first. */
    public ObservableList<EpochEvent> history() { return history; }
    public List<String> classNames() { return classNames; }

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
            setGraph(g);
        });
    }

    /** Replaces the model, its history and optimizer state with those of a saved run. */
    public void openRun(Path file) {
        runner.submit("Opening " + file.getFileName(), false, p -> {
            ensureEngine(p);
            return RunFile.load(RunFile.resolve(file), null);
        }, run -> {
            optimizer = null;
            history.setAll(run.history());
            modelName.set("");
            modelSource.set(file.getFileName() + " (" + run.epochsDone() + " epoch" + (run.epochsDone() == 1 ? "" : "s")
                    + " trained)");
            setGraph(run.graph());
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
        runner.submit("Saving " + file.getFileName(), false, p -> {
            RunFile.save(file, g, opt, epochs, h, null);
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
