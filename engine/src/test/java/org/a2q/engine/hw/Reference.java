package org.a2q.engine.hw;

import java.math.BigInteger;

/**
 * Deliberately naive oracles for the engine: one element at a time, BigInteger for the wrap, no
 * shortcuts, so they share no code path with the optimised loops.
 */
final class Reference {
    private Reference() {
    }

    /** {final register, exact sum, min exact partial sum, max exact partial sum} for one dot product. */
    static long[] run(int[] q, int[] x, int p, AccumulatorMode mode, int simd) {
        BigInteger reg = BigInteger.ZERO;
        BigInteger exact = BigInteger.ZERO;
        BigInteger mn = BigInteger.ZERO;
        BigInteger mx = BigInteger.ZERO;
        BigInteger lo = BigInteger.ONE.shiftLeft(p - 1).negate();
        BigInteger hi = BigInteger.ONE.shiftLeft(p - 1).subtract(BigInteger.ONE);
        BigInteger modulus = BigInteger.ONE.shiftLeft(p);
        for (int start = 0; start < q.length; start += simd) {
            BigInteger lane = BigInteger.ZERO;
            for (int l = 0; l < simd; l++) {
                lane = lane.add(BigInteger.valueOf(q[start + l]).multiply(BigInteger.valueOf(x[start + l])));
            }
            exact = exact.add(lane);
            mn = mn.min(exact);
            mx = mx.max(exact);
            reg = reg.add(lane);
            if (mode == AccumulatorMode.WRAP) {
                reg = reg.mod(modulus);
                if (reg.compareTo(hi) > 0) {
                    reg = reg.subtract(modulus);
                }
            } else if (mode == AccumulatorMode.SATURATE) {
                reg = reg.max(lo).min(hi);
            }
        }
        return new long[] {reg.longValueExact(), exact.longValueExact(), mn.longValueExact(), mx.longValueExact()};
    }

    static boolean inRange(long v, int p) {
        return v >= -(1L << (p - 1)) && v <= (1L << (p - 1)) - 1;
    }

    /** §2.5 hi and lo by a direct per-element maximisation, independent of Pos/Neg bookkeeping. */
    static long[] hiLo(int[] q, InputFormat f) {
        long hi = 0;
        long lo = 0;
        for (int v : q) {
            long a = (long) v * f.min();
            long b = (long) v * f.max();
            hi += Math.max(a, b);
            lo += Math.min(a, b);
        }
        return new long[] {hi, lo};
    }

    /** P_exact = 1 + ⌈log2(max(hi + 1, −lo, 1))⌉ with the ceiling log found by doubling. */
    static int exactBits(long hi, long lo) {
        long m = Math.max(Math.max(hi + 1, -lo), 1);
        int ceilLog = 0;
        while ((1L << ceilLog) < m) {
            ceilLog++;
        }
        return 1 + ceilLog;
    }
}
