package org.a2q.engine.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.a2q.engine.TestData;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.sweep.PointResult;
import org.a2q.engine.sweep.PointRunner;
import org.a2q.engine.sweep.Sweep;
import org.a2q.engine.sweep.SweepJob;
import org.a2q.engine.sweep.SweepSettings;
import org.a2q.engine.train.Cancellation;
import org.a2q.engine.train.LearningRateSchedule;
import org.a2q.engine.train.Optimizer;
import org.a2q.engine.train.TrainConfig;
import org.a2q.engine.train.TrainListener;
import org.a2q.engine.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Cancelling at arbitrary moments never costs the last saved state: the epoch-end checkpoint on
 * disk stays loadable and equal to what was saved, and a cancelled sweep point leaves the finished
 * points valid and reusable.
 */
class CancellationTest {
    @TempDir Path dir;

    static final int EPOCHS = 3;
    static final int STEPS = 3;

    /** What the epoch-end listener saved, kept in memory to compare with the file afterwards. */
    record Saved(int epochs, INDArray values, INDArray m, INDArray v, Map<String, INDArray> state) { }

    @Test
    void cancellingAtRandomStepsKeepsTheLastCheckpointIntact() {
        // A small synthetic set and a ResNet sized for it: BatchNorm state is part of what must survive,
        // and the test stays fast on a busy machine.
        org.a2q.engine.data.ImageDataset data = synthetic(64, 8, 8);
        SplittableRandom seeds = new SplittableRandom(20261127L);
        int trials = 5;
        int withCheckpoint = 0;
        for (int trial = 0; trial < trials; trial++) {
            // A random step in 1..EPOCHS*STEPS-1, so the run always ends early, sometimes before any save.
            int cancelAt = 1 + seeds.nextInt(EPOCHS * STEPS - 1);
            Path file = dir.resolve("trial" + trial).resolve(RunFile.MODEL_FILE);
            Graph g = smallConvNet(trial);
            Trainer t = new Trainer(g, new TrainConfig(EPOCHS, 16, Optimizer.Kind.ADAM, LearningRateSchedule.constant(1e-3),
                    0.9, 0, trial, STEPS, 0));
            Cancellation cancel = new Cancellation();
            Saved[] last = new Saved[1];
            AtomicInteger steps = new AtomicInteger();
            t.addListener(new TrainListener() {
                @Override
                public void onStep(StepEvent e) {
                    if (steps.incrementAndGet() == cancelAt) {
                        cancel.cancel();
                    }
                }

                @Override
                public void onEpoch(EpochEvent e) {
                    // As TrainCommand does: one checkpoint after every epoch.
                    RunFile.save(file, g, t.optimizer(), t.epochsDone(), t.history(), null);
                    last[0] = new Saved(t.epochsDone(), g.valueArena().dup(), t.optimizer().firstMoment().dup(),
                            t.optimizer().secondMoment().dup(), bnState(g));
                }
            });
            t.fit(data, null, cancel);
            assertTrue(t.epochsDone() < EPOCHS, "trial " + trial + ": the cancel at step " + cancelAt + " stopped the run");
            if (last[0] == null) {
                assertFalse(Files.exists(file), "no epoch finished, so nothing (not a partial file) was written");
                continue;
            }
            withCheckpoint++;
            RunFile.Run r = RunFile.load(file, null);
            assertEquals(last[0].epochs(), r.epochsDone(), "trial " + trial);
            assertEquals(last[0].values(), r.graph().valueArena(), "trial " + trial + ": parameters as saved");
            assertEquals(last[0].m(), r.firstMoment(), "trial " + trial);
            assertEquals(last[0].v(), r.secondMoment(), "trial " + trial);
            assertEquals(last[0].state(), bnState(r.graph()), "trial " + trial + ": BatchNorm statistics as saved");
            if (cancelAt % STEPS != 0) {
                // Steps after the save changed the live model; the file must still hold the saved one.
                assertFalse(last[0].values().equals(g.valueArena()), "trial " + trial + " trained on after the save");
            }
        }
        System.out.println("cancellation: " + trials + " trials, " + withCheckpoint + " ended with a checkpoint to verify");
        assertTrue(withCheckpoint >= 3, "the seeded trials must exercise the checkpoint path");
    }

