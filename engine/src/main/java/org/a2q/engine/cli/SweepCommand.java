package org.a2q.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.IdxDatasets;
import org.a2q.engine.sweep.PointResult;
import org.a2q.engine.sweep.PointRunner;
import org.a2q.engine.sweep.Sweep;
import org.a2q.engine.sweep.SweepJob;
import org.a2q.engine.sweep.SweepSettings;
import org.a2q.engine.train.Cancellation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "sweep", subcommands = SweepCommand.RunPoint.class, mixinStandardHelpOptions = true,
        description = {"Train one quantized point per (method, accumulator width P) from a float run; writes "
                + "results.csv, chart.png and report.md. Rerunning continues an interrupted sweep."})
final class SweepCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Option(names = "--model", defaultValue = "lenet", description = "The model the float run was trained as (default ${DEFAULT-VALUE}).")
    String model;
    @Option(names = "--from", description = "The float run (directory or model file) every point starts from.")
    Path from;
    @Option(names = "--data", description = "Directory with IDX files (default: the bundled Fashion-MNIST subset).")
    Path data;
    @Option(names = "--methods", defaultValue = "qat,a2q,a2q+", description = "Comma list of qat, a2q, a2q+ (default ${DEFAULT-VALUE}).")
    String methods;
    @Option(names = "--acc-bits", defaultValue = "10..16", description = "P values: a range 10..16, a list 10,12,14 or both.")
    String accBits;
    @Option(names = "--weight-bits", defaultValue = "4") int weightBits;
    @Option(names = "--act-bits", defaultValue = "4") int actBits;
    @Option(names = "--init", defaultValue = "ep", description = "ep or naive.") String init;
    @Option(names = "--epochs", defaultValue = "1") int epochs;
    @Option(names = "--steps-per-epoch", defaultValue = "0", description = "Stop each epoch after N batches (0: whole epoch).")
    int stepsPerEpoch;
    @Option(names = "--batch", defaultValue = "64") int batch;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate with a cosine schedule.") double lr;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--calibration-batches", defaultValue = "8") int calibrationBatches;
    @Option(names = "--jobs", defaultValue = "1", description = "Points trained at the same time (default ${DEFAULT-VALUE}).")
    int jobs;
    @Option(names = "--out", description = "Sweep directory (default sweeps/MODEL).") Path out;

    @Override
    public Integer call() {
        if (common.threads == 0 && jobs > 1) {
            // Parallel points share the cores instead of each asking for all of them.
            common.threads = Math.max(1, Runtime.getRuntime().availableProcessors() / jobs);
        }
        if (from == null) {
            // Not picocli's required=true: that would also demand --from of the run-point subcommand.
            throw new EngineException("sweep needs --from RUN, the float run every point starts from "
                    + "(train one with: a2q train --model " + model + " --out RUN)");
        }
        if (System.getProperty("java.awt.headless") == null) {
            // The chart is drawn off-screen; a command line must not need (or open) a display.
            System.setProperty("java.awt.headless", "true");
        }
        common.apply();
        PrintWriter w = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path dir = out != null ? out : Path.of("sweeps", model);
        SweepSettings s = new SweepSettings(dir, model, from, data != null ? data : CommonOptions.defaultData(),
                SweepSettings.parseMethods(methods), SweepSettings.parseAccBits(accBits), weightBits, actBits, init, epochs,
                stepsPerEpoch, batch, lr, seed, calibrationBatches, jobs, commandLine());
        Cancellation cancel = new Cancellation();
        CountDownLatch done = new CountDownLatch(1);
        // Ctrl-C: stop training, let running points give up without writing a result, then exit.
        Thread hook = new Thread(() -> {
            cancel.cancel();
            try {
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "sweep-cancel");
        Runtime.getRuntime().addShutdownHook(hook);
        Sweep.Outcome o;
        try {
            o = Sweep.run(s, cancel, line -> {
                synchronized (err) {
                    err.println(line);
                    err.flush();
                }
            });
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting; the hook has done its job
            }
        }
        w.printf(Locale.ROOT, "%d of %d point(s) finished (%d trained now, %d reused)%n", o.results().size(), o.planned(),
                o.computed(), o.skipped());
        w.println("wrote " + dir.resolve(Sweep.CSV_FILE) + ", " + dir.resolve(Sweep.CHART_FILE) + ", "
                + dir.resolve(Sweep.REPORT_FILE));
        if (!o.failed().isEmpty()) {
            throw new EngineException(o.failed().size() + " point(s) failed: " + String.join(", ", o.failed().keySet())
                    + "; see " + dir.resolve(Sweep.REPORT_FILE));
        }
        return o.complete() ? 0 : 1;
    }

    /** The command as typed, for the report; picocli keeps the original arguments. */
    private String commandLine() {
        StringBuilder b = new StringBuilder("a2q sweep");
        for (String a : spec.commandLine().getParseResult().originalArgs()) {
            if (a.equals("sweep") && b.length() == "a2q sweep".length()) {
                continue;
            }
            b.append(' ').append(a.matches("[A-Za-z0-9_./=+:,-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }

    /** One point from its job file, for schedulers that spread a sweep over processes or machines. */
    @Command(name = "run-point", hidden = true, mixinStandardHelpOptions = true,
            description = "Run one sweep point from its job.json; writes model.a2q and result.json beside it.")
    static final class RunPoint implements Callable<Integer> {
        @Mixin CommonOptions common;
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "JOBFILE") Path jobFile;
        @Option(names = "--force", description = "Train again even if the point has a valid result.") boolean force;

        @Override
        public Integer call() {
            common.apply();
            PrintWriter w = spec.commandLine().getOut();
            SweepJob job = PointRunner.readJob(jobFile);
            Path dir = jobFile.toAbsolutePath().getParent();
            if (!force) {
                var done = PointRunner.completed(dir, job);
                if (done.isPresent()) {
                    w.println(job.pointName() + ": already finished (" + dir.resolve(PointRunner.RESULT_FILE) + ")");
                    return 0;
                }
            }
            Cancellation cancel = new Cancellation();
            Thread hook = new Thread(cancel::cancel, "point-cancel");
            Runtime.getRuntime().addShutdownHook(hook);
            PointResult r;
            try {
                r = PointRunner.run(jobFile, p -> IdxDatasets.loadSplit(p), cancel);
            } catch (PointRunner.Cancelled e) {
                spec.commandLine().getErr().println(e.getMessage() + "; no result written");
                return 1;
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // exiting anyway
                }
            }
            w.printf(Locale.ROOT, "%s: accuracy %.2f%%, exact width %d bits, %.1f s; wrote %s%n", job.pointName(),
                    100 * r.accuracy(), r.exactWidthNeeded(), r.trainSeconds(), dir.resolve(PointRunner.RESULT_FILE));
            return 0;
        }
    }
}
