package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.a2q.engine.DoublePrecision;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The single-channel examples of a2q-math.md §7.4 and the gradient vector of §7.6, in double. */
class QuantizerExamplesTest {
    private static final double[] W = {0.42, -0.31, 0.18, -0.05, 0.27, -0.46, 0.09, 0.12};
    private static final double TOL = 1e-6;

    @BeforeAll
    static void useDouble() {
        DoublePrecision.enter();
    }

    @AfterAll
    static void restore() {
        DoublePrecision.leave();
    }

    /** Everything one §7.4 row shows, run through the quantizer. */
    private record Outcome(
            AccumulatorAwareWeightQuantizer quantizer,
            AccumulatorAwareWeightQuantizer.InitSummary init,
            double[] v,
            double[] z,
            long[] q,
            long pos,
            long neg,
            double s) {}

    private static Outcome run(A2qVariant variant, InitMode mode, int n, boolean signed, int p, int m) {
        AccumulatorAwareWeightQuantizer quant =
                new AccumulatorAwareWeightQuantizer("l", variant, 1, m, p, n, signed, ScaleDomain.LOG2);
        INDArray weight = Nd4j.createFromArray(W).reshape(1, W.length);
        AccumulatorAwareWeightQuantizer.InitSummary init = quant.initialize(weight, mode);
        INDArray wHat = quant.forward(weight);
        IntegerWeights iw = quant.integerWeights();
        double s = quant.scales()[0];
        double[] wHatValues = wHat.toDoubleVector();
        for (int i = 0; i < W.length; i++) {
            assertEquals(s * iw.q()[0][i], wHatValues[i], 1e-15, "ŵ = s·q at " + i);
        }
        return new Outcome(quant, init, weight.toDoubleVector(), quant.preRoundingValues()[0], iw.q()[0],
                iw.pos()[0], iw.neg()[0], s);
    }

    private static double mse(long[] q, double s) {
        double sum = 0;
        for (int i = 0; i < W.length; i++) {
            double d = W[i] - s * q[i];
            sum += d * d;
        }
        return sum / W.length;
    }

    /** (hi, lo) for 4-bit inputs computed here, not by the code under test. */
    private static long[] worst(long pos, long neg, boolean signed) {
        long xMin = signed ? -8 : 0;
        long xMax = signed ? 7 : 15;
        return new long[] {xMax * pos - xMin * neg, xMin * pos - xMax * neg};
    }

    private static void checkRow(Outcome o, long[] q, long l1, long pos, long neg, long hi, long lo, double mse,
            boolean signed) {
        assertArrayEquals(q, o.q());
        assertEquals(l1, o.pos() + o.neg());
        assertEquals(pos, o.pos());
        assertEquals(neg, o.neg());
        assertArrayEquals(new long[] {hi, lo}, worst(o.pos(), o.neg(), signed));
        assertTrue(Math.abs(hi) <= 127 && Math.abs(lo) <= 127, "fits ±127");
        assertEquals(mse, mse(o.q(), o.s()), 1e-6);
        assertEquals(0.46 / 7, o.s(), 1e-12);
    }

    @Test
    void a2qNaiveRow() {
        Outcome o = run(A2qVariant.A2Q, InitMode.NAIVE, 4, false, 8, 4);
        assertArrayEquals(W, o.v(), 0.0);
        assertEquals(1.9, o.quantizer().norms()[0], 1e-12);
        assertEquals(28.913043, 1.9 / o.s(), 1e-6);
        assertTrue(o.quantizer().normClamped()[0]);
        assertEquals(7.9375, o.quantizer().bound(), 0.0);
        assertArrayEquals(new double[] {1.754605, -1.295066, 0.751974, -0.208882, 1.127961, -1.921711, 0.375987,
                0.501316}, o.z(), TOL);
        checkRow(o, new long[] {1, -1, 0, 0, 1, -1, 0, 0}, 4, 2, 2, 30, -30, 0.054973, false);
        assertEquals(4.0 / 7, (double) (o.pos() + o.neg()) / AccumulatorBound.floorA2q(8, 4, false), 1e-12);
    }

    @Test
    void a2qEpRow() {
        Outcome o = run(A2qVariant.A2Q, InitMode.EP, 4, false, 8, 4);
        assertArrayEquals(new double[] {0.185402, -0.075402, 0, 0, 0.035402, -0.225402, 0, 0}, o.v(), TOL);
        assertEquals(0.2345982, o.init().theta()[0], 1e-7);
        assertEquals(4, o.init().rho()[0]);
        assertEquals(0.5216071, o.init().radius()[0], 1e-7);
        assertTrue(o.init().projected()[0]);
        assertEquals(0.5216071, o.quantizer().norms()[0], 1e-7);
        assertArrayEquals(new double[] {2.821332, -1.147418, 0, 0, 0.538723, -3.430027, 0, 0}, o.z(), TOL);
        checkRow(o, new long[] {2, -1, 0, 0, 0, -3, 0, 0}, 6, 2, 4, 30, -60, 0.042793, false);
    }

