package org.a2q.engine.sweep;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.IdxDatasets;
import org.a2q.engine.io.AtomicFiles;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.Quantization;
import org.a2q.engine.train.Cancellation;

/**
 * Runs a sweep: writes every point's job file, runs the points that have no valid result (up to
 * {@code jobs} at once), then rebuilds results.csv, chart.png and report.md from all results. The
 * outputs are a pure function of the point results, so an interrupted or partly failed sweep is
 * resumed by running the same command again.
 */
public final class Sweep {
    public static final String CSV_FILE = "results.csv";
    public static final String CHART_FILE = "chart.png";
    public static final String REPORT_FILE = "report.md";
    public static final String POINTS_DIR = "points";

    /**
     * @param computed points trained by this call
     * @param skipped  points whose valid result was already on disk
     * @param failed   point name → reason, for points that stopped with an error
     */
    public record Outcome(List<PointResult> results, List<SweepTable.Row> rows, int computed, int skipped,
                          Map<String, String> failed, boolean cancelled, int planned) {
        public boolean complete() {
            return results.size() == planned;
        }
    }

    private Sweep() { }

    public static Path pointDir(Path sweepDir, SweepJob job) {
        return sweepDir.resolve(POINTS_DIR).resolve(job.pointName());
    }

    public static Outcome run(SweepSettings s, Cancellation cancel, Consumer<String> log) {
        checkFloatRun(s);
        SweepChart.prepare();
        List<SweepJob> jobs = s.pointJobs();
        List<PointResult> results = Collections.synchronizedList(new ArrayList<>());
        List<SweepJob> todo = new ArrayList<>();
        int skipped = 0;
        for (SweepJob j : jobs) {
            Path dir = pointDir(s.dir(), j);
            Optional<PointResult> done = PointRunner.completed(dir, j);
            if (done.isPresent()) {
                results.add(done.get());
                skipped++;
                continue;
            }
            // Rewriting an identical job file is harmless; a changed config replaces the old job and so
            // invalidates its result (whose job no longer matches).
            PointRunner.writeJob(dir, j);
            todo.add(j);
        }
        if (skipped > 0) {
            log.accept(skipped + " of " + jobs.size() + " point(s) already finished; skipping them");
        }
        Map<Path, DatasetSplit> dataCache = new ConcurrentHashMap<>();
        Function<Path, DatasetSplit> data = p -> dataCache.computeIfAbsent(p.toAbsolutePath().normalize(),
                IdxDatasets::loadSplit);
        Map<String, String> failed = new ConcurrentHashMap<>();
        AtomicInteger computed = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(s.jobs(), Math.max(1, todo.size())), r -> {
            Thread t = new Thread(r, "sweep-point");
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (SweepJob j : todo) {
                futures.add(pool.submit(() -> {
                    if (cancel.isCancelled()) {
                        return;
                    }
                    log.accept(String.format("point %d/%d: %s", started.incrementAndGet(), todo.size(), j.pointName()));
                    try {
                        PointResult r = PointRunner.run(pointDir(s.dir(), j).resolve(PointRunner.JOB_FILE), data, cancel);
                        results.add(r);
                        computed.incrementAndGet();
                        log.accept(String.format(java.util.Locale.ROOT, "%s: accuracy %.2f%%, exact width %d bits, %.1f s",
                                j.pointName(), 100 * r.accuracy(), r.exactWidthNeeded(), r.trainSeconds()));
                    } catch (PointRunner.Cancelled e) {
                        // not finished: leaves no result file, so the next run redoes it
                    } catch (RuntimeException e) {
                        failed.put(j.pointName(), String.valueOf(e.getMessage()));
                        log.accept(j.pointName() + " failed: " + e.getMessage());
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            cancel.cancel();
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new EngineException("sweep point crashed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdown();
        }
        List<PointResult> ordered = new ArrayList<>();
        for (SweepJob j : jobs) {
            results.stream().filter(r -> r.job().equals(j)).findFirst().ifPresent(ordered::add);
        }
        List<SweepTable.Row> rows = SweepTable.rows(ordered, s.accBits(), POINTS_DIR + "/");
        Outcome o = new Outcome(List.copyOf(ordered), rows, computed.get(), skipped, Map.copyOf(failed),
                cancel.isCancelled(), jobs.size());
        writeOutputs(s, o);
        return o;
    }

    /** results.csv, chart.png and report.md, each written atomically; report last since it refers to the others. */
    static void writeOutputs(SweepSettings s, Outcome o) {
        AtomicFiles.writeString(s.dir().resolve(CSV_FILE), SweepTable.csv(o.rows()));
        SweepChart.writePng(s.dir().resolve(CHART_FILE), o.results(), s.model() + ": accuracy vs accumulator width (W"
                + s.weightBits() + "A" + s.actBits() + ")");
        AtomicFiles.writeString(s.dir().resolve(REPORT_FILE), SweepReport.markdown(s, o));
    }

    /** Fails before any training when --from is not a float run of --model, instead of once per point. */
    static void checkFloatRun(SweepSettings s) {
        Path file = RunFile.resolve(s.from());
        if (!Files.isRegularFile(file)) {
            throw new EngineException(s.from() + ": no such run (expected a run directory with " + RunFile.MODEL_FILE
                    + " or a model file)");
        }
        Graph g = RunFile.load(file, Quantization::restore).graph();
        if (Quantization.specsOf(g).values().stream().anyMatch(sp -> sp.method() != QuantMethod.FP32)) {
            throw new EngineException(s.from() + " is already quantized; a sweep starts from a float run");
        }
        if (ModelTemplates.NAMES.contains(s.model())) {
            long want = ModelTemplates.create(s.model(), 0).parameterCount();
            if (want != g.parameterCount()) {
                throw new EngineException(s.from() + " has " + g.parameterCount() + " parameters but " + s.model()
                        + " has " + want + "; pass the --model the run was trained as");
            }
        }
    }
}
