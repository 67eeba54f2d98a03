package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.a2q.engine.TestData;
import org.a2q.engine.cli.CliRun;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulate and trace commands on small saved runs: tables, traces, exports and error messages. */
class SimulateCliTest {
    @TempDir static Path dir;
    private static String data;
    private static Path floatRun;
    private static Path quantRun;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @BeforeAll
    static void runs() {
        data = TestData.sampleDir().toString();
        floatRun = dir.resolve("fp");
        quantRun = dir.resolve("q");
        CliRun f = run("train", "--model", "mlp", "--data", data, "--epochs", "1", "--steps-per-epoch", "20", "--out",
                floatRun.toString());
        assertEquals(0, f.code(), f.err());
        CliRun q = run("train", "--from", floatRun.toString(), "--method", "a2q+", "--acc-bits", "12", "--data", data,
                "--epochs", "1", "--steps-per-epoch", "5", "--out", quantRun.toString());
        assertEquals(0, q.code(), q.err());
    }

    @Test
    void simulatePrintsEveryLayerAndTheAgreement() {
        java.nio.file.Path folding = quantRun.resolveSibling("folding.json");
        CliRun r = run("simulate", quantRun.toString(), "--data", data, "--limit", "100", "--overflow", "saturate",
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
        // one speed line per register mode plus the statistics run; GMAC/s = images/s · MACs per image
        java.util.regex.Matcher head = java.util.regex.Pattern.compile("speed of the integer model \\(([0-9,]+) MACs per image")
                .matcher(r.out());
        assertTrue(head.find(), r.out());
        long macs = Long.parseLong(head.group(1).replace(",", ""));
        assertEquals(784L * 256 + 256 * 128 + 128 * 10, macs);   // the MLP's fc1, fc2, fc3
        for (String mode : new String[] {"EXACT", "WRAP", "SATURATE", "SATURATE with overflow statistics"}) {
            String line = r.out().lines().filter(l -> l.matches("\\s+" + mode + "\\s+[0-9,]+ images/s.*")).findFirst()
                    .orElseThrow(() -> new AssertionError(mode + " speed missing:\n" + r.out()));
            String[] f = line.trim().split("\\s+");
            double imagesPerSecond = Double.parseDouble(f[f.length - 4].replace(",", ""));
            double gmacs = Double.parseDouble(f[f.length - 2]);
            assertTrue(imagesPerSecond > 0, line);
            // images/s is printed to 1, GMAC/s to 0.001
            assertEquals(imagesPerSecond * macs / 1e9, gmacs, 0.0006 + 0.5 * macs / 1e9, line);
        }
        // the folding config holds what each layer got: fc2 (84 outputs, K 120) takes PE 4, SIMD 8
        java.util.List<FoldingConfig.Entry> entries = FoldingConfig.read(folding);
        FoldingConfig.Entry e = entries.stream().filter(x -> x.node().equals("fc2")).findFirst().orElseThrow();
        assertEquals(new Folding(4, 8), e.folding());
        assertEquals(3, entries.size());
    }

    @Test
    void traceShowsTheAdversarialAccumulationAndExports() {
        Path csv = dir.resolve("t.csv");
        CliRun r = run("trace", quantRun.toString(), "--layer", "fc2", "--channel", "5", "--input", "adversarial",
                "--csv", csv.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("fc2 channel 5, a2q+, K=256"), r.out());
        assertTrue(r.out().contains("no overflow"), r.out());
        assertTrue(Files.exists(csv));
        CliRun img = run("trace", quantRun.toString(), "--layer", "fc2", "--channel", "0", "--input", "3", "--data", data,
                "--acc-bits", "6", "--overflow", "wrap");
        assertEquals(0, img.code(), img.err());
        assertTrue(img.out().contains("input: test image 3"), img.out());
    }

    /**
     * trace --json on a test image with a 6-bit wrapping register and a 4×8 folding: the file holds
     * one step per cycle, K/SIMD of them at the channel's cycles of the MAC-array schedule, with the
     * model's own weights and the layer's inputs in the lanes; the final exact sum equals the dot
     * product computed here in long arithmetic, and the register follows it modulo 2^6.
     */
    @Test
    void traceJsonHoldsTheWholeAccumulation() throws Exception {
        Path json = dir.resolve("t.json");
        CliRun r = run("trace", quantRun.toString(), "--layer", "fc2", "--channel", "5", "--input", "3", "--data", data,
                "--acc-bits", "6", "--overflow", "wrap", "--pe", "4", "--simd", "8", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        com.fasterxml.jackson.databind.JsonNode t = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());

        // the same layer and input, independently of the trace: the model's integer weights and test image 3
        IntegerModel m = IntegerModel.compile(org.a2q.engine.io.RunFile.load(org.a2q.engine.io.RunFile.resolve(quantRun),
                org.a2q.engine.quant.Quantization::restore).graph(), AccumulatorPolicy.hidden(6));
        int[] q = m.layer("fc2").weights().row(5);
        org.nd4j.linalg.api.ndarray.INDArray image = new org.a2q.engine.data.Batcher(TestData.sample().test(), 1)
                .fill(new int[] {3}, 0, 1).features();
        int[] x = m.layerInput("fc2", image, AccumulatorMode.WRAP)[0];
        long dot = 0;
        for (int i = 0; i < q.length; i++) {
            dot += (long) q[i] * x[i];
        }

        assertEquals(256, q.length);
        assertEquals(5, t.get("channel").asInt());
        assertEquals(6, t.get("acc_bits").asInt());
        assertEquals("WRAP", t.get("mode").asText());
        assertEquals(4, t.get("PE").asInt());
        assertEquals(8, t.get("SIMD").asInt());
        assertEquals(1, t.get("pe").asInt());                      // channel 5 sits on PE 5 mod 4
        com.fasterxml.jackson.databind.JsonNode steps = t.get("steps");
        assertEquals(256 / 8, steps.size());                       // one register update per cycle
        assertEquals(dot, t.get("exact_result").asLong());
        assertEquals(dot, steps.get(steps.size() - 1).get("exact_partial_sum").asLong());
        long wrapped = Math.floorMod(dot + 32, 64) - 32;           // dot mod 2^6, read as signed
        assertEquals(wrapped, t.get("result").asLong());
        long exact = 0;
        long register = 0;
        int firstOverflow = -1;
        for (int sf = 0; sf < steps.size(); sf++) {
            com.fasterxml.jackson.databind.JsonNode s = steps.get(sf);
            // 128 outputs over 4 PEs: 32 neuron folds, 32 synapse folds; channel 5 is in neuron fold 1
            assertEquals(sf, s.get("step").asInt());
            assertEquals(32 + sf, s.get("cycle").asLong());
            long lane = 0;
            for (int l = 0; l < 8; l++) {
                com.fasterxml.jackson.databind.JsonNode op = s.get("lanes").get(l);
                int i = sf * 8 + l;
                assertEquals(i, op.get("input_index").asInt());
                assertEquals(q[i], op.get("weight").asInt());
                assertEquals(x[i], op.get("input").asInt());
                assertEquals((long) q[i] * x[i], op.get("product").asLong());
                lane += (long) q[i] * x[i];
            }
            exact += lane;
            long incoming = register + lane;
            boolean overflow = incoming < -32 || incoming > 31;
            register = Math.floorMod(incoming + 32, 64) - 32;
            if (overflow && firstOverflow < 0) {
                firstOverflow = sf;
            }
            assertEquals(lane, s.get("lane_sum").asLong());
            assertEquals(exact, s.get("exact_partial_sum").asLong());
            assertEquals(incoming, s.get("register_incoming").asLong());
            assertEquals(register, s.get("register").asLong());
            assertEquals(overflow, s.get("overflow").asBoolean());
            assertEquals(6, s.get("register_bits").asText().length());
        }
        assertEquals(firstOverflow, t.get("first_overflow_step").asInt());
        assertTrue(firstOverflow >= 0, "P = 6 is narrow enough for this dot product to overflow: exact " + dot);
    }

    @Test
    void errorsAreOneClearLine() {
        CliRun fp = run("simulate", floatRun.toString(), "--data", data, "--limit", "10");
        assertEquals(1, fp.code());
        assertTrue(fp.err().startsWith("error: layer 'fc1' is not quantized (FP32)"), fp.err());
        assertFalse(fp.err().contains("\tat "), fp.err());
        CliRun mode = run("simulate", quantRun.toString(), "--overflow", "clip");
        assertEquals(1, mode.code());
        assertTrue(mode.err().contains("--overflow must be exact, wrap or saturate"), mode.err());
        CliRun layer = run("trace", quantRun.toString(), "--layer", "conv9", "--channel", "0");
        assertEquals(1, layer.code());
        assertTrue(layer.err().contains("no conv/linear layer named 'conv9'"), layer.err());
        CliRun ch = run("trace", quantRun.toString(), "--layer", "fc3", "--channel", "10");
        assertEquals(1, ch.code());
        assertTrue(ch.err().contains("channels 0..9"), ch.err());
    }
}
