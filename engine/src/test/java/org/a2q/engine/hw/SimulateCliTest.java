package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.a2q.engine.TestData;
import org.a2q.engine.cli.Main;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulate and trace commands on small saved runs: tables, traces, exports and error messages. */
class SimulateCliTest {
    @TempDir static Path dir;
    private static String data;
    private static Path floatRun;
    private static Path quantRun;

    record Result(int code, String out, String err) { }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void runs() {
        data = TestData.sampleDir().toString();
        floatRun = dir.resolve("fp");
        quantRun = dir.resolve("q");
        Result f = run("train", "--model", "mlp", "--data", data, "--epochs", "1", "--steps-per-epoch", "20", "--out",
                floatRun.toString());
        assertEquals(0, f.code(), f.err());
        Result q = run("train", "--from", floatRun.toString(), "--method", "a2q+", "--acc-bits", "12", "--data", data,
                "--epochs", "1", "--steps-per-epoch", "5", "--out", quantRun.toString());
        assertEquals(0, q.code(), q.err());
    }

    @Test
    void simulatePrintsEveryLayerAndTheAgreement() {
        java.nio.file.Path folding = quantRun.resolveSibling("folding.json");
        Result r = run("simulate", quantRun.toString(), "--data", data, "--limit", "100", "--overflow", "saturate",
                "--pe", "4", "--simd", "8", "--folding-json", folding.toString());
        assertEquals(0, r.code(), r.err());
        for (String layer : new String[] {"fc1", "fc2", "fc3"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(layer + " ")), r.out());
        }
        // fc2 is the A2Q+ layer at its P = 12: no dot product may overflow
        String fc2 = r.out().lines().filter(l -> l.startsWith("fc2 ")).findFirst().orElseThrow();
        String[] cols = fc2.trim().split("\\s+");
        assertEquals("a2q+", cols[1]);
        assertEquals("12", cols[3]);
        assertEquals("4x8", cols[5]);
        assertEquals("0", cols[6]);
        assertEquals("0", cols[7]);
        assertTrue(r.out().contains("images 100, mode SATURATE"), r.out());
        assertTrue(r.out().contains("same class as the float model: 100/100"), r.out());
        // the folding config holds what each layer got: fc2 (84 outputs, K 120) takes PE 4, SIMD 8
        java.util.List<FoldingConfig.Entry> entries = FoldingConfig.read(folding);
        FoldingConfig.Entry e = entries.stream().filter(x -> x.node().equals("fc2")).findFirst().orElseThrow();
        assertEquals(new Folding(4, 8), e.folding());
        assertEquals(3, entries.size());
    }

    @Test
    void traceShowsTheAdversarialAccumulationAndExports() {
        Path csv = dir.resolve("t.csv");
        Result r = run("trace", quantRun.toString(), "--layer", "fc2", "--channel", "5", "--input", "adversarial",
                "--csv", csv.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("fc2 channel 5, a2q+, K=256"), r.out());
        assertTrue(r.out().contains("no overflow"), r.out());
        assertTrue(Files.exists(csv));
        Result img = run("trace", quantRun.toString(), "--layer", "fc2", "--channel", "0", "--input", "3", "--data", data,
                "--acc-bits", "6", "--overflow", "wrap");
        assertEquals(0, img.code(), img.err());
        assertTrue(img.out().contains("input: test image 3"), img.out());
    }

    @Test
    void errorsAreOneClearLine() {
        Result fp = run("simulate", floatRun.toString(), "--data", data, "--limit", "10");
        assertEquals(1, fp.code());
        assertTrue(fp.err().startsWith("error: layer 'fc1' is not quantized (FP32)"), fp.err());
        assertFalse(fp.err().contains("\tat "), fp.err());
        Result mode = run("simulate", quantRun.toString(), "--overflow", "clip");
        assertEquals(1, mode.code());
        assertTrue(mode.err().contains("--overflow must be exact, wrap or saturate"), mode.err());
        Result layer = run("trace", quantRun.toString(), "--layer", "conv9", "--channel", "0");
        assertEquals(1, layer.code());
        assertTrue(layer.err().contains("no conv/linear layer named 'conv9'"), layer.err());
        Result ch = run("trace", quantRun.toString(), "--layer", "fc3", "--channel", "10");
        assertEquals(1, ch.code());
        assertTrue(ch.err().contains("channels 0..9"), ch.err());
    }
}
