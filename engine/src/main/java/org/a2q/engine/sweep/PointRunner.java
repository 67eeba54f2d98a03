package org.a2q.engine.sweep;

import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.hw.OverflowTally;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.io.AtomicFiles;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.QuantReport;
import org.a2q.engine.quant.Quantization;
import org.a2q.engine.train.Cancellation;
import org.a2q.engine.train.LearningRateSchedule;
import org.a2q.engine.train.Optimizer;
import org.a2q.engine.train.TrainConfig;
import org.a2q.engine.train.TrainListener;
import org.a2q.engine.train.Trainer;

/**
 * Runs one sweep point: job.json in, model.a2q and result.json out, all in the job's directory.
 * result.json is written last and atomically, so its presence (validated against job.json) is the
 * one definition of "finished": a point killed at any moment is simply run again.
 */
public final class PointRunner {
    public static final String JOB_FILE = "job.json";
    public static final String RESULT_FILE = "result.json";

    static final ObjectMapper JSON = JsonMapper.builder()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** Thrown when a point stops because of a cancel; nothing of it counts as finished. */
    public static final class Cancelled extends RuntimeException {
        Cancelled(String point) {
            super(point + " cancelled");
        }
    }

    private PointRunner() { }

    public static void writeJob(Path pointDir, SweepJob job) {
        AtomicFiles.write(pointDir.resolve(JOB_FILE), out -> JSON.writeValue(nonClosing(out), job));
    }

    public static SweepJob readJob(Path jobFile) {
        try {
            SweepJob j = JSON.readValue(Files.readAllBytes(jobFile), SweepJob.class);
            if (j == null || j.format() != SweepJob.FORMAT) {
                throw new EngineException(jobFile + ": not a sweep job of format " + SweepJob.FORMAT);
            }
            return j;
        } catch (NoSuchFileException e) {
            throw new EngineException(jobFile + ": no such job file");
        } catch (IOException e) {
            throw new EngineException(jobFile + ": not a valid sweep job (" + firstLine(e) + ")");
        }
    }

