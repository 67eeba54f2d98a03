package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The A2Q/A2Q+ weight quantizer's SIMD row loops against its libnd4j passes. The two sum rows in
 * different orders, so z may differ in its last bits; everything else follows from z with the same
 * float operations. Values near an integer may then truncate differently, nothing else may.
 */
class SimdChannelRowsTest {
    @ParameterizedTest
    @CsvSource({
        "A2Q_PLUS, 120, 400, 4, 12", "A2Q_PLUS, 16, 150, 4, 12", "A2Q_PLUS, 84, 120, 4, 12", "A2Q_PLUS, 6, 17, 3, 16",
        "A2Q_PLUS, 5, 1, 4, 12", "A2Q_PLUS, 9, 31, 8, 24", "A2Q, 120, 400, 4, 12", "A2Q, 16, 150, 4, 16",
        "A2Q, 7, 23, 3, 16", "A2Q, 4, 1, 4, 12",
    })
    void rowLoopsMatchThePasses(A2qVariant variant, int channels, int k, int weightBits, int accBits) {
        boolean plus = variant == A2qVariant.A2Q_PLUS;
        Random rnd = new Random(channels * 31L + k);
        for (boolean bigNorms : new boolean[] {false, true}) {
            // An arena with the weight at an offset, as the graph keeps parameters.
            INDArray arena = Nd4j.create(DataType.FLOAT, 7 + channels * k);
            INDArray v = arena.get(NDArrayIndex.interval(7, 7 + channels * k)).reshape(channels, k);
            float[] w = new float[channels * k];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (rnd.nextGaussian() * 0.1);
            }
            if (k > 1) {
                java.util.Arrays.fill(w, 0, k, 0.25f);                 // a row equal throughout: degenerate under A2Q+
                java.util.Arrays.fill(w, w.length - k, w.length, 0f);  // a zero row: degenerate under both
            }
            v.assign(Nd4j.createFromArray(w).reshape(channels, k));

            AccumulatorAwareWeightQuantizer simd = quantizer(variant, channels, weightBits, accBits);
            AccumulatorAwareWeightQuantizer passes = quantizer(variant, channels, weightBits, accBits);
            passes.useSimd(false);
            simd.initialize(v, InitMode.NAIVE);
            passes.initialize(v, InitMode.NAIVE);
            if (bigNorms) {   // g far above T·s: g′ = T, so some |z| reach the clamp at 2^(M−1)
                simd.normParam().value().addi(6);
                passes.normParam().value().addi(6);
            }
            INDArray wSimd = simd.forward(v).dup();
            INDArray wPasses = passes.forward(v).dup();

            double[][] zs = simd.preRoundingValues();
            double[][] zp = passes.preRoundingValues();
            long[][] qs = simd.integerWeights().q();
            long[][] qp = passes.integerWeights().q();
            double limit = (1L << (weightBits - 1)) - 1;
            if (plus && k > 1) {
                // The equal row centres to exactly 0 here (mean summed in double); the passes' mean
                // (a float dot product with 1/K) leaves rounding noise that z then scales up.
                assertEquals(0, java.util.Arrays.stream(qs[0]).map(Math::abs).sum(), "equal row");
            }
            int first = plus && k > 1 ? 1 : 0;
            for (int c = first; c < channels; c++) {
                for (int i = 0; i < k; i++) {
                    assertEquals(zp[c][i], zs[c][i], 4e-6 * Math.max(1, Math.abs(zp[c][i])), "z at " + c + "," + i);
                    double a = Math.min(Math.abs(zs[c][i]), limit);
                    double b = Math.min(Math.abs(zp[c][i]), limit);
                    if (Math.floor(a) == Math.floor(b)) {   // not straddling an integer: same code
                        assertEquals(qp[c][i], qs[c][i], "q at " + c + "," + i);
                        assertEquals(wPasses.getFloat(c, i), wSimd.getFloat(c, i), 0f, "ŵ at " + c + "," + i);
                    }
                }
            }
            if (bigNorms && k > 1 && accBits >= 16) {
                assertTrue(maxAbs(zs) >= limit + 1, "the clamp is exercised");
            }
            // Per-row tolerances from the row sums' rounding: 1e-4 of the sums' magnitudes.
            double[] s = passes.scales();
            double[] g = passes.norms();
            double[] used = passes.budgetsUsed();
            double[] l1 = rowL1(v, plus);

            INDArray gradW = Nd4j.randn(DataType.FLOAT, channels, k).muli(0.01);
            for (boolean inPlace : new boolean[] {true, false}) {
                INDArray gs = gradW.dup();
                INDArray gp = gradW.dup();
                INDArray gvSimd = inPlace ? gs : Nd4j.create(DataType.FLOAT, channels, k);
                INDArray gvPasses = inPlace ? gp : Nd4j.create(DataType.FLOAT, channels, k);
                simd.backward(gs, gvSimd);
                passes.backward(gp, gvPasses);
                double[] dt = passes.normParam().grad().toDoubleVector();
                double[] dd = passes.scaleParam().grad().toDoubleVector();
                double[] dtSimd = simd.normParam().grad().toDoubleVector();
                double[] ddSimd = simd.scaleParam().grad().toDoubleVector();
                for (int c = first; c < channels; c++) {
                    double terms = 0;   // Σ|c_i|·(|q_i| + |z_i|): the size of the row dots' terms
                    double straddling = 0;   // Σ|c_i·Δq_i| where z crossed an integer: Σ c·q moves by that
                    double largestC = 0;
                    for (int i = 0; i < k; i++) {
                        double ci = Math.abs(gradW.getDouble(c, i));
                        terms += ci * (Math.abs(qp[c][i]) + Math.abs(zp[c][i]));
                        straddling += ci * Math.abs(qp[c][i] - qs[c][i]);
                        largestC = Math.max(largestC, ci);
                    }
                    double ln2 = Math.log(2);
                    assertEquals(dd[c], ddSimd[c], (1e-4 * terms + straddling) * s[c] * ln2 + 1e-12, "∂L/∂d of row " + c);
                    assertEquals(dt[c], dtSimd[c], 1e-4 * terms / used[c] * g[c] * ln2 + 1e-12, "∂L/∂t of row " + c);
                    double alpha = l1[c] == 0 ? 0 : s[c] * used[c] / l1[c];   // |∂L/∂u| ≤ 2α·max|c|
                    for (int i = 0; i < k; i++) {
                        assertEquals(gvPasses.getDouble(c, i), gvSimd.getDouble(c, i), 1e-4 * 2 * alpha * largestC + 1e-12,
                                "∂L/∂v at " + c + "," + i + (inPlace ? " in place" : ""));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"6, 25, 8", "10, 84, 8", "16, 150, 4", "3, 1, 4", "5, 33, 3"})
    void baselineRowLoopsMatchThePasses(int channels, int k, int weightBits) {
        // No row sums before rounding here: x, q, ŵ and ∂L/∂v are the passes' bit for bit.
        Random rnd = new Random(channels * 17L + k);
        INDArray arena = Nd4j.create(DataType.FLOAT, 5 + channels * k);
        INDArray v = arena.get(NDArrayIndex.interval(5, 5 + channels * k)).reshape(channels, k);
        v.assign(Nd4j.randn(DataType.FLOAT, channels, k).muli(0.1));
        PerChannelWeightQuantizer simd = new PerChannelWeightQuantizer("w", channels, weightBits, ScaleDomain.LOG2);
        PerChannelWeightQuantizer passes = new PerChannelWeightQuantizer("w", channels, weightBits, ScaleDomain.LOG2);
        passes.useSimd(false);
        simd.initialize(v);
        passes.initialize(v);
        simd.scaleParam().value().subi(0.7);   // a smaller scale, so that some |v/s| exceed the range
        passes.scaleParam().value().subi(0.7);
        assertBitsEqual(passes.forward(v), simd.forward(v), "ŵ");
        INDArray gradW = Nd4j.randn(DataType.FLOAT, channels, k);
        INDArray gs = gradW.dup();
        INDArray gp = gradW.dup();
        simd.backward(gs, gs);
        passes.backward(gp, gp);
        assertBitsEqual(gp, gs, "∂L/∂v");
        assertTrue(gp.eq(0).castTo(DataType.INT32).sumNumber().intValue() > 0, "some weights are clipped");
        double[] dd = passes.scaleParam().grad().toDoubleVector();
        double[] ddSimd = simd.scaleParam().grad().toDoubleVector();
        double[] s = passes.scales();
        for (int c = 0; c < channels; c++) {
            double terms = 0;
            for (int i = 0; i < k; i++) {
                terms += Math.abs(gradW.getDouble(c, i)) * (Math.pow(2, weightBits - 1) + Math.abs(v.getDouble(c, i) / s[c]));
            }
            assertEquals(dd[c], ddSimd[c], 1e-5 * terms * s[c] * Math.log(2), "∂L/∂d of row " + c);
        }
    }

    private static void assertBitsEqual(INDArray expected, INDArray actual, String what) {
        float[] e = expected.dup('c').reshape(expected.length()).toFloatVector();
        float[] a = actual.dup('c').reshape(actual.length()).toFloatVector();
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i])) {
                throw new AssertionError(what + ": value " + i + " is " + a[i] + ", the passes give " + e[i]);
            }
        }
    }

    private static AccumulatorAwareWeightQuantizer quantizer(A2qVariant variant, int channels, int weightBits, int accBits) {
        return new AccumulatorAwareWeightQuantizer("w", variant, channels, weightBits, accBits, 4, false, ScaleDomain.LOG2);
    }

    private static double maxAbs(double[][] z) {
        double m = 0;
        for (double[] row : z) {
            for (double x : row) {
                m = Math.max(m, Math.abs(x));
            }
        }
        return m;
    }

    /** ‖u‖₁ per row in double (A2Q+: u = v − mean(v), plus |Σu|, which is ≈ 0). */
    private static double[] rowL1(INDArray v, boolean plus) {
        double[][] rows = v.toDoubleMatrix();
        double[] l1 = new double[rows.length];
        for (int c = 0; c < rows.length; c++) {
            double mean = plus ? java.util.Arrays.stream(rows[c]).average().orElse(0) : 0;
            for (double x : rows[c]) {
                l1[c] += Math.abs(x - mean);
            }
        }
        return l1;
    }
}
