package org.a2q.app.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantReport;
import org.a2q.engine.train.LearningRateSchedule;
import org.a2q.engine.train.Optimizer;
import org.a2q.engine.train.TrainConfig;
import org.a2q.engine.train.TrainListener;
import org.a2q.engine.train.Trainer;

/**
 * The Train view's state: the settings a user edits, and the live curves of the running job.
 *
 * <p>The trainer runs on the engine worker and reports every step; those events go through a
 * {@link Coalescer} so the curves grow at most ten times a second whatever the step rate. The x
 * axis counts epochs across runs, so a second run continues the curves of the first.
 */
public final class TrainViewModel {
    /** A point of a curve: x in epochs (fractional within an epoch), y in the curve's unit. */
    public record Point(double x, double y) { }

    /** Weight of a new step in the smoothed curves: about the last 20 steps count. */
    static final double SMOOTHING = 0.05;
    static final long UI_INTERVAL_MS = 100;
    /**
     * At most this often the worker recomputes the quantization report between steps, so the
     * Budgets view follows training; the report walks every weight, so not on every step.
     */
    static final long REPORT_INTERVAL_MS = 500;

    private final SessionViewModel session;
    private final Executor uiExecutor;
    private final IntegerProperty epochs = new SimpleIntegerProperty(this, "epochs", 2);
    private final IntegerProperty batchSize = new SimpleIntegerProperty(this, "batchSize", 64);
    private final StringProperty learningRate = new SimpleStringProperty(this, "learningRate", "0.001");
    private final ObjectProperty<Optimizer.Kind> optimizer = new SimpleObjectProperty<>(this, "optimizer",
            Optimizer.Kind.ADAM);
    private final BooleanProperty quickRun = new SimpleBooleanProperty(this, "quickRun", false);
    private final IntegerProperty quickBatches = new SimpleIntegerProperty(this, "quickBatches", 50);

    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(this, "running");
    private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(this, "progress", 0);
    private final ReadOnlyStringWrapper progressText = new ReadOnlyStringWrapper(this, "progressText", "Not started");
    private final ReadOnlyStringWrapper resultText = new ReadOnlyStringWrapper(this, "resultText", "");

    private final ObservableList<Point> loss = FXCollections.observableArrayList();
    private final ObservableList<Point> smoothedLoss = FXCollections.observableArrayList();
    private final ObservableList<Point> smoothedBatchAccuracy = FXCollections.observableArrayList();
    private final ObservableList<Point> trainAccuracy = FXCollections.observableArrayList();
    private final ObservableList<Point> testAccuracy = FXCollections.observableArrayList();
    private final ObservableList<Point> imagesPerSecond = FXCollections.observableArrayList();

    private double emaLoss = Double.NaN;
    private double emaAcc = Double.NaN;
    private double emaSpeed = Double.NaN;
    private double epochOffset;

    public TrainViewModel(SessionViewModel session, Executor uiExecutor) {
        this.session = session;
        this.uiExecutor = uiExecutor;
        // A different model starts a new story: its curves must not continue the old model's.
        session.graphProperty().addListener((o, a, b) -> clearCurves());
    }

