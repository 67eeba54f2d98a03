package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;

import org.a2q.engine.TestData;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Pool2d;
import org.a2q.engine.quant.ActivationQuantizer;
import org.a2q.engine.quant.QuantMethod;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fast integer path (images in batches, dot products as column kernels on a thread pool,
 * quantizers and ReLU in Java) against the straightforward one (image by image, one dot product at
 * a time along K, on the calling thread): every integer tensor must be identical.
 */
class IntegerModelFastPathTest {
    private static DatasetSplit data;
    /** W4A4 A2Q+ at P = 12 (first/last layers 8-bit), briefly trained. */
    private static Graph a2qPlus;
    /** W4A4 unconstrained QAT from the same float model. */
    private static Graph qat;

    @BeforeAll
    static void models() {
        data = TestData.sample();
        a2qPlus = LenetModels.a2qPlus();
        qat = LenetModels.qat();
    }

    private static INDArray images(int from, int count) {
        int[] items = new int[data.test().size()];
        for (int i = 0; i < items.length; i++) {
            items[i] = i;
        }
        return new Batcher(data.test(), count).fill(items, from, count).features();
    }

    /**
     * On 160 test images, in every register mode: the A2Q+ model at its widths, both models with
     * every layer at P = 9 (the QAT one overflows and saturates in every layer), and SIMD foldings
     * whose cycles group products. Codes of every quantizer and grid node, registers of every
     * conv/linear, overflow tallies, logits and predictions agree exactly, with and without stats.
     */
    @Test
    void batchedPathEqualsThePerImagePathBitForBit() {
        INDArray x = images(100, 160);
        Object[][] configs = {
            {a2qPlus, AccumulatorPolicy.AS_TRAINED, Folding.SEQUENTIAL},
            {a2qPlus, AccumulatorPolicy.all(9), new Folding(4, 5)},
            {qat, AccumulatorPolicy.all(9), Folding.SEQUENTIAL},
            {qat, AccumulatorPolicy.hidden(10), new Folding(2, 3)},
        };
        long qatWrong = 0;
        long qatClipped = 0;
        for (Object[] cfg : configs) {
            IntegerModel m = IntegerModel.compile((Graph) cfg[0], (AccumulatorPolicy) cfg[1], (Folding) cfg[2]);
            for (AccumulatorMode mode : AccumulatorMode.values()) {
                String where = (cfg[0] == qat ? "qat " : "a2q+ ") + cfg[1] + " " + cfg[2] + " " + mode;
                Map<String, OverflowTally> fastTally = m.newTallies();
                Map<String, OverflowTally> refTally = m.newTallies();
                IntegerModel.Capture fast = m.capture(x, mode, fastTally, false);
                IntegerModel.Capture plain = m.capture(x, mode, null, false);
                IntegerModel.Capture ref = m.capture(x, mode, refTally, true);
                assertEquals(ref.codes().keySet(), fast.codes().keySet(), where);
                for (String q : ref.codes().keySet()) {
                    assertArrayEquals(ref.codes().get(q), fast.codes().get(q), where + " codes of " + q);
                    assertArrayEquals(ref.codes().get(q), plain.codes().get(q), where + " codes of " + q);
                }
                assertEquals(5, ref.registers().size(), where);
                for (String l : ref.registers().keySet()) {
                    assertArrayEquals(ref.registers().get(l), fast.registers().get(l), where + " registers of " + l);
                    assertArrayEquals(ref.registers().get(l), plain.registers().get(l), where + " registers of " + l);
                    assertEquals(refTally.get(l).channels(), fastTally.get(l).channels(), where + " tally of " + l);
                    assertEquals(160L * m.layer(l).pixels(), fastTally.get(l).channel(0).dotProducts());
                }
                assertArrayEquals(ref.logits(), fast.logits(), where + " logits");
                assertArrayEquals(ref.logits(), plain.logits(), where + " logits");
                assertArrayEquals(ref.logits(), m.forward(x, mode, null), where + " forward");
                assertArrayEquals(IntegerModel.argmax(ref.logits()), IntegerModel.argmax(fast.logits()), where);
                if (cfg[0] == qat && mode != AccumulatorMode.EXACT) {
                    for (OverflowTally t : fastTally.values()) {
                        if (mode == AccumulatorMode.WRAP) {
                            qatWrong += t.totalMismatches();
                        } else {
                            qatClipped += t.totalMismatches();
                        }
                    }
                }
            }
        }
        // The comparison covered registers that wrapped and registers that clipped.
        assertTrue(qatWrong > 1000 && qatClipped > 1000, "wrapped " + qatWrong + ", clipped " + qatClipped);
    }

