package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.a2q.engine.nn.Buffers;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The SIMD loops of the fake quantizer against its libnd4j passes, value for value. */
class SimdFakeQuantTest {
    private static final int[] LENGTHS = {1, 7, 8, 15, 16, 17, 31, 100, 1000, 1024 + 9, 4 * 1024 + 3, 37632};

    @Test
    void theTestJvmTakesTheSimdLoops() {
        // The test runner adds jdk.incubator.vector as ./a2q does; without it every test below
        // would compare the passes with themselves.
        assertTrue(NativeFloatSpan.SIMD, "jdk.incubator.vector is not resolved in this JVM");
    }

    @Test
    void forwardGivesTheCodesOfThePassesBitForBit() {
        Random rnd = new Random(7);
        for (int n : LENGTHS) {
            for (double[] range : new double[][] {{0, 15}, {-8, 7}, {0, 255}, {-128, 127}}) {
                double s = 0.037;
                INDArray x = values(rnd, n, s, range[0], range[1]);
                INDArray[] simd = forward(new FakeQuantKernel(), x, s, range[0], range[1], true);
                INDArray[] passes = forward(new FakeQuantKernel(), x, s, range[0], range[1], false);
                for (int k = 0; k < 3; k++) {
                    assertBitsEqual(passes[k], simd[k], "n=" + n + " range " + range[0] + ".." + range[1] + " output " + k);
                }
            }
        }
    }

    @Test
    void forwardInPlaceAndWithoutOutput() {
        Random rnd = new Random(8);
        INDArray x = values(rnd, 1000, 0.1, 0, 15);
        INDArray[] expected = forward(new FakeQuantKernel(), x, 0.1, 0, 15, false);
        INDArray one = x.ulike();
        new FakeQuantKernel().quantize(x, 0.1, 0, 15, one, one, one);   // t, q and y in one array: ends as y
        assertBitsEqual(expected[2], one, "in place");
        INDArray t = x.ulike();
        INDArray q = x.ulike();
        new FakeQuantKernel().quantize(x, 0.1, 0, 15, t, q, null);
        assertBitsEqual(expected[1], q, "codes only");
    }

    @Test
    void backwardGivesTheMaskOfThePassesAndTheLsqSum() {
        Random rnd = new Random(9);
        for (int n : LENGTHS) {
            for (boolean afterRelu : new boolean[] {true, false}) {
                double lo = afterRelu ? 0 : -8;
                double hi = afterRelu ? 15 : 7;
                double s = 0.05;
                INDArray x = values(rnd, n, s, lo, hi);
                INDArray t = x.ulike();
                INDArray q = x.ulike();
                FakeQuantKernel kernel = new FakeQuantKernel();
                kernel.codes(x, s, lo, hi, t, q);
                INDArray dy = Nd4j.rand(DataType.FLOAT, n).subi(0.5);
                double cut = afterRelu ? 0.0 : kernel.below(lo, DataType.FLOAT);

                INDArray dxPasses = dy.ulike();
                double sumPasses = kernel.codeDot(dy, q);
                kernel.passMask(dy, t, cut, hi, dxPasses);
                sumPasses -= kernel.insideDot(dxPasses, t);

                INDArray dxSimd = dy.ulike();
                double sumSimd = kernel.backward(dy, t, q, cut, hi, dxSimd);
                assertBitsEqual(dxPasses, dxSimd, "n=" + n + " afterRelu " + afterRelu);

                // Both against the sum in double of the same float products.
                float[] d = dy.toFloatVector();
                float[] tv = t.toFloatVector();
                float[] qv = q.toFloatVector();
                float[] g = dxSimd.toFloatVector();
                double exact = 0;
                double magnitude = 0;
                for (int i = 0; i < n; i++) {
                    exact += (double) d[i] * qv[i] - (double) g[i] * tv[i];
                    magnitude += Math.abs((double) d[i] * qv[i]) + Math.abs((double) g[i] * tv[i]);
                }
                double tolerance = 1e-6 * magnitude + 1e-12;
                assertEquals(exact, sumSimd, tolerance, "SIMD sum, n=" + n);
                assertEquals(exact, sumPasses, 4 * tolerance, "passes' sum, n=" + n);
            }
        }
    }

