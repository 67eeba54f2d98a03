package org.a2q.engine.sweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.a2q.engine.EngineException;
import org.a2q.engine.TestData;
import org.a2q.engine.Version;
import org.a2q.engine.cli.Main;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantReport;
import org.a2q.engine.quant.Quantization;
import org.a2q.engine.train.Cancellation;
import org.a2q.engine.train.Evaluation;
import org.a2q.engine.train.LearningRateSchedule;
import org.a2q.engine.train.Optimizer;
import org.a2q.engine.train.TrainConfig;
import org.a2q.engine.train.Trainer;
import org.a2q.engine.model.ModelTemplates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sweeps on the bundled sample with a briefly trained float MLP: numbers checked against QuantReport. */
class SweepTest {
    @TempDir static Path shared;
    @TempDir Path dir;
    static Path floatRun;

    @BeforeAll
    static void trainFloat() {
        // A float MLP trained briefly in-process (no test-set evaluation: the points evaluate their own).
        floatRun = shared.resolve("float");
        Graph g = ModelTemplates.create("mlp", 0);
        TrainConfig tc = new TrainConfig(1, 64, Optimizer.Kind.ADAM, LearningRateSchedule.constant(2e-3), 0.9, 0, 0, FLOAT_STEPS, 0);
        Trainer t = new Trainer(g, tc);
        t.fit(TestData.sample().train(), null, Cancellation.none());
        RunFile.save(floatRun.resolve(RunFile.MODEL_FILE), g, t.optimizer(), 1, t.history(), null);
    }

    static final int FLOAT_STEPS = 80;

    static SweepSettings settings(Path out, List<String> methods, List<Integer> ps) {
        return new SweepSettings(out, "mlp", floatRun, TestData.sampleDir(), methods, ps, 4, 4, "ep", 1, 10, 64, 1e-3, 0, 1, 1,
                "a2q sweep --model mlp (test)");
    }

    static Map<String, FileTime> resultTimes(Path sweepDir) throws IOException {
        Map<String, FileTime> m = new HashMap<>();
        try (var s = Files.list(sweepDir.resolve(Sweep.POINTS_DIR))) {
            for (Path p : s.toList()) {
                Path r = p.resolve(PointRunner.RESULT_FILE);
                if (Files.exists(r)) {
                    m.put(p.getFileName().toString(), Files.getLastModifiedTime(r));
                }
            }
        }
        return m;
    }