    public IntegerProperty epochsProperty() { return epochs; }
    public IntegerProperty batchSizeProperty() { return batchSize; }
    /** Kept as text so a half-typed value can be shown and explained instead of silently dropped. */
    public StringProperty learningRateProperty() { return learningRate; }
    public ObjectProperty<Optimizer.Kind> optimizerProperty() { return optimizer; }
    public BooleanProperty quickRunProperty() { return quickRun; }
    public IntegerProperty quickBatchesProperty() { return quickBatches; }
    public ReadOnlyBooleanProperty runningProperty() { return running.getReadOnlyProperty(); }
    public ReadOnlyDoubleProperty progressProperty() { return progress.getReadOnlyProperty(); }
    public ReadOnlyStringProperty progressTextProperty() { return progressText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty resultTextProperty() { return resultText.getReadOnlyProperty(); }
    public ObservableList<Point> loss() { return loss; }
    public ObservableList<Point> smoothedLoss() { return smoothedLoss; }
    public ObservableList<Point> smoothedBatchAccuracy() { return smoothedBatchAccuracy; }
    public ObservableList<Point> trainAccuracy() { return trainAccuracy; }
    public ObservableList<Point> testAccuracy() { return testAccuracy; }
    public ObservableList<Point> imagesPerSecond() { return imagesPerSecond; }

    /**
     * Checks the settings and queues a training run of the current model on the current data.
     * Problems the user can fix (bad learning rate, nothing loaded) go to the error sink.
     */
    public void start() {
        if (running.get()) {
            return;
        }
        Graph g = session.graph();
        DatasetSplit d = session.data();
        if (g == null || d == null) {
            session.errors().report("Cannot train yet", "The model or the data is still loading (or failed to load). "
                    + "Wait until the status bar says Ready, or open a model and a data folder first.");
            return;
        }
        TrainConfig cfg;
        try {
            cfg = config();
        } catch (EngineException e) {
            session.errors().report("Cannot start training", UserMessages.describe(e));
            return;
        }
        running.set(true);
        resultText.set("");
        progress.set(0);
        progressText.set("Starting…");
        epochOffset = session.history().size();
        List<TrainListener.EpochEvent> finished = new ArrayList<>();
        Coalescer<Object> events = new Coalescer<>(UI_INTERVAL_MS, uiExecutor, batch -> apply(batch, finished));
        Trainer trainer = new Trainer(g, cfg);
        trainer.addListener(new TrainListener() {
            @Override
            public void onStep(StepEvent e) {
                events.offer(e);
            }

            @Override
            public void onEpoch(EpochEvent e) {
                events.offer(e);
            }
        });
        String what = session.modelNameProperty().get().isEmpty() ? "model" : session.modelNameProperty().get();
        boolean quantized = session.quantized();
        session.runner().submit("Training " + what, true, p -> {
            trainer.addListener(new TrainListener() {
                private long lastReport = System.nanoTime();

                @Override
                public void onStep(StepEvent e) {
                    // On the worker, between steps: the weights are not changing while we read them.
                    if (quantized && System.nanoTime() - lastReport > REPORT_INTERVAL_MS * 1_000_000) {
                        List<QuantReport.LayerReport> r = QuantReport.of(g);
                        uiExecutor.execute(() -> session.publishReport(g, r));
                        lastReport = System.nanoTime();
                    }
                    p.update((double) e.globalStep() / e.totalSteps(), String.format(Locale.ROOT,
                            "Training %s: epoch %d/%d, batch %d/%d, ETA %s", what, e.epoch() + 1, cfg.epochs(),
                            e.step(), e.stepsPerEpoch(), duration(e.etaSeconds())));
                }
            });
            return trainer.fit(d.train(), d.test(), p.cancellation());
        }, null, () -> {
            events.flush();
            running.set(false);
            boolean complete = finished.size() == cfg.epochs();
            session.trainingFinished(trainer.optimizer(), finished);
            progressText.set(complete ? "Finished" : "Stopped after " + finished.size() + " complete epoch"
                    + (finished.size() == 1 ? "" : "s") + "; the weights are those of the last step");
            if (!finished.isEmpty()) {
                TrainListener.EpochEvent last = finished.get(finished.size() - 1);
                resultText.set(String.format(Locale.ROOT, "Test accuracy %.2f %% · train accuracy %.2f %% · %s per epoch",
                        100 * last.testAccuracy(), 100 * last.trainAccuracy(), duration(last.seconds())));
            }
        });
    }

    public void cancel() {
        if (running.get()) {
            session.runner().cancelCurrent();
        }
    }

    /** The engine config from the edited settings; throws EngineException with a user-facing message. */
    TrainConfig config() {
        double lr;
        String text = learningRate.get() == null ? "" : learningRate.get().trim();
        try {
            lr = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new EngineException("learning rate '" + text + "' is not a number; enter a positive number such as "
                    + "0.001 (Adam) or 0.05 (SGD)");
        }
        if (!(lr > 0) || lr > 10 || !Double.isFinite(lr)) {
            throw new EngineException("learning rate " + text + " is out of range; it must be above 0 and at most 10 "
                    + "(typical: 0.001 for Adam, 0.05 for SGD)");
        }
        TrainConfig cfg = TrainConfig.defaults(epochs.get())
                .withBatchSize(batchSize.get())
                .withSchedule(LearningRateSchedule.cosine(lr))
                .withOptimizer(optimizer.get(), 0.9, 0.0);
        return quickRun.get() ? cfg.withMaxStepsPerEpoch(Math.max(1, quickBatches.get())) : cfg;
    }

    private void apply(List<Object> batch, List<TrainListener.EpochEvent> finished) {
        List<Point> l = new ArrayList<>();
        List<Point> sl = new ArrayList<>();
        List<Point> sa = new ArrayList<>();
        List<Point> sp = new ArrayList<>();
        TrainListener.StepEvent lastStep = null;
        for (Object o : batch) {
            if (o instanceof TrainListener.StepEvent e) {
                double x = epochOffset + e.epoch() + (double) e.step() / e.stepsPerEpoch();
                emaLoss = ema(emaLoss, e.loss());
                emaAcc = ema(emaAcc, e.batchAccuracy());
                emaSpeed = ema(emaSpeed, e.imagesPerSecond());
                l.add(new Point(x, e.loss()));
                sl.add(new Point(x, emaLoss));
                sa.add(new Point(x, 100 * emaAcc));
                sp.add(new Point(x, emaSpeed));
                lastStep = e;
            } else if (o instanceof TrainListener.EpochEvent e) {
                finished.add(e);
                double x = epochOffset + finished.size();
                trainAccuracy.add(new Point(x, 100 * e.trainAccuracy()));
                if (!Double.isNaN(e.testAccuracy())) {
                    testAccuracy.add(new Point(x, 100 * e.testAccuracy()));
                }
            }
        }
        // One addAll per curve and tick: one change event, so a chart redraws once per tick.
        loss.addAll(l);
        smoothedLoss.addAll(sl);
        smoothedBatchAccuracy.addAll(sa);
        imagesPerSecond.addAll(sp);
        if (lastStep != null) {
            progress.set((double) lastStep.globalStep() / lastStep.totalSteps());
            progressText.set(String.format(Locale.ROOT, "Epoch %d of %d · batch %d of %d · %,.0f images/s · ETA %s",
                    lastStep.epoch() + 1, epochs.get(), lastStep.step(), lastStep.stepsPerEpoch(), emaSpeed,
                    duration(lastStep.etaSeconds())));
        }
    }

    private void clearCurves() {
        for (ObservableList<Point> c : List.of(loss, smoothedLoss, smoothedBatchAccuracy, trainAccuracy, testAccuracy,
                imagesPerSecond)) {
            c.clear();
        }
        emaLoss = Double.NaN;
        emaAcc = Double.NaN;
        emaSpeed = Double.NaN;
        progress.set(0);
        progressText.set("Not started");
        resultText.set("");
    }

    private static double ema(double prev, double v) {
        return Double.isNaN(prev) ? v : prev + SMOOTHING * (v - prev);
    }

    /** "1:05" or "1:02:05"; "—" while unknown. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "—";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
