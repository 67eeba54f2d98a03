package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.a2q.engine.DoublePrecision;
import org.a2q.engine.nn.Param;
import org.a2q.engine.nn.WeightTransform;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Finite-difference checks, in double, of the quantizers' straight-through gradients.
 *
 * <p>The straight-through estimator is the exact gradient of a surrogate in which rounding is the
 * identity plus a constant: q̃ = z + (rtz(z₀) − z₀) for kept entries, and q̃ = q₀ (a constant) for
 * entries the clamp cut off, with z₀, q₀ and the kept/clipped split frozen at the evaluation point
 * (a2q-math.md §3.3). That surrogate is written out below in plain Java, independently of the ND4J
 * code, and differentiated numerically.
 */
class QuantizerGradientTest {
    private static final double LN2 = Math.log(2.0);
    private static final double H = 1e-6;

    @BeforeAll
    static void useDouble() {
        DoublePrecision.enter();
    }

    @AfterAll
    static void restore() {
        DoublePrecision.leave();
    }

    /** The §3.1 forward in plain Java with rounding replaced by the frozen surrogate. */
    private static final class A2qSurrogate {
        final A2qVariant variant;
        final ScaleDomain domain;
        final double budget;
        final long maxLevel;
        double[][] offset; // rtz(z₀) − z₀ on kept entries
        double[][] frozenQ; // q₀
        boolean[][] kept;

        A2qSurrogate(A2qVariant variant, ScaleDomain domain, double budget, long maxLevel) {
            this.variant = variant;
            this.domain = domain;
            this.budget = budget;
            this.maxLevel = maxLevel;
        }

        double[][] z(double[][] v, double[] t, double[] sp) {
            int c = v.length;
            int k = v[0].length;
            double[][] z = new double[c][k];
            for (int r = 0; r < c; r++) {
                double mean = 0;
                for (double x : v[r]) mean += x / k;
                double[] u = new double[k];
                double l1 = 0;
                for (int i = 0; i < k; i++) {
                    u[i] = variant == A2qVariant.A2Q_PLUS ? v[r][i] - mean : v[r][i];
                    l1 += Math.abs(u[i]);
                }
                double g = Math.pow(2, t[r]);
                double s = scale(sp[r]);
                double gp = Math.min(g / s, budget);
                for (int i = 0; i < k; i++) z[r][i] = u[i] * gp / l1;
            }
            return z;
        }

        double scale(double stored) {
            return domain == ScaleDomain.LOG2 ? Math.pow(2, stored) : stored;
        }

        void freeze(double[][] v, double[] t, double[] sp) {
            double[][] z = z(v, t, sp);
            offset = new double[z.length][z[0].length];
            frozenQ = new double[z.length][z[0].length];
            kept = new boolean[z.length][z[0].length];
            for (int r = 0; r < z.length; r++) {
                for (int i = 0; i < z[r].length; i++) {
                    double rtz = (long) z[r][i];
                    kept[r][i] = Math.abs(rtz) <= maxLevel;
                    frozenQ[r][i] = Math.max(-maxLevel, Math.min(maxLevel, rtz));
                    offset[r][i] = rtz - z[r][i];
                }
            }
        }

        double loss(double[][] v, double[] t, double[] sp, double[][] c) {
            double[][] z = z(v, t, sp);
            double sum = 0;
            for (int r = 0; r < z.length; r++) {
                double s = scale(sp[r]);
                for (int i = 0; i < z[r].length; i++) {
                    double q = kept[r][i] ? z[r][i] + offset[r][i] : frozenQ[r][i];
                    sum += c[r][i] * s * q;
                }
            }
            return sum;
        }
    }

