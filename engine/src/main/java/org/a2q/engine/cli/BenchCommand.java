package org.a2q.engine.cli;

import java.io.PrintWriter;
import org.a2q.engine.EngineException;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Init;
import org.a2q.engine.train.BatchStep;
import org.a2q.engine.train.Optimizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Throughput of one fixed batch, as in the PyTorch reference script (tools/bench): training step
 * = forward + loss + backward + update, inference = forward in evaluation mode. Reports the
 * median and 90th percentile of many steps after a warm-up, and images/s from the median.
 */
@Command(name = "bench", description = "Training and inference images/s of a model (median of many steps).")
final class BenchCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin QuantOptions quant;
    @Spec CommandSpec spec;

    @Option(names = "--model", defaultValue = "lenet", description = "Built-in model or run directory / model file.")
    String model;
    @Option(names = "--batch", defaultValue = "64") int batch;
    @Option(names = "--warmup", defaultValue = "50", description = "Warm-up steps at least; training warms up "
            + "further until the JIT compiler has been idle for --jit-idle-steps (at most 60 s): while it compiles, "
            + "its thread takes a core from the numeric kernels.")
    int warmup;
    @Option(names = "--jit-idle-steps", defaultValue = "200", description = "Steps without JIT compilation that end "
            + "the warm-up (0: --warmup steps only).")
    int jitIdleSteps;
    @Option(names = "--steps", defaultValue = "300") int steps;
    @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd (plain, as the reference script) or adam.")
    String optimizer;

    @Option(names = "--profile", description = "Also print the time per layer (forward / backward) of the training step.")
    boolean profile;

    @Option(names = "--compare-torch", description = "Also time the PyTorch twin (engine/bench/torch_reference.py) "
            + "with the same model, batch and threads, in alternation with this engine, and print the ratio.")
    boolean compareTorch;

    @Option(names = "--python", defaultValue = "python3", description = "Python with torch, for --compare-torch.")
    String python;

    @Option(names = "--rounds", defaultValue = "1", description = "With --compare-torch or --method: this many rounds "
            + "of --steps steps each (the two alternate in blocks of 25 steps within a round); prints the median of the "
            + "per-round ratios.")
    int rounds;

    record Timing(double medianMs, double p90Ms, double imagesPerSecond, int warmupSteps) {
        Timing(double medianMs, double p90Ms, double imagesPerSecond) {
            this(medianMs, p90Ms, imagesPerSecond, 0);
        }
    }

    @Override
    public Integer call() {
        common.apply();
        if (rounds < 1 || (rounds > 1 && !compareTorch && !quant.requested())) {
            throw new EngineException("--rounds counts comparisons (with PyTorch, or of quantized with float training): "
                    + "use it with --compare-torch or --method, 1 or more");
        }
        if (steps < 1 || warmup < 0 || jitIdleSteps < 0 || batch < 1) {
            throw new EngineException("--steps and --batch must be at least 1, --warmup and --jit-idle-steps at least 0");
        }
        PrintWriter w = spec.commandLine().getOut();
        Graph g = ModelSource.fresh(model, 0);
        w.printf(Locale.ROOT, "bench %s, batch %d, %d threads, %d warm-up + %d timed steps%n", model, batch,
                org.a2q.engine.EngineRuntime.threads(), warmup, steps);
        Timing train = train(g, batch, warmup, steps, newOptimizer());
        w.printf(Locale.ROOT, "training warmed up for %d steps (until the JIT compiler had been idle for %d)%n",
                train.warmupSteps(), jitIdleSteps);
        if (new BatchStep(g).splitsBatches()) {
            w.printf(Locale.ROOT, "training splits each batch in two halves run at once on two threads, as train does%n");
        }
        if (quant.requested()) {
            // Same model, quantized; timed in alternation with the float one so both see the same machine state.
            org.a2q.engine.quant.QuantConfig cfg = quant.config();
            Graph q = org.a2q.engine.quant.Quantization.apply(ModelSource.fresh(model, 0), cfg, null, 0);
            // Activation scales calibrated on the benchmark's batch, as train and quantize calibrate on data:
            // uncalibrated (scale 1) the quantizers clip nearly everything and the model trains as no user's would.
            TrainStep qStep = stepOf(q, batch, newOptimizer());
            org.a2q.engine.quant.Quantization.calibrate(q, java.util.List.of(qStep.x()));
            // A fresh float model from the same initial weights, trained as many warm-up steps as the
            // quantized one, so both have the same history on this one batch. The float model timed
            // above has trained thousands of steps more, and that changes the comparison: against it the
            // overhead measured 22-30 %, against a fresh one 15-18 % (same code, same process).
            TrainStep fStep = stepOf(ModelSource.fresh(model, 0), batch, newOptimizer());
            int qWarm = warmUp(qStep, warmup, jitIdleSteps);
            warmUp(fStep, qWarm, 0);
            String label = "train (" + cfg.method() + " W" + cfg.weightBits() + "A" + cfg.actBits() + " P" + cfg.accBits() + ")";
            // A single round's ratio moves by ±5-8 points with the machine's state (the float step
            // alone took 2.3-3.3 ms in consecutive runs here); the median of several rounds less so.
            double[] overhead = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                Timing[] both = interleaved(n -> timedBlock(qStep, n), n -> timedBlock(fStep, n), batch, steps);
                overhead[r] = (both[0].medianMs() / both[1].medianMs() - 1) * 100;
                if (r == 0) {
                    print(w, label, both[0]);
                    print(w, "train (fp32, alternated)", both[1]);
                    w.printf(Locale.ROOT, "quantization-aware training costs %+.1f%% time per step vs fp32 (medians)%n",
                            overhead[0]);
                } else {
                    w.printf(Locale.ROOT, "round %d: %s %.3f ms, fp32 %.3f ms, %+.1f%%%n", r + 1, cfg.method(),
                            both[0].medianMs(), both[1].medianMs(), overhead[r]);
                }
            }
            if (rounds > 1) {
                Arrays.sort(overhead);
                w.printf(Locale.ROOT, "quantization-aware training costs %+.1f%% time per step vs fp32 "
                        + "(median of %d rounds, range %+.1f%% to %+.1f%%)%n",
                        overhead[rounds / 2], rounds, overhead[0], overhead[rounds - 1]);
            }
            if (profile) {
                profile(w, q, batch, steps);
            }
        }
        if (profile) {
            profile(w, g, batch, steps);
        }
        Timing infer = inference(g, batch, warmup, steps);
        print(w, "train (fp32)", train);
        print(w, "inference (fp32)", infer);
        if (compareTorch) {
            compareWithTorch(w, g, Math.max(warmup, train.warmupSteps()));
        }
        return 0;
    }

    /** A fresh optimizer of the chosen kind (SGD without momentum, as the reference script, or Adam). */
    private Optimizer newOptimizer() {
        return optimizer.equals("adam") ? Optimizer.adam(0) : Optimizer.sgd(0, 0);
    }

    /** Median time of {@code steps} runs of an already warmed-up step. */
    static Timing timed(Runnable step, int batch, int steps) {
        return summarize(timedBlock(step, steps), batch);
    }

    /** The time of each of n runs of a step, in ms. */
    static double[] timedMs(Runnable step, int n) {
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            step.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    /** Something timed a block at a time: n runs, their times in ms. */
    interface StepBlock {
        double[] run(int n);
    }

    /**
     * Training and inference against the PyTorch twin, in blocks of {@link #BLOCK} steps taken in
     * turn (ours, then PyTorch's, while the other waits), {@code rounds} times; prints each round
     * and the median of the per-round ratios.
     */
    private void compareWithTorch(PrintWriter w, Graph g, int torchWarmup) {
        Runnable trainStep = stepOf(g, batch, newOptimizer());
        Runnable inferStep = inferenceStepOf(g, batch);
        warmUp(trainStep, warmup, 0);   // its own step object: the batch-half replica is built on first use
        warmUp(inferStep, warmup, 0);
        double[] trainRatio = new double[rounds];
        double[] inferRatio = new double[rounds];
        String spin = System.getenv("GOMP_SPINCOUNT");
        String policy = System.getenv("OMP_WAIT_POLICY");
        if (spin != null || "active".equalsIgnoreCase(policy)) {
            // Our OpenMP threads would spin on through PyTorch's blocks and take a core from it
            // (with GOMP_SPINCOUNT=10000000 its step went from 3.2 to 18 ms).
            w.printf(Locale.ROOT, "warning: %s is set, so this process's OpenMP threads keep spinning while PyTorch runs; "
                    + "unset it for a fair comparison%n", spin != null ? "GOMP_SPINCOUNT" : "OMP_WAIT_POLICY=active");
        }
        try (TorchTwin torch = TorchTwin.start(python, model, batch, org.a2q.engine.EngineRuntime.threads(), torchWarmup)) {
            w.printf(Locale.ROOT, "torch %s, warmed up for %d steps; both timed in alternating blocks of %d steps%n",
                    torch.version(), torchWarmup, BLOCK);
            // Our own CPU use while PyTorch runs: anything above ~0 takes a core from it.
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long[] idle = new long[2];   // our CPU ns and the wall ns of PyTorch's blocks
            StepBlock torchTrain = n -> {
                long c0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                double[] ms = torch.train(n);
                idle[0] += os.getProcessCpuTime() - c0;
                idle[1] += System.nanoTime() - t0;
                return ms;
            };
            for (int r = 0; r < rounds; r++) {
                Timing[] train = interleaved(n -> timedBlock(trainStep, n), torchTrain, batch, steps);
                Timing[] infer = interleaved(n -> timedBlock(inferStep, n), torch::infer, batch, steps);
                trainRatio[r] = train[0].imagesPerSecond() / train[1].imagesPerSecond();
                inferRatio[r] = infer[0].imagesPerSecond() / infer[1].imagesPerSecond();
                if (r == 0) {
                    print(w, "a2q train", train[0]);
                    print(w, "torch train", train[1]);
                    print(w, "a2q inference", infer[0]);
                    print(w, "torch inference", infer[1]);
                    w.printf(Locale.ROOT, "ratio (a2q images/s ÷ torch images/s): train %.2f, inference %.2f%n",
                            trainRatio[0], inferRatio[0]);
                } else {
                    w.printf(Locale.ROOT, "round %d: a2q train %.3f ms, torch train %.3f ms, ratio train %.2f, inference %.2f%n",
                            r + 1, train[0].medianMs(), train[1].medianMs(), trainRatio[r], inferRatio[r]);
                }
            }
            w.printf(Locale.ROOT, "this process used %.0f %% of a core while PyTorch trained (including its own pipe I/O)%n",
                    100.0 * idle[0] / Math.max(1, idle[1]));
        }
        if (rounds > 1) {
            Arrays.sort(trainRatio);
            Arrays.sort(inferRatio);
            w.printf(Locale.ROOT, "median ratio over %d rounds: train %.2f (range %.2f–%.2f), inference %.2f (range %.2f–%.2f)%n",
                    rounds, trainRatio[rounds / 2], trainRatio[0], trainRatio[rounds - 1],
                    inferRatio[rounds / 2], inferRatio[0], inferRatio[rounds - 1]);
        }
    }

    /** Per-layer time of {@code steps} training steps of an already warmed-up graph. */
    static void profile(PrintWriter w, Graph g, int batch, int steps) {
        // whole batches on this thread: the profile times each layer on the full batch
        Runnable step = stepOf(g, batch, Optimizer.sgd(0, 0), false);
        g.profile(true);
        for (int i = 0; i < steps; i++) {
            step.run();
        }
        printProfile(w, g, steps);
    }

    static void printProfile(PrintWriter w, Graph g, int steps) {
        w.printf(Locale.ROOT, "%-18s %10s %10s%n", "layer", "fwd ms", "bwd ms");
        for (var e : g.profileNanos().entrySet()) {
            w.printf(Locale.ROOT, "%-18s %10.3f %10.3f%n", e.getKey(), e.getValue()[0] / 1e6 / steps,
                    e.getValue()[1] / 1e6 / steps);
        }
        g.profile(false);
    }

    static void print(PrintWriter w, String what, Timing t) {
        w.printf(Locale.ROOT, "%-22s median %7.3f ms  p90 %7.3f ms  %,10.0f images/s%n", what, t.medianMs(), t.p90Ms(),
                t.imagesPerSecond());
    }

    static INDArray[] batchOf(Graph g, int batch) {
        long[] in = g.inputShape();
        long[] shape = new long[in.length + 1];
        shape[0] = batch;
        System.arraycopy(in, 0, shape, 1, in.length);
        INDArray x = Init.uniform(new SplittableRandom(1), 0, 1, shape);
        return new INDArray[] {x};
    }

    static int[] labels(int batch, int classes) {
        SplittableRandom r = new SplittableRandom(2);
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) {
            y[i] = r.nextInt(classes);
        }
        return y;
    }

    /** One training step on a fixed batch as the trainer takes it: forward, loss, backward, penalties, update. */
    static TrainStep stepOf(Graph g, int batch, Optimizer opt) {
        return stepOf(g, batch, opt, true);
    }

    /** @param split whether the batch may be split over two threads (not for per-layer profiles) */
    static TrainStep stepOf(Graph g, int batch, Optimizer opt, boolean split) {
        INDArray x = batchOf(g, batch)[0];
        long classes = g.shapes(1).get(g.outputName())[1];
        int[] y = labels(batch, (int) classes);
        return new TrainStep(g, new BatchStep(g, split), opt, x, y, batch);
    }

    /** A training step on a fixed batch; {@link #rest} after a block of them (see {@link BatchStep#restoreThreads}). */
    record TrainStep(Graph graph, BatchStep step, Optimizer opt, INDArray x, int[] y, int batch) implements Runnable {
        @Override
        public void run() {
            step.run(x, y, batch);
            graph.addPenaltyGradients();
            opt.step(graph, 0.01);
        }

        void rest() {
            step.restoreThreads();
        }
    }

    /**
     * Times n runs of a step; a training step then rests its batch-half worker, which would
     * otherwise spin on a core through the first milliseconds of whatever is timed next.
     */
    static double[] timedBlock(Runnable step, int n) {
        double[] ms = timedMs(step, n);
        if (step instanceof TrainStep t) {
            t.rest();
        }
        return ms;
    }

    /** Steps per block when two steps are timed in alternation. */
    static final int BLOCK = 25;

    /**
     * Times two warmed-up steps in alternating blocks of {@link #BLOCK}, so that the machine's
     * drift (±20 % over a minute on a shared two-core machine) hits both alike; a ratio of two
     * medians timed one after the other measured anywhere from +60 % to +92 % for the same code.
     */
    static Timing[] interleaved(StepBlock a, StepBlock b, int batch, int steps) {
        double[] msA = new double[steps];
        double[] msB = new double[steps];
        for (int done = 0; done < steps; done += BLOCK) {
            int n = Math.min(BLOCK, steps - done);
            System.arraycopy(a.run(n), 0, msA, done, n);
            System.arraycopy(b.run(n), 0, msB, done, n);
        }
        return new Timing[] {summarize(msA, batch), summarize(msB, batch)};
    }

    Timing train(Graph g, int batch, int warmup, int steps, Optimizer opt) {
        Runnable step = stepOf(g, batch, opt);
        int warmed = warmUp(step, warmup, jitIdleSteps);
        Timing t = timed(step, batch, steps);
        return new Timing(t.medianMs(), t.p90Ms(), t.imagesPerSecond(), warmed);
    }

    /** Longest warm-up, for a JIT that never settles. */
    static final long MAX_WARMUP_NANOS = 60_000_000_000L;

    /**
     * Runs at least {@code minSteps} steps, then more until the JIT compiler's total time has not
     * grown for {@code idleSteps} steps. A LeNet step calls its Java code only a few hundred times
     * per second, so C2 keeps compiling for about 10 s (2,000 steps); on two cores its thread takes
     * one from OpenMP meanwhile, and steps measured then were up to 2× slower (p90 9–11 ms against a
     * 3.6–4.3 ms median once compiled). What a long training run sees is the compiled state.
     */
    static int warmUp(Runnable step, int minSteps, int idleSteps) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean monitored = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        long lastTotal = -1;
        int quiet = 0;
        int done = 0;
        while (done < minSteps || (monitored && quiet < idleSteps && System.nanoTime() - start < MAX_WARMUP_NANOS)) {
            step.run();
            done++;
            if (monitored) {
                long total = jit.getTotalCompilationTime();
                quiet = total == lastTotal ? quiet + 1 : 0;
                lastTotal = total;
            }
        }
        return done;
    }

    static Timing inference(Graph g, int batch, int warmup, int steps) {
        Runnable step = inferenceStepOf(g, batch);
        warmUp(step, warmup, 0);
        return timed(step, batch, steps);
    }

    /** One inference pass on a fixed batch, with every configured thread per op. */
    static Runnable inferenceStepOf(Graph g, int batch) {
        INDArray x = batchOf(g, batch)[0];
        return () -> {
            org.a2q.engine.EngineRuntime.allOpThreads();   // training may have split batches, one thread per op
            g.forward(x, false).getDouble(0);               // getDouble: the work has completed
        };
    }

    static Timing summarize(double[] ms, int batch) {
        double[] s = ms.clone();
        Arrays.sort(s);
        double median = s[s.length / 2];
        double p90 = s[Math.min(s.length - 1, (int) Math.floor(0.9 * s.length))];
        return new Timing(median, p90, batch / (median / 1000));
    }
}