    @Test
    void a2qPlusNaiveRow() {
        Outcome o = run(A2qVariant.A2Q_PLUS, InitMode.NAIVE, 4, false, 8, 4);
        assertEquals(1.9, o.quantizer().norms()[0], 1e-12); // raw ‖w‖₁, not ‖w − μ‖₁ = 1.835 (§8 item 7)
        assertEquals(16.933333, o.quantizer().bound(), 1e-6);
        assertArrayEquals(new double[] {3.575840, -3.160581, 1.361126, -0.761308, 2.191644, -4.544777, 0.530609,
                0.807448}, o.z(), TOL);
        checkRow(o, new long[] {3, -3, 1, 0, 2, -4, 0, 0}, 13, 6, 7, 90, -105, 0.019816, false);
    }

    @Test
    void a2qPlusEpRow() {
        Outcome o = run(A2qVariant.A2Q_PLUS, InitMode.EP, 4, false, 8, 4);
        assertArrayEquals(new double[] {0.312127, -0.202127, 0.072127, 0, 0.162127, -0.352127, 0, 0.012127}, o.v(),
                TOL);
        assertEquals(0.1078730, o.init().theta()[0], 1e-7);
        assertEquals(6, o.init().rho()[0]);
        assertEquals(1.1127619, o.init().radius()[0], 1e-7);
        assertEquals(1.1127619, o.quantizer().norms()[0], 1e-7);
        assertArrayEquals(new double[] {4.741667, -3.083937, 1.089493, -0.008092, 2.459058, -5.366546, -0.008092,
                0.176449}, o.z(), TOL);
        checkRow(o, new long[] {4, -3, 1, 0, 2, -5, 0, 0}, 15, 7, 8, 105, -120, 0.013996, false);
        assertTrue(Math.max(o.pos(), o.neg()) <= 16.933333 / 2);
    }

    @Test
    void epInitBeatsNaiveInitOnTheExample() {
        for (A2qVariant variant : A2qVariant.values()) {
            Outcome naive = run(variant, InitMode.NAIVE, 4, false, 8, 4);
            Outcome ep = run(variant, InitMode.EP, 4, false, 8, 4);
            assertTrue(mse(ep.q(), ep.s()) < mse(naive.q(), naive.s()), variant.name());
        }
    }

    @Test
    void signedInputRows() {
        Outcome a = run(A2qVariant.A2Q, InitMode.NAIVE, 4, true, 8, 4);
        assertEquals(15.875, a.quantizer().bound(), 0.0);
        assertArrayEquals(new long[] {3, -2, 1, 0, 2, -3, 0, 1}, a.q());
        assertArrayEquals(new long[] {89, -91}, worst(a.pos(), a.neg(), true));
        Outcome b = run(A2qVariant.A2Q, InitMode.EP, 4, true, 8, 4);
        assertEquals(1.0432143, b.init().radius()[0], 1e-7);
        assertArrayEquals(new long[] {4, -2, 0, 0, 2, -5, 0, 0}, b.q());
        assertArrayEquals(new long[] {98, -97}, worst(b.pos(), b.neg(), true));
        Outcome c = run(A2qVariant.A2Q_PLUS, InitMode.EP, 4, true, 8, 4);
        assertArrayEquals(new long[] {4, -3, 1, 0, 2, -5, 0, 0}, c.q());
        assertArrayEquals(new long[] {113, -112}, worst(c.pos(), c.neg(), true));
    }

    @Test
    void unconstrainedA2qIsPlainRoundTowardZero() {
        Outcome o = run(A2qVariant.A2Q, InitMode.NAIVE, 4, false, 16, 4);
        assertFalse(o.quantizer().normClamped()[0]);
        assertArrayEquals(new double[] {6.391304, -4.717391, 2.739130, -0.760870, 4.108696, -7, 1.369565, 1.826087},
                o.z(), TOL);
        assertArrayEquals(new long[] {6, -4, 2, 0, 4, -7, 1, 1}, o.q());
    }

    @Test
    void unconstrainedA2qPlusStillRescalesTheCentredWeights() {
        Outcome o = run(A2qVariant.A2Q_PLUS, InitMode.NAIVE, 4, false, 16, 4);
        assertFalse(o.quantizer().normClamped()[0]);
        assertEquals(-7.760040, o.z()[5], TOL);
        assertArrayEquals(new long[] {6, -5, 2, -1, 3, -7, 0, 1}, o.q());
    }

    @Test
    void boundBelowOneZeroesEveryWeight() {
        for (A2qVariant variant : A2qVariant.values()) {
            for (InitMode mode : InitMode.values()) {
                Outcome o = run(variant, mode, 8, false, 8, 8);
                assertArrayEquals(new long[W.length], o.q(), variant + " " + mode);
            }
        }
    }