    @Test
    void backwardOverwritingDyAndWithoutCodes() {
        Random rnd = new Random(10);
        INDArray x = values(rnd, 777, 0.2, 0, 15);
        INDArray t = x.ulike();
        INDArray q = x.ulike();
        FakeQuantKernel kernel = new FakeQuantKernel();
        kernel.codes(x, 0.2, 0, 15, t, q);
        INDArray dy = Nd4j.rand(DataType.FLOAT, 777);
        INDArray expected = dy.ulike();
        double sum = kernel.backward(dy, t, q, 0.0, 15, expected);
        INDArray inPlace = dy.dup();
        assertEquals(sum, kernel.backward(inPlace, t, q, 0.0, 15, inPlace), 0.0);
        assertBitsEqual(expected, inPlace, "dx over dy");
        INDArray noCodes = dy.ulike();
        assertEquals(0.0, kernel.backward(dy, t, null, 0.0, 15, noCodes), 0.0);
        assertBitsEqual(expected, noCodes, "mask without the sum");
    }

    @Test
    void viewsOfABatchAndNonDenseArrays() {
        // The second half of a batch is a view at an offset into the batch's memory; a transposed
        // array cannot be walked in order and goes through the passes. Both give the same values.
        Random rnd = new Random(11);
        INDArray batch = values(rnd, 64 * 49, 0.05, 0, 15).reshape(64, 49);
        INDArray half = batch.get(NDArrayIndex.interval(32, 64), NDArrayIndex.all());
        assertTrue(half.offset() > 0);
        INDArray[] fromView = forward(new FakeQuantKernel(), half, 0.05, 0, 15, true);
        INDArray[] fromCopy = forward(new FakeQuantKernel(), half.dup('c'), 0.05, 0, 15, false);
        assertBitsEqual(fromCopy[2], fromView[2], "view at an offset");

        INDArray transposed = batch.transpose();
        assertTrue(!Buffers.reshapesInPlace(transposed));
        INDArray t = Nd4j.create(DataType.FLOAT, transposed.shape());
        INDArray q = Nd4j.create(DataType.FLOAT, transposed.shape());
        INDArray y = Nd4j.create(DataType.FLOAT, transposed.shape());
        new FakeQuantKernel().quantize(transposed, 0.05, 0, 15, t, q, y);
        INDArray[] dense = forward(new FakeQuantKernel(), transposed.dup('c'), 0.05, 0, 15, false);
        assertBitsEqual(dense[2], y, "transposed input");
    }

    /** t, q, y of the SIMD loops (simd) or of the libnd4j passes. */
    private static INDArray[] forward(FakeQuantKernel kernel, INDArray x, double s, double lo, double hi, boolean simd) {
        INDArray t = Nd4j.create(DataType.FLOAT, x.shape());
        INDArray q = Nd4j.create(DataType.FLOAT, x.shape());
        INDArray y = Nd4j.create(DataType.FLOAT, x.shape());
        if (simd) {
            kernel.quantize(x, s, lo, hi, t, q, y);
        } else {
            kernel.codes(x, s, lo, hi, t, q);
            kernel.times(q, s, y);
        }
        return new INDArray[] {t, q, y};
    }

    /**
     * Float values around [lo, hi]·s: uniform, exact ties (k + ½)·s, the range ends, far outside,
     * zeros of both signs.
     */
    private static INDArray values(Random rnd, int n, double s, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double code = lo - 3 + rnd.nextDouble() * (hi - lo + 6);
            v[i] = switch (rnd.nextInt(8)) {
                case 0 -> (float) ((Math.floor(code) + 0.5) * s);
                case 1 -> (float) (lo * s);
                case 2 -> (float) (hi * s);
                case 3 -> (float) ((rnd.nextBoolean() ? 1e6 : -1e6) * s);
                case 4 -> rnd.nextBoolean() ? 0f : -0f;
                default -> (float) (code * s);
            };
        }
        return Nd4j.createFromArray(v);
    }

    private static void assertBitsEqual(INDArray expected, INDArray actual, String what) {
        float[] e = expected.dup('c').reshape(expected.length()).toFloatVector();
        float[] a = actual.dup('c').reshape(actual.length()).toFloatVector();
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i])) {
                throw new AssertionError(what + ": value " + i + " is " + a[i] + ", the passes give " + e[i]);
            }
        }
    }
}