    /** variant, scale domain, clamped regime. */
    @ParameterizedTest
    @CsvSource({
        "A2Q, LOG2, false", "A2Q, LOG2, true", "A2Q, FLOAT, false", "A2Q, FLOAT, true",
        "A2Q_PLUS, LOG2, false", "A2Q_PLUS, LOG2, true", "A2Q_PLUS, FLOAT, false", "A2Q_PLUS, FLOAT, true",
    })
    void accumulatorAwareGradientMatchesFiniteDifferences(A2qVariant variant, ScaleDomain domain, boolean clamped) {
        Random rnd = new Random(31 + variant.ordinal() * 7 + domain.ordinal() * 3 + (clamped ? 1 : 0));
        int channels = 3;
        int k = 7;
        int m = 3; // levels ±3, so an unclamped budget of ~9 clips some entries
        int p = clamped ? 8 : 40;
        int n = 4;
        AccumulatorAwareWeightQuantizer quant =
                new AccumulatorAwareWeightQuantizer("l", variant, channels, m, p, n, false, domain);
        double budget = quant.bound();
        double[][] v = new double[channels][k];
        double[] t = new double[channels];
        double[] sp = new double[channels];
        for (int r = 0; r < channels; r++) {
            double l1 = 0;
            for (int i = 0; i < k; i++) {
                v[r][i] = rnd.nextGaussian() + (variant == A2qVariant.A2Q_PLUS ? 0.3 : 0.0);
                l1 += Math.abs(v[r][i]);
            }
            double s = 0.05 + 0.1 * rnd.nextDouble();
            // unclamped: g/s ≈ 14–18 ≪ T; clamped: g/s ≈ 2–3·T. Either way far from the kink at T.
            double ratio = clamped ? budget * (2 + rnd.nextDouble()) : 14 + 4 * rnd.nextDouble();
            t[r] = Math.log(ratio * s) / LN2;
            sp[r] = domain == ScaleDomain.LOG2 ? Math.log(s) / LN2 : s;
        }
        setParams(quant, t, sp);
        INDArray vArr = Nd4j.createFromArray(v);
        quant.forward(vArr);
        for (int r = 0; r < channels; r++) {
            assertEquals(clamped, quant.normClamped()[r]);
        }
        double[][] c = randomMatrix(rnd, channels, k);
        // gradV is a strided-free view into a larger arena, as after Graph.compile
        INDArray arena = Nd4j.zeros(channels * k + 5);
        INDArray gradV = arena.get(NDArrayIndex.interval(5, 5 + channels * k)).reshape(channels, k);
        quant.backward(Nd4j.createFromArray(c), gradV);
        double[][] gv = gradV.toDoubleMatrix();
        double[] gt = quant.normParam().grad().toDoubleVector();
        double[] gs = quant.scaleParam().grad().toDoubleVector();

        A2qSurrogate ref = new A2qSurrogate(variant, domain, budget, (1L << (m - 1)) - 1);
        ref.freeze(v, t, sp);
        // the ND4J forward agrees with the plain-Java one
        double[][] zNd = quant.preRoundingValues();
        double[][] zRef = ref.z(v, t, sp);
        long[][] q = quant.integerWeights().q();
        int clippedCount = 0;
        for (int r = 0; r < channels; r++) {
            for (int i = 0; i < k; i++) {
                assertEquals(zRef[r][i], zNd[r][i], 1e-9);
                assertEquals((long) ref.frozenQ[r][i], q[r][i]);
                if (!ref.kept[r][i]) clippedCount++;
            }
        }
        if (!clamped) {
            assertTrue(clippedCount > 0, "the unclamped case must exercise the clip mask");
        }
        for (int r = 0; r < channels; r++) {
            for (int i = 0; i < k; i++) {
                double keep = v[r][i];
                v[r][i] = keep + H;
                double up = ref.loss(v, t, sp, c);
                v[r][i] = keep - H;
                double down = ref.loss(v, t, sp, c);
                v[r][i] = keep;
                assertClose((up - down) / (2 * H), gv[r][i], "dL/dv[" + r + "][" + i + "]");
            }
            double keepT = t[r];
            t[r] = keepT + H;
            double up = ref.loss(v, t, sp, c);
            t[r] = keepT - H;
            double down = ref.loss(v, t, sp, c);
            t[r] = keepT;
            assertClose((up - down) / (2 * H), gt[r], "dL/dt[" + r + "]");
            if (clamped) {
                assertEquals(0.0, gt[r], 0.0, "no task gradient to g while the clamp is active");
            }
            double keepS = sp[r];
            double hs = H * Math.max(1e-3, Math.abs(keepS));
            sp[r] = keepS + hs;
            up = ref.loss(v, t, sp, c);
            sp[r] = keepS - hs;
            down = ref.loss(v, t, sp, c);
            sp[r] = keepS;
            assertClose((up - down) / (2 * hs), gs[r], "dL/d(scale param)[" + r + "]");
        }
    }