    @Test
    void tinySweepMatchesQuantReportAndResumes() throws IOException {
        SweepSettings s = settings(dir, List.of("qat", "a2q"), List.of(12, 16));
        List<String> log = new ArrayList<>();
        Sweep.Outcome o = Sweep.run(s, new Cancellation(), log::add);
        assertEquals(3, o.planned(), "qat is trained once, a2q once per P");
        assertEquals(3, o.computed());
        assertEquals(0, o.skipped());
        assertTrue(o.complete());

        List<String> lines = Files.readAllLines(dir.resolve(Sweep.CSV_FILE));
        assertEquals(SweepTable.HEADER, lines.get(0));
        assertEquals(5, lines.size(), "header + qat@12, qat@16, a2q@12, a2q@16: " + lines);
        Map<String, String[]> byKey = new HashMap<>();
        for (String l : lines.subList(1, lines.size())) {
            String[] f = l.split(",");
            byKey.put(f[0] + "@" + f[3], f);
        }
        assertEquals(Set4.KEYS, byKey.keySet());
        // QAT: one model, so identical accuracy and width at every P; only the P-dependent columns differ.
        String[] q12 = byKey.get("qat@12");
        String[] q16 = byKey.get("qat@16");
        assertEquals(q12[5], q16[5]);
        assertEquals(q12[6], q16[6]);
        assertEquals(q12[11], q16[11]);
        assertEquals("points/qat/model.a2q", q12[11]);

        // Measured wrap overflows: never for the constrained points (the guarantee, here simulated);
        // a count ≥ 0 for QAT wherever it was simulated, and 0 where P covers its exact width.
        for (String key : Set4.KEYS) {
            String[] f = byKey.get(key);
            long wrap = Long.parseLong(f[12]);
            assertTrue(wrap >= 0, key + " wrap overflows " + wrap);
            if (key.startsWith("a2q")) {
                assertEquals(0, wrap, key);
                assertEquals(Double.parseDouble(f[13]), Double.parseDouble(f[5]), 0.05, key + ": wrap accuracy vs accuracy");
            }
            if (Integer.parseInt(f[3]) >= Integer.parseInt(f[6])) {
                assertEquals(0, wrap, key + " at or above its exact width");
            }
        }
        for (String key : Set4.KEYS) {
            String[] f = byKey.get(key);
            int p = Integer.parseInt(f[3]);
            assertEquals("4", f[1]);
            assertEquals("4", f[2]);
            assertEquals("ep", f[4]);
            Graph g = RunFile.load(dir.resolve(f[11]), Quantization::restore).graph();
            List<String> layers = QuantConfig.weightLayers(g);
            int exact = 0;
            int atRisk = 0;
            long zeros = 0;
            long weights = 0;
            double utilSum = 0;
            int channels = 0;
            for (QuantReport.LayerReport l : QuantReport.of(g)) {
                int i = layers.indexOf(l.name());
                if (i == 0 || i == layers.size() - 1) {
                    continue;
                }
                exact = Math.max(exact, l.widths().exact());
                for (QuantReport.Channel c : l.channels()) {
                    atRisk += c.widths().exact() > p ? 1 : 0;
                    zeros += Math.round(c.sparsity() * l.dotProductLength());
                    weights += l.dotProductLength();
                    utilSum += c.utilisation();
                    channels++;
                }
            }
            assertTrue(channels > 0);
            assertEquals(exact, Integer.parseInt(f[6]), key + " exact width");
            assertEquals(atRisk, Integer.parseInt(f[7]), key + " channels at risk");
            assertEquals((double) zeros / weights, Double.parseDouble(f[8]), 1e-6, key + " sparsity");
            double acc = Evaluation.evaluate(g, TestData.sample().test(), 256).accuracy();
            assertEquals(acc, Double.parseDouble(f[5]), 1e-6, key + " accuracy is the saved model's test accuracy");
            assertTrue(acc > 0.3, key + " trained beyond chance: " + acc);
            if (f[0].equals("a2q")) {
                // A2Q's guarantee: every hidden channel fits P, so nothing is at risk and the budget is not exceeded.
                assertEquals(0, atRisk, key);
                assertTrue(exact <= p, key + " exact " + exact);
                assertEquals(utilSum / channels, Double.parseDouble(f[9]), 1e-6, key + " utilisation");
                assertTrue(Double.parseDouble(f[9]) <= 1.0 + 1e-9);
                assertEquals("points/a2q-P" + p + "/model.a2q", f[11]);
            }
        }
        // A 4-bit MLP trained without a constraint needs more than 12 bits, so QAT is at risk at P = 12.
        assertTrue(Integer.parseInt(q12[6]) > 12, "qat width " + q12[6]);
        assertTrue(Integer.parseInt(q12[7]) > 0);
        assertTrue(Integer.parseInt(q12[7]) >= Integer.parseInt(q16[7]), "fewer channels at risk with a wider accumulator");

        BufferedImage png = ImageIO.read(dir.resolve(Sweep.CHART_FILE).toFile());
        assertNotNull(png, "chart.png decodes");
        assertEquals(SweepChart.WIDTH, png.getWidth());
        assertEquals(SweepChart.HEIGHT, png.getHeight());

        String report = Files.readString(dir.resolve(Sweep.REPORT_FILE));
        assertTrue(report.contains("![accuracy vs accumulator width](chart.png)"));
        assertTrue(report.contains(Version.describe()));
        assertTrue(report.contains("a2q sweep --model mlp (test)"));
        assertTrue(report.contains("| a2q | 4 | 4 | 12 | ep |"), report);
        assertFalse(report.contains("Incomplete"));

        // Rerun: every point is reused, no result file is rewritten.
        Map<String, FileTime> before = resultTimes(dir);
        Sweep.Outcome again = Sweep.run(s, new Cancellation(), log::add);
        assertEquals(0, again.computed());
        assertEquals(3, again.skipped());
        assertEquals(before, resultTimes(dir));
        assertEquals(lines, Files.readAllLines(dir.resolve(Sweep.CSV_FILE)), "the table is rebuilt identically");

        // A truncated result (as a crash mid-write without atomic rename would leave) is recomputed, alone.
        Path broken = dir.resolve("points/a2q-P12").resolve(PointRunner.RESULT_FILE);
        String json = Files.readString(broken);
        Files.writeString(broken, json.substring(0, json.length() / 2));
        Sweep.Outcome repaired = Sweep.run(s, new Cancellation(), log::add);
        assertEquals(1, repaired.computed());
        assertEquals(2, repaired.skipped());
        Map<String, FileTime> after = resultTimes(dir);
        assertEquals(before.get("qat"), after.get("qat"));
        assertEquals(before.get("a2q-P16"), after.get("a2q-P16"));
        assertTrue(PointRunner.completed(broken.getParent(), PointRunner.readJob(broken.resolveSibling(PointRunner.JOB_FILE)))
                .isPresent());
    }