    /** conv → BatchNorm → ReLU → linear: the smallest net whose checkpoint carries optimizer and BatchNorm state. */
    static Graph smallConvNet(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return Graph.builder(1, 8, 8)
                .add("conv", new org.a2q.engine.nn.Conv2d("conv", 1, 4, 3, 3, 1, 1, 1, 1, false, rng))
                .add("bn", new org.a2q.engine.nn.BatchNorm2d("bn", 4, 1e-5, 0.1))
                .add("relu", new org.a2q.engine.nn.ReLU())
                .add("flatten", org.a2q.engine.nn.Reshape.flatten())
                .add("fc", new org.a2q.engine.nn.Linear("fc", 4 * 8 * 8, 10, true, rng))
                .build();
    }

    static org.a2q.engine.data.ImageDataset synthetic(int n, int h, int w) {
        SplittableRandom r = new SplittableRandom(3);
        byte[] px = new byte[n * h * w];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
            for (int j = 0; j < h * w; j++) {
                px[i * h * w + j] = (byte) (r.nextInt(64) + 16 * labels[i]); // learnable: brightness tracks the class
            }
        }
        return new org.a2q.engine.data.ImageDataset("synthetic", px, labels, 1, h, w, 10);
    }

    static Map<String, INDArray> bnState(Graph g) {
        Map<String, INDArray> m = new java.util.TreeMap<>();
        for (Graph.Node n : g.nodes()) {
            n.layer().state().forEach((k, v) -> m.put(n.name() + "/" + k, v.dup()));
        }
        return m;
    }

    @Test
    void aCancelledSweepPointLeavesTheEarlierPointsValid() throws Exception {
        Path floatRun = dir.resolve("float");
        Graph g = ModelTemplates.create("mlp", 0);
        Trainer ft = new Trainer(g, new TrainConfig(1, 64, Optimizer.Kind.ADAM, LearningRateSchedule.constant(2e-3), 0.9, 0, 0, 10, 0));
        ft.fit(TestData.sample().train(), null, Cancellation.none());
        RunFile.save(floatRun.resolve(RunFile.MODEL_FILE), g, ft.optimizer(), 1, ft.history(), null);

        Path sweepDir = dir.resolve("sweep");
        SweepSettings s = new SweepSettings(sweepDir, "mlp", floatRun, TestData.sampleDir(), List.of("a2q"),
                List.of(12, 14), 4, 4, "ep", 1, 8, 64, 1e-3, 0, 1, 1, "sweep (reliability test)");
        Cancellation cancel = new Cancellation();
        long delayMs = new SplittableRandom(77).nextLong(0, 400);
        List<String> log = new ArrayList<>();
        // Cancel at a seeded moment after the second point starts, from another thread as the GUI would.
        Sweep.Outcome o = Sweep.run(s, cancel, line -> {
            log.add(line);
            if (line.startsWith("point 2/")) {
                Thread th = new Thread(() -> {
                    try {
                        Thread.sleep(delayMs);
                    } catch (InterruptedException ignored) {
                        // cancel anyway
                    }
                    cancel.cancel();
                });
                th.setDaemon(true);
                th.start();
            }
        });
        assertTrue(o.cancelled(), String.join("\n", log));
        List<SweepJob> jobs = s.pointJobs();
        Optional<PointResult> first = PointRunner.completed(Sweep.pointDir(sweepDir, jobs.get(0)), jobs.get(0));
        assertTrue(first.isPresent(), "the point finished before the cancel is kept: " + log);
        RunFile.Run r = RunFile.load(Sweep.pointDir(sweepDir, jobs.get(0)).resolve(first.get().run()), null);
        assertNotNull(r.graph());
        int finished = 0;
        for (SweepJob j : jobs) {
            if (PointRunner.completed(Sweep.pointDir(sweepDir, j), j).isPresent()) {
                finished++;
            }
        }
        assertTrue(finished < jobs.size(), "the cancel stopped the sweep before its end");
        assertEquals(o.results().size(), finished, "every reported result is on disk, nothing else is");

        // The rerun reuses what finished and redoes only the rest.
        Sweep.Outcome rest = Sweep.run(s, new Cancellation(), l -> { });
        assertEquals(finished, rest.skipped());
        assertEquals(jobs.size() - finished, rest.computed());
        assertTrue(rest.complete());
        assertEquals(first.get().accuracy(), rest.results().get(0).accuracy(), 0.0);
        System.out.println("sweep cancel: delay " + delayMs + " ms, " + finished + " of " + jobs.size() + " points kept");
    }
}