    /**
     * g′ = 16 ≥ 2^(M−1), so the bound alone cannot rule out clipping, but no |z| reaches 8: the
     * clamp and its mask are skipped, and q and every gradient must be those of the plain
     * formulas (§3.3 with nothing clipped).
     */
    @Test
    void noValueAtTheClampGivesTheUnclippedGradients() {
        AccumulatorAwareWeightQuantizer quant =
                new AccumulatorAwareWeightQuantizer("l", A2qVariant.A2Q, 1, 4, 12, 4, false, ScaleDomain.FLOAT);
        quant.normParam().value().putScalar(0, 0.0);          // g = 1
        quant.scaleParam().value().putScalar(0, 1.0 / 16);    // s = 1/16: g/s = 16, far below T
        double[] v = new double[16];
        double[] c = new double[16];
        for (int i = 0; i < 16; i++) {
            v[i] = (i % 2 == 0 ? 1 : -1) * (i < 8 ? 0.125 : 0.0625) * 4 / 3;   // ‖v‖₁ = 2
            c[i] = 0.01 * (i + 1) * (i % 3 == 0 ? -1 : 1);
        }
        INDArray vArr = Nd4j.createFromArray(new double[][] {v});
        quant.forward(vArr);
        double l1 = 0;
        for (double x : v) {
            l1 += Math.abs(x);
        }
        double gp = 16;
        double[] z = new double[16];
        long[] q = quant.integerWeights().q()[0];
        double dotQ = 0;
        double dotZ = 0;
        for (int i = 0; i < 16; i++) {
            z[i] = v[i] * gp / l1;
            assertTrue(Math.abs(z[i]) < 8);
            assertEquals((long) z[i], q[i], "rtz at " + i);
            dotQ += c[i] * q[i];
            dotZ += c[i] * z[i];
        }
        INDArray gradV = Nd4j.zeros(1, 16);
        quant.backward(Nd4j.createFromArray(new double[][] {c}), gradV);
        double s = 1.0 / 16;
        for (int i = 0; i < 16; i++) {
            double expected = s * gp / l1 * c[i] - Math.signum(v[i]) * s * dotZ / l1;
            assertEquals(expected, gradV.getDouble(0, i), 1e-12, "dL/dv at " + i);
        }
        assertEquals(dotQ - dotZ, quant.scaleParam().grad().getDouble(0), 1e-12);        // ∂L/∂s
        assertEquals(dotZ / gp * 1.0 * LN2, quant.normParam().grad().getDouble(0), 1e-12);  // ∂L/∂t = ∂L/∂g·g·ln2
    }

    /** ∂L/∂v and ∂L/∂g vanish for an entry the clamp cut off; ∂L/∂s is then just c·q. */
    @Test
    void clippedEntryPassesOnlyTheScaleGradient() {
        AccumulatorAwareWeightQuantizer quant =
                new AccumulatorAwareWeightQuantizer("l", A2qVariant.A2Q, 1, 3, 40, 4, false, ScaleDomain.FLOAT);
        quant.normParam().value().putScalar(0, Math.log(1.0) / LN2);
        quant.scaleParam().value().putScalar(0, 0.1); // g/s = 10: z = 10·v/‖v‖₁
        INDArray v = Nd4j.createFromArray(new double[][] {{0.6, 0.3, -0.1}}); // z = [6, 3, −1]
        quant.forward(v);
        assertEquals(3, quant.integerWeights().q()[0][0]); // 6 clipped to 3
        INDArray gradV = Nd4j.zeros(1, 3);
        quant.backward(Nd4j.createFromArray(new double[][] {{1, 0, 0}}), gradV);
        assertEquals(0.0, gradV.norm1Number().doubleValue(), 0.0);
        assertEquals(0.0, quant.normParam().grad().getDouble(0), 0.0);
        assertEquals(3.0, quant.scaleParam().grad().getDouble(0), 1e-12);
    }