    @Test
    void cancelKeepsFinishedPointsAndTheRerunDoesOnlyTheRest() throws IOException {
        SweepSettings s = settings(dir, List.of("a2q+"), List.of(11, 13, 15));
        Cancellation cancel = new Cancellation();
        // Cancel as soon as the first point reports its result: the rest must not count as finished.
        Sweep.Outcome o = Sweep.run(s, cancel, line -> {
            if (line.contains("accuracy")) {
                cancel.cancel();
            }
        });
        assertTrue(o.cancelled());
        assertEquals(1, o.computed());
        assertEquals(1, o.results().size());
        assertFalse(o.complete());
        assertEquals(1, resultTimes(dir).size());
        assertTrue(Files.readString(dir.resolve(Sweep.REPORT_FILE)).contains("Incomplete"));
        assertEquals(2, Files.readAllLines(dir.resolve(Sweep.CSV_FILE)).size(), "header + the one finished point");

        Map<String, FileTime> before = resultTimes(dir);
        // The rest runs two points at once: results must not depend on what trains beside them.
        SweepSettings parallel = new SweepSettings(s.dir(), s.model(), s.from(), s.data(), s.methods(), s.accBits(),
                s.weightBits(), s.actBits(), s.init(), s.epochs(), s.stepsPerEpoch(), s.batch(), s.lr(), s.seed(),
                s.calibrationBatches(), 2, s.commandLine());
        Sweep.Outcome rest = Sweep.run(parallel, new Cancellation(), l -> { });
        assertEquals(2, rest.computed());
        assertEquals(1, rest.skipped());
        assertTrue(rest.complete());
        Map<String, FileTime> after = resultTimes(dir);
        before.forEach((k, v) -> assertEquals(v, after.get(k), k + " kept"));
        assertEquals(4, Files.readAllLines(dir.resolve(Sweep.CSV_FILE)).size());

        PointResult inParallel = rest.results().get(2);
        Path job = Sweep.pointDir(dir, inParallel.job()).resolve(PointRunner.JOB_FILE);
        PointResult alone = PointRunner.run(job, p -> TestData.sample(), new Cancellation());
        assertEquals(inParallel.accuracy(), alone.accuracy(), 0.0);
        assertEquals(inParallel.hiddenLayers().size(), alone.hiddenLayers().size());
        for (int i = 0; i < alone.hiddenLayers().size(); i++) {
            assertArrayEquals(inParallel.hiddenLayers().get(i).l1(), alone.hiddenLayers().get(i).l1());
        }
    }

    @Test
    void cliSweepAndRunPoint() throws IOException {
        Path out = dir.resolve("s");
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        int code = Main.run(new String[] {"sweep", "--model", "mlp", "--from", floatRun.toString(), "--data",
                TestData.sampleDir().toString(), "--methods", "a2q", "--acc-bits", "14", "--epochs", "1",
                "--steps-per-epoch", "10", "--out", out.toString()}, new PrintWriter(so), new PrintWriter(se));
        assertEquals(0, code, se.toString());
        assertTrue(so.toString().contains("1 of 1 point(s) finished (1 trained now, 0 reused)"), so.toString());
        assertTrue(Files.readString(out.resolve(Sweep.REPORT_FILE)).contains("--acc-bits 14"));

        Path job = out.resolve("points/a2q-P14").resolve(PointRunner.JOB_FILE);
        StringWriter ro = new StringWriter();
        assertEquals(0, Main.run(new String[] {"sweep", "run-point", job.toString()}, new PrintWriter(ro),
                new PrintWriter(new StringWriter())));
        assertTrue(ro.toString().contains("already finished"), ro.toString());

        // A job file from another config (P changed by hand) invalidates the old result.
        Files.writeString(job, Files.readString(job).replaceAll("\"accBits\" : 14", "\"accBits\" : 13"));
        assertFalse(PointRunner.completed(job.getParent(), PointRunner.readJob(job)).isPresent());
        StringWriter eo = new StringWriter();
        StringWriter ee = new StringWriter();
        assertEquals(1, Main.run(new String[] {"sweep", "--model", "lenet", "--from", floatRun.toString(), "--out",
                out.toString()}, new PrintWriter(eo), new PrintWriter(ee)));
        assertTrue(ee.toString().contains("pass the --model the run was trained as"), ee.toString());
    }

    @Test
    void accBitsAcceptRangesAndLists() {
        assertEquals(List.of(10, 11, 12, 13, 14, 15, 16), SweepSettings.parseAccBits("10..16"));
        assertEquals(List.of(10, 11, 12, 13, 14, 16), SweepSettings.parseAccBits("10,11,12,13,14,16"));
        assertEquals(List.of(10, 11, 12, 14), SweepSettings.parseAccBits("14, 10..12, 12"));
        assertThrows(EngineException.class, () -> SweepSettings.parseAccBits("16..10"));
        assertThrows(EngineException.class, () -> SweepSettings.parseAccBits("ten"));
        assertEquals(List.of("qat", "a2q", "a2q+"), SweepSettings.parseMethods("qat, a2q,a2q+,a2q"));
        assertThrows(EngineException.class, () -> SweepSettings.parseMethods("ptq"));
    }

    private static final class Set4 {
        static final java.util.Set<String> KEYS = java.util.Set.of("qat@12", "qat@16", "a2q@12", "a2q@16");
    }
}
