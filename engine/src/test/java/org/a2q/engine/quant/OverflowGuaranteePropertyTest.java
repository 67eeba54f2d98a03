package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The no-overflow guarantee (a2q-math.md §2.2, §2.3, §3.1), checked by exact integer arithmetic
 * computed here, independently of {@link AccumulatorBound}: over random weights and random
 * (M, N, signed, P, variant, init, scale domain), at init and after random training steps, every
 * channel's reachable dot product fits ±(2^(P−1) − 1); A2Q has ‖q‖₁ ≤ T and A2Q+ has
 * max(Pos, Neg) ≤ T_+/2; and for small K every extreme input, summed in order through a wrapping
 * P-bit register, never leaves the symmetric range.
 */
class OverflowGuaranteePropertyTest {

    @ParameterizedTest
    @CsvSource({"FLOAT, 101", "DOUBLE, 202"})
    void everyChannelFitsItsAccumulator(DataType dtype, long seed) {
        Random rnd = new Random(seed);
        int checks = 0;
        for (int trial = 0; trial < 80; trial++) {
            A2qVariant variant = rnd.nextBoolean() ? A2qVariant.A2Q : A2qVariant.A2Q_PLUS;
            InitMode init = rnd.nextBoolean() ? InitMode.NAIVE : InitMode.EP;
            ScaleDomain domain = rnd.nextBoolean() ? ScaleDomain.LOG2 : ScaleDomain.FLOAT;
            int m = 2 + rnd.nextInt(7);
            int n = 1 + rnd.nextInt(8);
            boolean signed = rnd.nextBoolean();
            int channels = 1 + rnd.nextInt(5);
            int k = rnd.nextInt(4) == 0 ? 50 + rnd.nextInt(400) : 1 + rnd.nextInt(10);
            int log2k = 32 - Integer.numberOfLeadingZeros(k);
            // from "nothing fits" to "barely constrained"
            int p = Math.max(2, Math.min(40, n + 1 + rnd.nextInt(m + log2k + 2)));
            if (rnd.nextInt(10) == 0) p = 32;
            AccumulatorAwareWeightQuantizer quant =
                    new AccumulatorAwareWeightQuantizer("p", variant, channels, m, p, n, signed, domain);
            INDArray v = randomWeights(rnd, dtype, channels, k);
            quant.initialize(v, init);
            String config = variant + " " + init + " " + domain + " " + dtype + " M=" + m + " N=" + n
                    + (signed ? "s" : "u") + " P=" + p + " K=" + k;
            quant.forward(v);
            checkChannels(quant, variant, n, signed, p, m, config + " init");
            checks++;
            for (int step = 0; step < 4; step++) {
                randomStep(rnd, quant, v, channels, k);
                quant.forward(v);
                checkChannels(quant, variant, n, signed, p, m, config + " step " + step);
                checks++;
            }
        }
        assertTrue(checks == 400);
    }

    private static INDArray randomWeights(Random rnd, DataType dtype, int channels, int k) {
        double[][] w = new double[channels][k];
        for (int r = 0; r < channels; r++) {
            double scale = Math.pow(10, -3 + 3 * rnd.nextDouble());
            double offset = rnd.nextInt(3) == 0 ? scale * 5 * rnd.nextGaussian() : 0; // stresses A2Q+ centring
            boolean sparse = rnd.nextInt(4) == 0;
            for (int i = 0; i < k; i++) {
                w[r][i] = sparse && rnd.nextBoolean() ? 0 : offset + scale * rnd.nextGaussian();
            }
        }
        return Nd4j.createFromArray(w).castTo(dtype);
    }

    /** A random gradient step on v, t and the scale parameter, sometimes pushing g far above the clamp. */
    private static void randomStep(
            Random rnd, AccumulatorAwareWeightQuantizer quant, INDArray v, int channels, int k) {
        INDArray c = Nd4j.randn(v.dataType(), channels, k);
        INDArray gradV = v.ulike();
        quant.normParam().grad().assign(0);
        quant.scaleParam().grad().assign(0);
        quant.backward(c, gradV);
        quant.addPenaltyGradient();
        double lr = Math.pow(10, -4 + 3 * rnd.nextDouble());
        v.subi(gradV.muli(lr));
        INDArray t = quant.normParam().value();
        t.subi(quant.normParam().grad().mul(lr));
        if (rnd.nextInt(3) == 0) {
            t.addi(Nd4j.rand(t.dataType(), t.shape()).muli(4)); // g up to 16x larger
        }
        INDArray s = quant.scaleParam().value();
        s.subi(quant.scaleParam().grad().mul(lr));
        if (quant.scaleDomain() == ScaleDomain.FLOAT) {
            Nd4j.exec(new org.nd4j.linalg.api.ops.impl.scalar.ScalarMax(s, null, s, 1e-6));
        }
    }

    private static void checkChannels(
            AccumulatorAwareWeightQuantizer quant, A2qVariant variant, int n, boolean signed, int p, int m,
            String config) {
        long[][] q = quant.integerWeights().q();
        long limit = (1L << (p - 1)) - 1; // symmetric range of both papers, §1
        long xMin = signed ? -(1L << (n - 1)) : 0;
        long xMax = signed ? (1L << (n - 1)) - 1 : (1L << n) - 1;
        long maxLevel = (1L << (m - 1)) - 1;
        for (int r = 0; r < q.length; r++) {
            long pos = 0;
            long neg = 0;
            for (long x : q[r]) {
                assertTrue(Math.abs(x) <= maxLevel, config + ": weight level out of range");
                if (x > 0) pos += x; else neg -= x;
            }
            long hi = xMax * pos - xMin * neg;
            long lo = xMin * pos - xMax * neg;
            String where = config + " channel " + r + " Pos=" + pos + " Neg=" + neg;
            assertTrue(hi <= limit && lo >= -limit, where + ": worst case [" + lo + ", " + hi + "] overflows");
            if (variant == A2qVariant.A2Q) {
                long maxAbsX = 1L << (n - (signed ? 1 : 0)); // ‖q‖₁·2^(N−1_s) ≤ 2^(P−1) − 1
                assertTrue((pos + neg) * maxAbsX <= limit, where + ": ‖q‖₁ above T_A2Q");
            } else {
                long span = (1L << n) - 1; // max(Pos, Neg)·(2^N − 1) ≤ 2^(P−1) − 1
                assertTrue(Math.max(pos, neg) * span <= limit, where + ": one-sided sum above T_+/2");
            }
            if (q[r].length <= 10) {
                bruteForceExtremes(q[r], xMin, xMax, p, where);
            }
        }
    }

    /** Every x ∈ {x_min, x_max}^K through a sequential wrapping P-bit accumulator. */
    private static void bruteForceExtremes(long[] q, long xMin, long xMax, int p, String where) {
        long limit = (1L << (p - 1)) - 1;
        int k = q.length;
        for (int mask = 0; mask < (1 << k); mask++) {
            long register = 0;
            long exact = 0;
            for (int i = 0; i < k; i++) {
                long x = ((mask >> i) & 1) == 0 ? xMin : xMax;
                exact += q[i] * x;
                register = wrap(register + q[i] * x, p);
                if (register != exact || Math.abs(exact) > limit) {
                    fail(where + ": partial sum " + exact + " at i=" + i + " leaves the " + p + "-bit range");
                }
            }
        }
    }

    /** Two's-complement wrap of a value to P bits. */
    private static long wrap(long value, int p) {
        if (p >= 64) return value;
        long shift = 64 - p;
        return (value << shift) >> shift;
    }
}