    @ParameterizedTest
    @CsvSource({"A2Q, LOG2", "A2Q, FLOAT", "A2Q_PLUS, LOG2", "A2Q_PLUS, FLOAT"})
    void penaltyGradientMatchesFiniteDifferences(A2qVariant variant, ScaleDomain domain) {
        Random rnd = new Random(5 + variant.ordinal() * 2 + domain.ordinal());
        int channels = 6;
        AccumulatorAwareWeightQuantizer quant =
                new AccumulatorAwareWeightQuantizer("l", variant, channels, 4, 10, 4, false, domain);
        double budget = quant.bound();
        double[] t = new double[channels];
        double[] sp = new double[channels];
        int active = 0;
        for (int r = 0; r < channels; r++) {
            double s = 0.01 + 0.1 * rnd.nextDouble();
            double ratio = budget * (r % 2 == 0 ? 1.5 + rnd.nextDouble() : 0.2 + 0.5 * rnd.nextDouble());
            if (ratio > budget) active++;
            t[r] = Math.log(ratio * s) / LN2;
            sp[r] = domain == ScaleDomain.LOG2 ? Math.log(s) / LN2 : s;
        }
        setParams(quant, t, sp);
        double expected = 0;
        for (int r = 0; r < channels; r++) {
            double s = domain == ScaleDomain.LOG2 ? Math.pow(2, sp[r]) : sp[r];
            expected += Math.max(0, Math.pow(2, t[r]) - budget * s);
        }
        assertEquals(3, active);
        assertEquals(1e-3 * expected, quant.penalty(), 1e-15);
        quant.addPenaltyGradient();
        double[] gt = quant.normParam().grad().toDoubleVector();
        double[] gs = quant.scaleParam().grad().toDoubleVector();
        for (int r = 0; r < channels; r++) {
            double keep = t[r];
            quant.normParam().value().putScalar(r, keep + H);
            double up = quant.penalty();
            quant.normParam().value().putScalar(r, keep - H);
            double down = quant.penalty();
            quant.normParam().value().putScalar(r, keep);
            assertClose((up - down) / (2 * H), gt[r], "dR/dt[" + r + "]");
            keep = sp[r];
            double hs = H * Math.max(1e-3, Math.abs(keep));
            quant.scaleParam().value().putScalar(r, keep + hs);
            up = quant.penalty();
            quant.scaleParam().value().putScalar(r, keep - hs);
            down = quant.penalty();
            quant.scaleParam().value().putScalar(r, keep);
            assertClose((up - down) / (2 * hs), gs[r], "dR/d(scale param)[" + r + "]");
        }
    }

    @ParameterizedTest
    @CsvSource({"LOG2", "FLOAT"})
    void baselineGradientMatchesFiniteDifferences(ScaleDomain domain) {
        Random rnd = new Random(17 + domain.ordinal());
        int channels = 3;
        int k = 9;
        int m = 3;
        long maxLevel = 3;
        PerChannelWeightQuantizer quant = new PerChannelWeightQuantizer("b", channels, m, domain);
        double[][] v = randomMatrix(rnd, channels, k);
        INDArray vArr = Nd4j.createFromArray(v);
        quant.initialize(vArr);
        // shrink s so that some entries clip
        double[] sp = quant.scaleParam().value().toDoubleVector();
        for (int r = 0; r < channels; r++) {
            sp[r] = domain == ScaleDomain.LOG2 ? sp[r] - 0.7 : sp[r] * 0.6;
            quant.scaleParam().value().putScalar(r, sp[r]);
        }
        quant.forward(vArr);
        double[][] c = randomMatrix(rnd, channels, k);
        INDArray gradV = Nd4j.zeros(channels, k);
        quant.backward(Nd4j.createFromArray(c), gradV);
        double[][] gv = gradV.toDoubleMatrix();
        double[] gs = quant.scaleParam().grad().toDoubleVector();
        long[][] q = quant.integerWeights().q();
        // frozen surrogate: q̃ = x + (round(x₀) − x₀) inside, q₀ outside, x = v/s
        double[][] offset = new double[channels][k];
        boolean[][] kept = new boolean[channels][k];
        int clipped = 0;
        for (int r = 0; r < channels; r++) {
            double s = domain == ScaleDomain.LOG2 ? Math.pow(2, sp[r]) : sp[r];
            for (int i = 0; i < k; i++) {
                double x = v[r][i] / s;
                kept[r][i] = Math.abs(x) <= maxLevel;
                double rounded = Math.rint(Math.max(-maxLevel, Math.min(maxLevel, x)));
                assertEquals((long) rounded, q[r][i]);
                offset[r][i] = rounded - x;
                if (!kept[r][i]) clipped++;
            }
        }
        assertTrue(clipped > 0);
        java.util.function.BiFunction<double[][], double[], Double> loss = (vv, ss) -> {
            double sum = 0;
            for (int r = 0; r < channels; r++) {
                double s = domain == ScaleDomain.LOG2 ? Math.pow(2, ss[r]) : ss[r];
                for (int i = 0; i < k; i++) {
                    double qq = kept[r][i] ? vv[r][i] / s + offset[r][i] : q[r][i];
                    sum += c[r][i] * s * qq;
                }
            }
            return sum;
        };
        for (int r = 0; r < channels; r++) {
            for (int i = 0; i < k; i++) {
                double keep = v[r][i];
                v[r][i] = keep + H;
                double up = loss.apply(v, sp);
                v[r][i] = keep - H;
                double down = loss.apply(v, sp);
                v[r][i] = keep;
                assertClose((up - down) / (2 * H), gv[r][i], "dL/dv[" + r + "][" + i + "]");
            }
            double keep = sp[r];
            double hs = H * Math.max(1e-3, Math.abs(keep));
            sp[r] = keep + hs;
            double up = loss.apply(v, sp);
            sp[r] = keep - hs;
            double down = loss.apply(v, sp);
            sp[r] = keep;
            assertClose((up - down) / (2 * hs), gs[r], "dL/d(scale param)[" + r + "]");
        }
    }

