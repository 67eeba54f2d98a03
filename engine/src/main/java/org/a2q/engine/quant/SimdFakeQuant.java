package org.a2q.engine.quant;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-tensor fake quantizer's forward and backward as one SIMD loop each (JDK Vector API),
 * for float32 tensors stored densely in native memory: forward reads x once and writes t, q and
 * y; backward reads dy, t and q once, writes dx and returns both LSQ sums. The same arithmetic
 * as {@link FakeQuantKernel}'s passes, lane by lane: t = x/s (a true IEEE division), clamp with
 * max and min, round with the add-and-subtract of 1.5·2^23, y = q·s, so t, q, y and dx are
 * bit-for-bit those of the libnd4j passes (a test holds the two paths to that).
 *
 * <p>Why not libnd4j: its loops are one native call and one trip through memory per elementwise
 * step, six forward and six backward. In a training step the quantizer's data and code are cold
 * (the convolutions between two quantizer calls evict both), and each call then costs about
 * 2 µs before it touches a value. On [32, 6, 14, 14] (LeNet's first activation quantizer, one
 * half batch) with code and data evicted between calls, the passes took 45 µs forward and 56
 * backward, these loops 17 and 16; on [32, 120], 25 and 27 against 4.7 and 4.7.
 *
 * <p>Loaded only when the JVM resolved the incubating module jdk.incubator.vector (./a2q and the
 * test runner add it); otherwise {@link FakeQuantKernel} keeps its libnd4j passes.
 */
final class SimdFakeQuant {
    // Shared with SimdChannelRows: the vector shape, the byte order of native memory and the
    // rounding constant of all the quantizers' loops.
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** 1.5·2^23: c + MAGIC − MAGIC rounds c to an integer, halves to even, for |c| < 2^22. */
    static final float MAGIC = 1.5f * (1 << 23);
    /** Values summed in float lanes before their total moves into a double. */
    private static final int BLOCK = 1024;

    private SimdFakeQuant() {}

    /**
     * From float offset xo, t = x/s, q = round_half_even(clamp(t, lo, hi)), y = q·s over n
     * values; t, q and y may be the same buffer at the same offset (then it ends as y), and y may
     * be null (codes only).
     */
    static void forward(ByteBuffer x, int xo, ByteBuffer t, int to, ByteBuffer q, int qo, ByteBuffer y, int yo,
                        int n, float s, float lo, float hi) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector tv = FloatVector.fromByteBuffer(SPECIES, x, (xo + i) * 4, ORDER).div(s);
            tv.intoByteBuffer(t, (to + i) * 4, ORDER);
            FloatVector qv = tv.max(lo).min(hi).add(MAGIC).sub(MAGIC);
            qv.intoByteBuffer(q, (qo + i) * 4, ORDER);
            if (y != null) {
                qv.mul(s).intoByteBuffer(y, (yo + i) * 4, ORDER);
            }
        }
        for (; i < n; i++) {   // the last n mod LANES values, with the same float operations
            float tt = x.getFloat((xo + i) * 4) / s;
            t.putFloat((to + i) * 4, tt);
            float qq = (Math.min(Math.max(tt, lo), hi) + MAGIC) - MAGIC;
            q.putFloat((qo + i) * 4, qq);
            if (y != null) {
                y.putFloat((yo + i) * 4, qq * s);
            }
        }
    }

    /**
     * dx = dy·[cut &lt; t ≤ hi] over n values (dx may be dy); with q (else null) returns
     * Σ dy·q − Σ dx·t, the LSQ scale gradient, summed in float lanes per block of
     * {@value #BLOCK} values and across blocks in double.
     */
    static double backward(ByteBuffer dy, int dyo, ByteBuffer t, int to, ByteBuffer q, int qo, ByteBuffer dx, int dxo,
                           int n, float cut, float hi) {
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        double total = 0;
        int i = 0;
        int bound = SPECIES.loopBound(n);
        while (i < bound) {
            int end = Math.min(bound, i + BLOCK);
            FloatVector codeSum = zero;
            FloatVector insideSum = zero;
            for (; i < end; i += LANES) {
                FloatVector d = FloatVector.fromByteBuffer(SPECIES, dy, (dyo + i) * 4, ORDER);
                FloatVector tv = FloatVector.fromByteBuffer(SPECIES, t, (to + i) * 4, ORDER);
                VectorMask<Float> inside = tv.compare(VectorOperators.GT, cut).and(tv.compare(VectorOperators.LE, hi));
                FloatVector g = d.mul(zero.blend(one, inside));   // dy·1 or dy·0 (−0 for dy < 0), as the passes
                if (q != null) {
                    codeSum = d.fma(FloatVector.fromByteBuffer(SPECIES, q, (qo + i) * 4, ORDER), codeSum);
                    insideSum = g.fma(tv, insideSum);
                }
                g.intoByteBuffer(dx, (dxo + i) * 4, ORDER);
            }
            if (q != null) {
                total += (double) codeSum.reduceLanes(VectorOperators.ADD) - insideSum.reduceLanes(VectorOperators.ADD);
            }
        }
        for (; i < n; i++) {
            float d = dy.getFloat((dyo + i) * 4);
            float tt = t.getFloat((to + i) * 4);
            float g = d * (tt > cut && tt <= hi ? 1f : 0f);
            if (q != null) {
                total += (double) d * q.getFloat((qo + i) * 4) - (double) g * tt;
            }
            dx.putFloat((dxo + i) * 4, g);
        }
        return total;
    }
}
