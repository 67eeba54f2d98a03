package org.a2q.engine.quant;

import static org.a2q.engine.quant.SimdFakeQuant.LANES;
import static org.a2q.engine.quant.SimdFakeQuant.MAGIC;
import static org.a2q.engine.quant.SimdFakeQuant.ORDER;
import static org.a2q.engine.quant.SimdFakeQuant.SPECIES;

import java.nio.ByteBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The row loops of the weight quantizers in SIMD (JDK Vector API): A2Q/A2Q+ (a2q-math.md §3.1,
 * §3.3) and the baseline per-channel quantizer, one output channel's K float32 weights at a time,
 * so that a row is read from memory once per direction and its other loops find it in the L1
 * cache. Offsets and lengths count floats in native memory viewed as byte buffers; sums are in
 * float lanes and then in double. The elementwise steps are the float operations of the
 * quantizers' libnd4j passes (so A2Q's z, q, ŵ and gradient differ from theirs only through the
 * row sums' rounding; the baseline quantizer's do not differ).
 *
 * <p>Loaded only when the JVM resolved jdk.incubator.vector (see {@link NativeFloatSpan#SIMD}).
 */
final class SimdChannelRows {
    private SimdChannelRows() {}

    private static FloatVector load(ByteBuffer b, int at) {
        return FloatVector.fromByteBuffer(SPECIES, b, at * 4, ORDER);
    }

    /** Σ v over v[vo, vo + k). */
    static double sum(ByteBuffer v, int vo, int k) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = SPECIES.loopBound(k); i < bound; i += LANES) {
            acc = acc.add(load(v, vo + i));
        }
        double total = acc.reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            total += v.getFloat((vo + i) * 4);
        }
        return total;
    }

    /**
     * u = v − μ into u (A2Q+ centring; u may be v), returning {Σu, Σ|u|}; with u null only
     * {Σv, Σ|v|} (A2Q, where u is v itself).
     */
    static void centre(ByteBuffer v, int vo, float mean, ByteBuffer u, int uo, int k, double[] sums) {
        FloatVector sum = FloatVector.zero(SPECIES);
        FloatVector abs = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = SPECIES.loopBound(k); i < bound; i += LANES) {
            FloatVector x = load(v, vo + i);
            if (u != null) {
                x = x.sub(mean);
                x.intoByteBuffer(u, (uo + i) * 4, ORDER);
            }
            sum = sum.add(x);
            abs = abs.add(x.abs());
        }
        double s = sum.reduceLanes(VectorOperators.ADD);
        double a = abs.reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            float x = v.getFloat((vo + i) * 4);
            if (u != null) {
                x = x - mean;
                u.putFloat((uo + i) * 4, x);
            }
            s += x;
            a += Math.abs(x);
        }
        sums[0] = s;
        sums[1] = a;
    }

    /**
     * One row of a weight quantizer's forward pass: z = u·factor, q = round(clamp(z, ±limit)),
     * ŵ = q·s, writing z, q and ŵ. A2Q/A2Q+ (factor 1/pre) round toward zero, the baseline
     * quantizer (factor 1/s) to nearest with halves to even. limit = 2^(M−1) − 1 is an integer,
     * so clamping before rounding equals clamping after.
     */
    static void quantize(ByteBuffer u, int uo, float factor, float limit, float s, boolean towardZero,
                         ByteBuffer z, int zo, ByteBuffer q, int qo, ByteBuffer w, int wo, int k) {
        int i = 0;
        for (int bound = SPECIES.loopBound(k); i < bound; i += LANES) {
            FloatVector zv = load(u, uo + i).mul(factor);
            zv.intoByteBuffer(z, (zo + i) * 4, ORDER);
            FloatVector cv = zv.max(-limit).min(limit);
            FloatVector qv = cv.add(MAGIC).sub(MAGIC);   // nearest, halves to even (|c| < 2^15)
            if (towardZero) {
                // rtz without a float-int conversion (the Vector API's ran per lane in JDK 17):
                // one step toward zero where rounding went away from it; integers, so exact.
                qv = qv.blend(qv.sub(1f), qv.compare(VectorOperators.GT, cv).and(cv.compare(VectorOperators.GT, 0f)))
                        .blend(qv.add(1f), qv.compare(VectorOperators.LT, cv).and(cv.compare(VectorOperators.LT, 0f)));
            }
            qv.intoByteBuffer(q, (qo + i) * 4, ORDER);
            qv.mul(s).intoByteBuffer(w, (wo + i) * 4, ORDER);
        }
        for (; i < k; i++) {
            float zz = u.getFloat((uo + i) * 4) * factor;
            z.putFloat((zo + i) * 4, zz);
            float cc = Math.min(Math.max(zz, -limit), limit);
            float qq = towardZero ? (float) (int) cc : (cc + MAGIC) - MAGIC;   // the int cast truncates
            q.putFloat((qo + i) * 4, qq);
            w.putFloat((wo + i) * 4, qq * s);
        }
    }

    /**
     * {Σ c·q, Σ c_m·x} over one row, c_m = c − c·[|x| > cut] the gradient past the clamp, also
     * written to g unless g is null (it may be c). A2Q/A2Q+: x = z, cut the largest float below
     * 2^(M−1) (the clamp after rtz); baseline: x = v/s, cut = 2^(M−1) − 1.
     */
    static void dots(ByteBuffer c, int co, ByteBuffer q, int qo, ByteBuffer x, int xo, float cut,
                     ByteBuffer g, int go, int k, double[] dots) {
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector codeSum = zero;
        FloatVector passSum = zero;
        int i = 0;
        for (int bound = SPECIES.loopBound(k); i < bound; i += LANES) {
            FloatVector cv = load(c, co + i);
            FloatVector xv = load(x, xo + i);
            codeSum = cv.fma(load(q, qo + i), codeSum);
            // c − c·[|x| > cut], as the passes compute it (+0, not −0, where clipped)
            FloatVector cm = cv.sub(cv.mul(zero.blend(one, xv.abs().compare(VectorOperators.GT, cut))));
            if (g != null) {
                cm.intoByteBuffer(g, (go + i) * 4, ORDER);
            }
            passSum = cm.fma(xv, passSum);
        }
        double a = codeSum.reduceLanes(VectorOperators.ADD);
        double b = passSum.reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            float cc = c.getFloat((co + i) * 4);
            float xx = x.getFloat((xo + i) * 4);
            a += (double) cc * q.getFloat((qo + i) * 4);
            float cm = cc - cc * (Math.abs(xx) > cut ? 1f : 0f);
            if (g != null) {
                g.putFloat((go + i) * 4, cm);
            }
            b += (double) cm * xx;
        }
        dots[0] = a;
        dots[1] = b;
    }

    /**
     * g = α·c_m − β·sign(u) over one row, into g (which may be c); returns Σg. The weight-norm
     * Jacobian of §3.3 with the clamp's mask (c_m as in {@link #dots}).
     */
    static double gradient(ByteBuffer c, int co, ByteBuffer z, int zo, ByteBuffer u, int uo, float cut,
                           float alpha, float beta, ByteBuffer g, int go, int k) {
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector sum = zero;
        int i = 0;
        for (int bound = SPECIES.loopBound(k); i < bound; i += LANES) {
            FloatVector cv = load(c, co + i);
            // c_m = c − c·[|z| > cut], as the passes compute it
            FloatVector cm = cv.sub(cv.mul(zero.blend(one, load(z, zo + i).abs().compare(VectorOperators.GT, cut))));
            FloatVector uv = load(u, uo + i);
            // sign(u)·β: β, −β or 0 (as libnd4j's sign, then a multiply)
            FloatVector sign = zero.blend(one, uv.compare(VectorOperators.GT, 0f))
                    .sub(zero.blend(one, uv.compare(VectorOperators.LT, 0f)));
            FloatVector gv = cm.mul(alpha).sub(sign.mul(beta));
            gv.intoByteBuffer(g, (go + i) * 4, ORDER);
            sum = sum.add(gv);
        }
        double total = sum.reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            float ci = c.getFloat((co + i) * 4);
            float cc = ci - ci * (Math.abs(z.getFloat((zo + i) * 4)) > cut ? 1f : 0f);
            float uu = u.getFloat((uo + i) * 4);
            float sign = (uu > 0f ? 1f : 0f) - (uu < 0f ? 1f : 0f);
            float gg = cc * alpha - sign * beta;
            g.putFloat((go + i) * 4, gg);
            total += gg;
        }
        return total;
    }

    /** x −= m over one row. */
    static void subtract(ByteBuffer x, int xo, float m, int k) {
        int i = 0;
        for (int bound = SPECIES.loopBound(k); i < bound; i += LANES) {
            load(x, xo + i).sub(m).intoByteBuffer(x, (xo + i) * 4, ORDER);
        }
        for (; i < k; i++) {
            x.putFloat((xo + i) * 4, x.getFloat((xo + i) * 4) - m);
        }
    }
}