    /** The baseline on the §7.4 weights: abs-max scale, round-to-nearest of w/s = [6.39, −4.72, …]. */
    @Test
    void baselineRoundsToNearestWithAbsMaxScale() {
        for (ScaleDomain domain : ScaleDomain.values()) {
            PerChannelWeightQuantizer quant = new PerChannelWeightQuantizer("b", 1, 4, domain);
            INDArray weight = Nd4j.createFromArray(W).reshape(1, W.length);
            assertEquals(0.46 / 7, quant.initialize(weight)[0], 1e-12);
            INDArray wHat = quant.forward(weight);
            IntegerWeights iw = quant.integerWeights();
            assertArrayEquals(new long[] {6, -5, 3, -1, 4, -7, 1, 2}, iw.q()[0]);
            assertEquals(16, iw.pos()[0]);
            assertEquals(13, iw.neg()[0]);
            assertEquals(29, iw.l1()[0]);
            assertEquals(0.46 / 7 * 3, wHat.getDouble(0, 2), 1e-12);
            // this q needs more than P = 8: hi = 15·16 = 240 > 127
            assertEquals(9, AccumulatorBound.exactWidth(iw.q()[0], 4, false));
        }
    }

    /** A conv weight [Cout, Cin, kh, kw] is quantized as [Cout, K] rows; results match the 2-D view. */
    @Test
    void convWeightsAreTreatedAsRows() {
        for (A2qVariant variant : A2qVariant.values()) {
            INDArray conv = Nd4j.rand(new long[] {4, 2, 3, 3}).subi(0.5);
            INDArray flat = conv.dup().reshape(4, 18);
            INDArray c4 = Nd4j.rand(new long[] {4, 2, 3, 3});
            AccumulatorAwareWeightQuantizer a = new AccumulatorAwareWeightQuantizer("a", variant, 4, 4, 10, 4, false,
                    ScaleDomain.LOG2);
            AccumulatorAwareWeightQuantizer b = new AccumulatorAwareWeightQuantizer("b", variant, 4, 4, 10, 4, false,
                    ScaleDomain.LOG2);
            a.initialize(conv, InitMode.EP);
            b.initialize(flat, InitMode.EP);
            INDArray outA = a.forward(conv);
            INDArray outB = b.forward(flat);
            assertArrayEquals(conv.shape(), outA.shape());
            assertArrayEquals(outB.toDoubleMatrix()[2], outA.reshape(4, 18).toDoubleMatrix()[2], 0.0);
            INDArray gA = Nd4j.zeros(4, 2, 3, 3);
            INDArray gB = Nd4j.zeros(4, 18);
            a.backward(c4, gA);
            b.backward(c4.reshape(4, 18), gB);
            for (int r = 0; r < 4; r++) {
                assertArrayEquals(gB.toDoubleMatrix()[r], gA.reshape(4, 18).toDoubleMatrix()[r], 1e-15);
            }
            assertArrayEquals(b.normParam().grad().toDoubleVector(), a.normParam().grad().toDoubleVector(), 1e-15);
        }
    }

    /** §7.6: A2Q, unclamped, v = [0.5, −0.25, 0.125], s = 0.1, g = 0.6, M = 4, c = [1, 1, 1]. */
    @Test
    void gradientVectorOf76() {
        for (ScaleDomain domain : ScaleDomain.values()) {
            AccumulatorAwareWeightQuantizer quant =
                    new AccumulatorAwareWeightQuantizer("l", A2qVariant.A2Q, 1, 4, 64, 1, false, domain);
            quant.normParam().value().putScalar(0, Math.log(0.6) / Math.log(2));
            quant.scaleParam().value().putScalar(0, domain == ScaleDomain.LOG2 ? Math.log(0.1) / Math.log(2) : 0.1);
            INDArray v = Nd4j.createFromArray(new double[][] {{0.5, -0.25, 0.125}});
            INDArray wHat = quant.forward(v);
            assertFalse(quant.normClamped()[0]);
            assertArrayEquals(new double[] {3.428571, -1.714286, 0.857143}, quant.preRoundingValues()[0], TOL);
            assertArrayEquals(new long[] {3, -1, 0}, quant.integerWeights().q()[0]);
            assertArrayEquals(new double[] {0.3, -0.1, 0}, wHat.toDoubleVector(), 1e-12);
            INDArray gradV = Nd4j.zeros(1, 3);
            quant.backward(Nd4j.ones(1, 3), gradV);
            assertArrayEquals(new double[] {0.3918367, 0.9795918, 0.3918367}, gradV.toDoubleVector(), 1e-7);
            double dt = quant.normParam().grad().getDouble(0);
            assertEquals(0.1782378, dt, 1e-7);
            assertEquals(0.4285714, dt / (0.6 * Math.log(2)), 1e-7); // ∂L/∂g
            double ds = quant.scaleParam().grad().getDouble(0);
            if (domain == ScaleDomain.LOG2) {
                assertEquals(-0.0396084, ds, 1e-7);
            } else {
                assertEquals(-0.5714286, ds, 1e-7);
            }
        }
    }
}
