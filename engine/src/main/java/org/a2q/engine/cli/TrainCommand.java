package org.a2q.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.Quantization;
import org.a2q.engine.data.IdxDatasets;
import org.a2q.engine.io.AtomicFiles;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.train.Cancellation;
import org.a2q.engine.train.LearningRateSchedule;
import org.a2q.engine.train.Optimizer;
import org.a2q.engine.train.TrainConfig;
import org.a2q.engine.train.TrainListener;
import org.a2q.engine.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "train", description = "Train a model; writes a checkpoint after every epoch.")
final class TrainCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin QuantOptions quant;
    @Spec CommandSpec spec;

    @Option(names = "--model", description = "Built-in model (mlp, lenet, resnet) or a run directory / model file.",
            defaultValue = "lenet")
    String model;

    @Option(names = "--from", description = "Start from this run directory or model file (e.g. a float model to quantize).")
    Path from;

    @Option(names = "--data", description = "Directory with IDX files (default: the bundled Fashion-MNIST subset).")
    Path data;

    @Option(names = "--epochs", defaultValue = "2") int epochs;
    @Option(names = "--batch", defaultValue = "64") int batch;
    @Option(names = "--lr", description = "Learning rate (default 1e-3 for adam, 0.05 for sgd).") Double lr;
    @Option(names = "--optimizer", defaultValue = "adam", description = "adam or sgd.") String optimizer;
    @Option(names = "--momentum", defaultValue = "0.9") double momentum;
    @Option(names = "--weight-decay", defaultValue = "0") double weightDecay;
    @Option(names = "--schedule", defaultValue = "cosine", description = "cosine, step or constant.") String schedule;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--steps-per-epoch", defaultValue = "0", description = "Stop each epoch after N batches (0: whole epoch).")
    int stepsPerEpoch;
    @Option(names = "--out", description = "Run directory for the checkpoint and metrics.") Path out;

    @Override
    public Integer call() {
        common.apply();
        PrintWriter w = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // The model first: a wrong model name should not be reported as missing data.
        Graph graph = from != null ? ModelSource.load(from).graph() : ModelSource.fresh(model, seed);
        DatasetSplit split = IdxDatasets.loadSplit(data != null ? data : CommonOptions.defaultData());
        QuantConfig qcfg = null;
        if (quant.requested()) {
            boolean already = Quantization.specsOf(graph).values().stream().anyMatch(s -> s.method() != QuantMethod.FP32);
            if (already) {
                throw new EngineException("the model from " + from + " is already quantized; train it without --method "
                        + "to continue, or start from its float model");
            }
            qcfg = quant.config();
            graph = Quantization.apply(graph, qcfg, split.train(), quant.calibrationBatches);
        }
        final Graph g = graph;
        final Map<String, Object> sections = Quantization.specsOf(g).values().stream().anyMatch(s -> s.method() != QuantMethod.FP32)
                ? Map.of(Quantization.SECTION, Quantization.section(g, qcfg)) : null;
        TrainConfig cfg = config();
        w.printf(Locale.ROOT, "model %s (%,d parameters), data %s: %,d train / %,d test images%n", model,
                graph.parameterCount(), split.train().name(), split.train().size(), split.test().size());
        Trainer trainer = new Trainer(graph, cfg);
        trainer.addListener(new ProgressBar(err, System.console() != null));
        if (out != null) {
            Path file = out.resolve(RunFile.MODEL_FILE);
            trainer.addListener(new TrainListener() {
                @Override
                public void onEpoch(EpochEvent e) {
                    RunFile.save(file, g, trainer.optimizer(), trainer.epochsDone(), trainer.history(), sections);
                    writeMetrics(out.resolve("metrics.csv"), trainer.history());
                }
            });
        }
        List<TrainListener.EpochEvent> h = trainer.fit(split.train(), split.test(), Cancellation.none());
        if (!h.isEmpty()) {
            TrainListener.EpochEvent last = h.get(h.size() - 1);
            w.printf(Locale.ROOT, "test accuracy %.2f%% after %d epoch(s)%n", last.testAccuracy() * 100, h.size());
        }
        if (out != null) {
            w.println("saved " + out.resolve(RunFile.MODEL_FILE));
        }
        return 0;
    }

    TrainConfig config() {
        Optimizer.Kind kind = switch (optimizer.toLowerCase(Locale.ROOT)) {
            case "adam" -> Optimizer.Kind.ADAM;
            case "sgd" -> Optimizer.Kind.SGD;
            default -> throw new org.a2q.engine.EngineException("--optimizer must be adam or sgd, got " + optimizer);
        };
        double rate = lr != null ? lr : (kind == Optimizer.Kind.ADAM ? 1e-3 : 0.05);
        LearningRateSchedule s = switch (schedule.toLowerCase(Locale.ROOT)) {
            case "cosine" -> LearningRateSchedule.cosine(rate);
            case "constant" -> LearningRateSchedule.constant(rate);
            case "step" -> LearningRateSchedule.step(rate, Math.max(1, epochs / 3), 0.1);
            default -> throw new org.a2q.engine.EngineException("--schedule must be cosine, step or constant, got " + schedule);
        };
        return new TrainConfig(epochs, batch, kind, s, momentum, weightDecay, seed, stepsPerEpoch, 1);
    }

    static void writeMetrics(Path file, List<TrainListener.EpochEvent> history) {
        StringBuilder sb = new StringBuilder("epoch,train_loss,train_accuracy,test_accuracy,images_per_second,seconds\n");
        for (TrainListener.EpochEvent e : history) {
            sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.1f,%.3f%n", e.epoch() + 1, e.trainLoss(),
                    e.trainAccuracy(), e.testAccuracy(), e.imagesPerSecond(), e.seconds()));
        }
        AtomicFiles.writeString(file, sb.toString());
    }
}