    /**
     * The split training step keeps dL/dŵ in the weight's gradient and maps it back in place:
     * backward(g, g) must give what backward(g, separate array) gives, value for value, with
     * clipped entries (the masked paths) and for every quantizer kind.
     */
    @Test
    void backwardInPlaceOverItsInputGivesTheSameGradients() {
        Random rnd = new Random(23);
        int channels = 4;
        int k = 10;
        List<WeightTransform> quantizers = List.of(
                new AccumulatorAwareWeightQuantizer("a", A2qVariant.A2Q, channels, 3, 12, 4, false, ScaleDomain.LOG2),
                new AccumulatorAwareWeightQuantizer("p", A2qVariant.A2Q_PLUS, channels, 3, 12, 4, false, ScaleDomain.FLOAT),
                new PerChannelWeightQuantizer("b", channels, 3, ScaleDomain.LOG2));
        for (WeightTransform quant : quantizers) {
            INDArray v = Nd4j.createFromArray(randomMatrix(rnd, channels, k));
            if (quant instanceof PerChannelWeightQuantizer b) {
                b.initialize(v);
                b.scaleParam().value().subi(0.7);   // smaller s: some entries clip
            } else {
                AccumulatorAwareWeightQuantizer a = (AccumulatorAwareWeightQuantizer) quant;
                a.initialize(v, InitMode.NAIVE);
                a.scaleParam().value().muli(a.scaleDomain() == ScaleDomain.FLOAT ? 0.3 : 1).subi(a.scaleDomain() == ScaleDomain.LOG2 ? 1.5 : 0);
            }
            INDArray c = Nd4j.createFromArray(randomMatrix(rnd, channels, k));
            quant.forward(v);
            INDArray separate = Nd4j.zeros(channels, k);
            quant.backward(c, separate);
            List<INDArray> paramGrads = new java.util.ArrayList<>();
            for (Param p : quant.params()) {
                paramGrads.add(p.grad().dup());
            }
            quant.forward(v);
            INDArray inPlace = c.dup();
            quant.backward(inPlace, inPlace);
            assertEquals(separate, inPlace, quant.getClass().getSimpleName());
            for (int i = 0; i < paramGrads.size(); i++) {
                assertEquals(paramGrads.get(i), quant.params().get(i).grad(), quant.getClass().getSimpleName() + " param " + i);
            }
        }
    }

    private static void setParams(AccumulatorAwareWeightQuantizer quant, double[] t, double[] sp) {
        for (int r = 0; r < t.length; r++) {
            quant.normParam().value().putScalar(r, t[r]);
            quant.scaleParam().value().putScalar(r, sp[r]);
        }
    }

    private static double[][] randomMatrix(Random rnd, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int i = 0; i < cols; i++) row[i] = rnd.nextGaussian();
        }
        return a;
    }

    private static void assertClose(double numeric, double analytic, String what) {
        double tol = 1e-6 * Math.max(1.0, Math.abs(numeric)) + 1e-8;
        assertEquals(numeric, analytic, tol, what);
    }
}
