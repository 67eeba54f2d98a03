package org.a2q.engine.hw;

import org.a2q.engine.EngineException;

/**
 * The exact, data-independent range of one integer dot product y = Σ q_i·x_i over all inputs of a
 * format (a2q-math §2.5). With Pos = Σ_{q_i>0} q_i and Neg = Σ_{q_i<0} |q_i|, and x_max ≥ 0 ≥ x_min:
 * <pre>
 *   hi = x_max·Pos − x_min·Neg      (reached by x_i = x_max where q_i &gt; 0, x_min where q_i &lt; 0)
 *   lo = x_min·Pos − x_max·Neg      (the reverse)
 * </pre>
 * Every partial sum, over any subset of the terms and so in any order, also lies in [lo, hi],
 * because a subset has one-sided sums Pos_S ≤ Pos and Neg_S ≤ Neg.
 *
 * @param positiveSum Pos(q)
 * @param negativeSum Neg(q)
 * @param hi          largest reachable dot product
 * @param lo          smallest reachable dot product
 */
public record WorstCase(long positiveSum, long negativeSum, long hi, long lo) {

    /**
     * Widest worst case the engine accepts. Keeping |sum| ≤ 2^62 leaves one bit of headroom in the
     * 64-bit carrier, so a register (|reg| ≤ 2^62 for P ≤ 63) plus one lane sum never overflows a long.
     */
    public static final int MAX_EXACT_BITS = 63;

    public static WorstCase of(int[] q, InputFormat format) {
        long pos = 0;
        long neg = 0;
        for (int v : q) {
            // K·2^31 ≤ 2^62 for any Java array length, so these sums cannot overflow.
            if (v > 0) {
                pos += v;
            } else {
                neg -= v;
            }
        }
        long xMax = format.max();
        long xMin = format.min();
        try {
            long hi = Math.subtractExact(Math.multiplyExact(xMax, pos), Math.multiplyExact(xMin, neg));
            long lo = Math.subtractExact(Math.multiplyExact(xMin, pos), Math.multiplyExact(xMax, neg));
            return new WorstCase(pos, neg, hi, lo);
        } catch (ArithmeticException e) {
            throw new EngineException("a weight row with Pos=" + pos + ", Neg=" + neg + " and " + format
                    + " inputs has a worst-case dot product beyond 64 bits; use narrower inputs or smaller weights");
        }
    }

    /** ‖q‖₁ = Pos + Neg. */
    public long l1Norm() {
        return positiveSum + negativeSum;
    }

    /**
     * P_exact = 1 + ⌈log2(max(hi + 1, −lo, 1))⌉, the narrowest two's-complement register that holds
     * every reachable value; equal to max(bitsNeeded(hi), bitsNeeded(lo)) since hi ≥ 0 ≥ lo.
     */
    public int exactBits() {
        return Math.max(PBitArithmetic.bitsNeeded(hi), PBitArithmetic.bitsNeeded(lo));
    }

    /** True when no input of the format can make any partial sum leave the P-bit range. */
    public boolean fitsIn(int p) {
        return PBitArithmetic.inRange(hi, p) && PBitArithmetic.inRange(lo, p);
    }
}