    /**
     * The point's result if it is finished for exactly this job: the file parses, has the current
     * format, describes the same job and its model file exists. Anything else (missing, truncated,
     * edited, from another config) means "run it again".
     */
    public static Optional<PointResult> completed(Path pointDir, SweepJob job) {
        Path f = pointDir.resolve(RESULT_FILE);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            PointResult r = JSON.readValue(Files.readAllBytes(f), PointResult.class);
            boolean ok = r != null && r.format() == SweepJob.FORMAT && job.equals(r.job()) && r.hiddenLayers() != null
                    && r.run() != null && Files.isRegularFile(pointDir.resolve(r.run())) && r.wrap() != null
                    && Double.isFinite(r.accuracy()) && r.accuracy() >= 0 && r.accuracy() <= 1;
            return ok ? Optional.of(r) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Runs the job in jobFile's directory (no skipping; see {@link #completed}). */
    public static PointResult run(Path jobFile, Function<Path, DatasetSplit> data, Cancellation cancel) {
        SweepJob job = readJob(jobFile);
        Path dir = jobFile.toAbsolutePath().getParent();
        // A stale result must not survive a rerun that is cancelled half-way.
        try {
            Files.deleteIfExists(dir.resolve(RESULT_FILE));
        } catch (IOException e) {
            throw new EngineException("could not remove the old " + dir.resolve(RESULT_FILE) + ": " + e.getMessage(), e);
        }
        DatasetSplit split = data.apply(Path.of(job.data()));
        RunFile.Run floatRun = RunFile.load(RunFile.resolve(Path.of(job.from())), Quantization::restore);
        Graph g0 = floatRun.graph();
        if (Quantization.specsOf(g0).values().stream().anyMatch(s -> s.method() != QuantMethod.FP32)) {
            throw new EngineException(job.from() + " is already quantized; a sweep starts from a float run");
        }
        QuantConfig qcfg = job.quantConfig();
        Graph g = Quantization.apply(g0, qcfg, split.train(), job.calibrationBatches());
        TrainConfig tc = new TrainConfig(job.epochs(), job.batch(), Optimizer.Kind.ADAM,
                LearningRateSchedule.cosine(job.lr()), 0.9, 0.0, job.seed(), job.stepsPerEpoch(), 1);
        Trainer trainer = new Trainer(g, tc);
        List<TrainListener.EpochEvent> h = trainer.fit(split.train(), split.test(), cancel);
        if (cancel.isCancelled() || h.size() < job.epochs()) {
            throw new Cancelled(job.pointName());
        }
        double acc = h.get(h.size() - 1).testAccuracy();
        if (!Double.isFinite(acc)) {
            throw new EngineException(job.pointName() + ": the test set gave no accuracy");
        }
        double seconds = h.stream().mapToDouble(TrainListener.EpochEvent::seconds).sum();
        String runName = RunFile.MODEL_FILE;
        RunFile.save(dir.resolve(runName), g, trainer.optimizer(), trainer.epochsDone(), trainer.history(),
                Map.of(Quantization.SECTION, Quantization.section(g, qcfg)));
        List<PointResult.HiddenLayer> hidden = hiddenLayers(g);
        PointResult r = new PointResult(SweepJob.FORMAT, job, acc, seconds, runName, hidden,
                wrapChecks(g, job, hidden, split, cancel));
        if (cancel.isCancelled()) {
            throw new Cancelled(job.pointName());
        }
        AtomicFiles.write(dir.resolve(RESULT_FILE), out -> JSON.writeValue(nonClosing(out), r));
        return r;
    }

    /** Test images each wrap check runs (the first ones of the test set), to keep a point's cost small. */
    public static final int WRAP_CHECK_IMAGES = 1000;
    /** The narrowest P simulated for unconstrained QAT (narrower registers are not a realistic target). */
    public static final int WRAP_CHECK_MIN_BITS = 8;

    /**
     * Measured overflows: a constrained point at its own P; a QAT point at every P from
     * {@value #WRAP_CHECK_MIN_BITS} up to the exact width its weights need (at and above that width
     * no input can overflow, which the exact worst case proves), so any swept P can be looked up.
     */
    static List<PointResult.WrapCheck> wrapChecks(Graph g, SweepJob job, List<PointResult.HiddenLayer> hidden,
                                                  DatasetSplit split, Cancellation cancel) {
        List<Integer> ps = new ArrayList<>();
        if (job.accBits() != null) {
            ps.add(job.accBits());
        } else {
            int needed = hidden.stream().mapToInt(PointResult.HiddenLayer::exactWidth).max().orElse(WRAP_CHECK_MIN_BITS);
            for (int p = WRAP_CHECK_MIN_BITS; p <= Math.min(needed, 32); p++) {
                ps.add(p);
            }
        }
        List<PointResult.WrapCheck> out = new ArrayList<>();
        for (int p : ps) {
            IntegerModel m = IntegerModel.compile(g, AccumulatorPolicy.hidden(p));
            IntegerModel.Result res = m.evaluate(split.test(), WRAP_CHECK_IMAGES, AccumulatorMode.WRAP, true, false, 250, cancel);
            if (cancel.isCancelled()) {
                throw new Cancelled(job.pointName());
            }
            long wrong = res.tallies().values().stream().mapToLong(OverflowTally::totalMismatches).sum();
            out.add(new PointResult.WrapCheck(p, res.images(), wrong, res.accuracy()));
        }
        return out;
    }

    /** The hidden conv/linear layers (all but first and last, which stay 8-bit and unconstrained) as measured now. */
    static List<PointResult.HiddenLayer> hiddenLayers(Graph g) {
        List<String> layers = QuantConfig.weightLayers(g);
        List<PointResult.HiddenLayer> out = new ArrayList<>();
        for (QuantReport.LayerReport l : QuantReport.of(g)) {
            int i = layers.indexOf(l.name());
            if (i <= 0 || i == layers.size() - 1) {
                continue;
            }
            int[] widths = new int[l.channels().size()];
            long[] l1 = new long[widths.length];
            long zeros = 0;
            for (int c = 0; c < widths.length; c++) {
                QuantReport.Channel ch = l.channels().get(c);
                widths[c] = ch.widths().exact();
                l1[c] = ch.l1();
                zeros += Math.round(ch.sparsity() * l.dotProductLength());
            }
            out.add(new PointResult.HiddenLayer(l.name(), l.method().label(), l.accBits(), l.inputBits(), l.inputSigned(),
                    l.dotProductLength() * widths.length, zeros, l.meanUtilisation(), l.widths().exact(), widths, l1));
        }
        if (out.isEmpty()) {
            throw new EngineException("the model has no quantized hidden conv/linear layer to sweep");
        }
        return out;
    }

    private static java.io.OutputStream nonClosing(java.io.OutputStream out) {
        // Jackson closes the stream it writes to; AtomicFiles must still flush and sync it afterwards.
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
    }

    private static String firstLine(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse("");
    }
}