    /**
     * Random conv geometries (channels, kernel, stride, padding, including padding wider than the
     * kernel and outputs narrower than one SIMD register): the columns layout holds exactly the
     * im2col patches, and a layer's batched registers and requantised outputs equal the patch rows
     * run one dot product at a time.
     */
    @Test
    void columnsEqualPatchesOnRandomLayers() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int t = 0; t < 150; t++) {
            int cin = 1 + rnd.nextInt(3);
            int cout = 1 + rnd.nextInt(5);
            int kh = 1 + rnd.nextInt(4);
            int kw = 1 + rnd.nextInt(4);
            int ph = rnd.nextInt(4);
            int pw = rnd.nextInt(4);
            int h = Math.max(1, kh - 2 * ph) + rnd.nextInt(7);
            int w = Math.max(1, kw - 2 * pw) + rnd.nextInt(7);
            int sh = 1 + rnd.nextInt(3);
            int sw = 1 + rnd.nextInt(3);
            InputFormat fmt = new InputFormat(2 + rnd.nextInt(7), rnd.nextBoolean());
            int[][] q = new int[cout][cin * kh * kw];
            for (int[] row : q) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(-31, 32);
                }
            }
            double[] scales = new double[cout];
            double[] bias = new double[cout];
            for (int c = 0; c < cout; c++) {
                scales[c] = 0.001 + rnd.nextDouble();
                bias[c] = rnd.nextDouble() - 0.5;
            }
            int p = 6 + rnd.nextInt(10);
            IntegerLayer l = new IntegerLayer("t", true, new IntWeights(q), scales, bias, fmt, 0.05, "q", QuantMethod.QAT,
                    6, 0, p, false, null, 0, new int[] {cin, h, w, kh, kw, sh, sw, ph, pw}, Folding.SEQUENTIAL);
            int samples = 1 + rnd.nextInt(40);
            int[][] codes = new int[samples][cin * h * w];
            for (int[] c : codes) {
                for (int i = 0; i < c.length; i++) {
                    c[i] = rnd.nextInt(fmt.min(), fmt.max() + 1);
                }
            }
            String where = "geometry " + t + ": " + cin + "x" + h + "x" + w + " k" + kh + "x" + kw + " s" + sh + "x" + sw
                    + " p" + ph + "x" + pw;
            int pix = l.pixels();
            int[][] patches = l.newPatches();
            int[][] cols = new int[l.dotLength()][pix + 3];
            l.im2col(codes[0], patches);
            l.im2colColumns(codes[0], cols, 3);
            for (int px = 0; px < pix; px++) {
                for (int i = 0; i < l.dotLength(); i++) {
                    assertEquals(patches[px][i], cols[i][3 + px], where + " element " + i + " of pixel " + px);
                }
            }
            for (AccumulatorMode mode : AccumulatorMode.values()) {
                MatVecEngine e = l.engine(mode);
                OverflowTally fastTally = e.newTally();
                OverflowTally refTally = e.newTally();
                float[] out = new float[samples * cout * pix];
                long[][] registers = new long[samples][];
                l.forwardSamples(codes, 0, samples, e, fastTally, out, registers);
                long[][] acc = new long[pix][cout];
                for (int b = 0; b < samples; b++) {
                    l.im2col(codes[b], patches);
                    e.compute(patches, acc, refTally);
                    for (int px = 0; px < pix; px++) {
                        for (int c = 0; c < cout; c++) {
                            assertEquals(acc[px][c], registers[b][c * pix + px], where + " " + mode);
                            assertEquals((float) l.dequantize(c, acc[px][c]), out[(b * cout + c) * pix + px], where);
                        }
                    }
                }
                assertEquals(refTally.channels(), fastTally.channels(), where + " " + mode);
            }
        }
    }

    /**
     * Max-pooling on codes against the float max-pool layer on the codes' values, for random
     * windows, strides and paddings (overlapping windows, windows partly in the padding).
     */
    @Test
    void maxPoolOnCodesEqualsTheFloatMaxPool() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int t = 0; t < 60; t++) {
            int k = 1 + rnd.nextInt(4);
            int stride = 1 + rnd.nextInt(3);
            int pad = rnd.nextInt(k / 2 + 1);
            int ch = 1 + rnd.nextInt(3);
            int h = k + rnd.nextInt(6);
            int w = k + rnd.nextInt(6);
            Pool2d pool = new Pool2d(Pool2d.Kind.MAX, k, k, stride, stride, pad, pad, false);
            int batch = 3;
            int[][] codes = new int[batch][ch * h * w];
            float[] real = new float[batch * ch * h * w];
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < codes[b].length; i++) {
                    codes[b][i] = rnd.nextInt(-8, 8);
                    real[b * codes[b].length + i] = codes[b][i];
                }
            }
            long[] in = {ch, h, w};
            long[] outShape = pool.outputShape(new long[] {batch, ch, h, w});
            long[] out = {outShape[1], outShape[2], outShape[3]};
            int[][] pooled = IntegerModel.maxPool(pool, codes, in, out);
            float[] expected = pool.forward(new INDArray[] {Nd4j.create(real, new long[] {batch, ch, h, w}, 'c')}, false)
                    .dup('c').data().asFloat();
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < pooled[b].length; i++) {
                    assertEquals(expected[b * pooled[b].length + i], pooled[b][i], 0.0,
                            "k" + k + " s" + stride + " p" + pad + " " + ch + "x" + h + "x" + w + " at " + i);
                }
            }
        }
    }

    /**
     * The Java quantizer arithmetic against the activation quantizer's own forward pass (ND4J ops):
     * on every exact rounding tie (k + 1/2)·s that float32 can hit, its two float neighbours, values
     * beyond both clamps and random values, for unsigned, signed and the fixed 8-bit image quantizer,
     * code·s equals the fake-quantized output exactly.
     */
    @Test
    void quantizerArithmeticEqualsTheFakeQuantizer() {
        ActivationQuantizer u4 = ActivationQuantizer.learned("u4", 4, false);
        u4.setScale(0.173);
        ActivationQuantizer s4 = ActivationQuantizer.learned("s4", 4, true);
        s4.setScale(0.0625);   // a power of two: every (k + 1/2)·s is an exact tie
        ActivationQuantizer s6 = ActivationQuantizer.learned("s6", 6, true);
        s6.setScale(0.0371);
        ActivationQuantizer u8 = ActivationQuantizer.fixed("u8", 8, false, 1 / 255.0);
        SplittableRandom rnd = new SplittableRandom(3);
        int exactTies = 0;
        for (ActivationQuantizer aq : new ActivationQuantizer[] {u4, s4, s6, u8}) {
            float s = (float) aq.scale();
            int lo = (int) aq.minCode();
            int hi = (int) aq.maxCode();
            float[] x = new float[(hi - lo + 5) * 3 + 500];
            int n = 0;
            for (int k = lo - 2; k <= hi + 2; k++) {
                float tie = (k + 0.5f) * s;
                x[n++] = tie;
                x[n++] = Math.nextUp(tie);
                x[n++] = Math.nextDown(tie);
                exactTies += tie / s == k + 0.5f ? 1 : 0;
            }
            while (n < x.length) {
                x[n++] = (float) ((rnd.nextDouble() * (hi - lo + 4) + lo - 2) * s);
            }
            INDArray in = Nd4j.create(x, new long[] {1, x.length}, 'c').castTo(DataType.FLOAT);
            float[] y = aq.forward(new INDArray[] {in}, false).dup('c').data().asFloat();
            int[] codes = new int[x.length];
            IntegerModel.quantizeCodes(x, 0, s, lo, hi, codes);
            for (int i = 0; i < x.length; i++) {
                // == rather than assertEquals: the fake quantizer gives −0.0 for codes rounded up to 0
                // from below, code 0 gives +0.0, and the two are the same real value.
                assertTrue(y[i] == codes[i] * s, aq.bits() + "-bit quantizer at x = " + x[i] + " (x/s = " + x[i] / s
                        + "): fake-quantized " + y[i] + ", code " + codes[i]);
                assertTrue(codes[i] >= lo && codes[i] <= hi);
            }
        }
        assertTrue(exactTies > 50, "only " + exactTies + " exact ties were tested");
    }
}
