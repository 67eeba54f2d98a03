package org.a2q.engine.quant;

/**
 * The width rules of a2q-math.md §2 side by side for one channel (or, via {@link #max}, a layer):
 * what plain QAT must assume, what A2Q and A2Q+ certify, and what the integers actually need.
 * Ordering for any q: exact ≤ a2qPlusSafe, exact ≤ a2q ≤ dataType; a2qPlusSafe ≤ a2q holds for
 * unsigned inputs only (§7.3: signed [127]×64 gives A2Q 17, safe 18, so §2.5's "always" is too strong).
 *
 * @param dataType     P_dt of §2.1, independent of the weights
 * @param a2q          P_A2Q of §2.2 from ‖q‖₁
 * @param a2qPlusNaive the paper's P_+ of §2.3 from ‖q‖₁; too small when Pos ≠ Neg (§7.3)
 * @param a2qPlusSafe  P_+safe of §2.3 from max(Pos, Neg)
 * @param exact        P_exact of §2.5, two's complement, from the reachable [lo, hi]
 */
public record AccumulatorWidths(int dataType, int a2q, int a2qPlusNaive, int a2qPlusSafe, int exact) {

    /** All rules for one integer channel q of length K = q.length. */
    public static AccumulatorWidths of(long[] q, int inputBits, boolean inputSigned, int weightBits) {
        long[] sides = AccumulatorBound.oneSidedSums(q);
        return of(q.length, sides[0], sides[1], inputBits, inputSigned, weightBits);
    }

    /** All rules for a channel of length K with one-sided sums Pos and Neg. */
    public static AccumulatorWidths of(
            long dotLength, long pos, long neg, int inputBits, boolean inputSigned, int weightBits) {
        long l1 = Math.addExact(pos, neg);
        return new AccumulatorWidths(
                AccumulatorBound.dataTypeWidth(Math.max(dotLength, 1), inputBits, weightBits, inputSigned),
                AccumulatorBound.a2qWidth(l1, inputBits, inputSigned),
                AccumulatorBound.a2qPlusNaiveWidth(l1, inputBits),
                AccumulatorBound.a2qPlusSafeWidth(pos, neg, inputBits),
                AccumulatorBound.exactWidth(pos, neg, inputBits, inputSigned));
    }

    /** Rule by rule maximum: the width a layer needs is that of its widest channel. */
    public AccumulatorWidths max(AccumulatorWidths other) {
        return new AccumulatorWidths(
                Math.max(dataType, other.dataType),
                Math.max(a2q, other.a2q),
                Math.max(a2qPlusNaive, other.a2qPlusNaive),
                Math.max(a2qPlusSafe, other.a2qPlusSafe),
                Math.max(exact, other.exact));
    }
}
