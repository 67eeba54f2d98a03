package org.a2q.engine.quant;

import org.a2q.engine.EngineException;

/**
 * Accumulator bounds of A2Q and A2Q+ and the minimum accumulator widths of a2q-math.md §2.
 *
 * <p>The l1 budgets T come as doubles (what the training-time quantizer clamps against, §8 item 2),
 * everything else in exact {@code long} arithmetic: every width is the smallest P found by a loop
 * over P, never a ceil of a float logarithm (§8 item 14), so values next to a power of two are exact.
 *
 * <p>Symbols: P accumulator bits, N input bits, M weight bits, {@code signed} = 1_s of the layer
 * input, l1 = ‖q‖₁, pos/neg = the one-sided sums Pos(q), Neg(q) of §1.
 */
public final class AccumulatorBound {
    /** Smallest accumulator width a quantizer may target: one sign bit and one value bit. */
    public static final int MIN_ACCUMULATOR_BITS = 2;
    /** Widest accumulator that exact {@code long} arithmetic can describe. */
    public static final int MAX_ACCUMULATOR_BITS = 64;
    public static final int MIN_INPUT_BITS = 1;
    public static final int MAX_INPUT_BITS = 16;
    public static final int MIN_WEIGHT_BITS = 2;
    public static final int MAX_WEIGHT_BITS = 16;

    private AccumulatorBound() {}

    // ---------------------------------------------------------------- l1 budgets (doubles)

    /** T_A2Q = (2^(P−1) − 1) · 2^(1_s − N), a2q-math.md §2.2. */
    public static double tA2q(int accumulatorBits, int inputBits, boolean inputSigned) {
        checkAccumulatorBits(accumulatorBits);
        checkInputBits(inputBits);
        return (double) maxMagnitude(accumulatorBits) / Math.pow(2.0, inputBits - (inputSigned ? 1 : 0));
    }

    /** T_+ = (2^P − 2) / (2^N − 1), a2q-math.md §2.3; the input sign does not enter. */
    public static double tPlus(int accumulatorBits, int inputBits) {
        checkAccumulatorBits(accumulatorBits);
        checkInputBits(inputBits);
        // 2^P − 2 = 2·(2^(P−1) − 1) keeps P = 64 inside long before the conversion.
        return 2.0 * (double) maxMagnitude(accumulatorBits) / (double) inputSpan(inputBits);
    }

    /** T for the given variant: T_A2Q or T_+. */
    public static double budget(A2qVariant variant, int accumulatorBits, int inputBits, boolean inputSigned) {
        return variant == A2qVariant.A2Q_PLUS
                ? tPlus(accumulatorBits, inputBits)
                : tA2q(accumulatorBits, inputBits, inputSigned);
    }

    // ---------------------------------------------------------------- integer budgets

    /** ⌊T_A2Q⌋: the largest integer ‖q‖₁ allowed by A2Q (§2.4), exact. */
    public static long floorA2q(int accumulatorBits, int inputBits, boolean inputSigned) {
        checkAccumulatorBits(accumulatorBits);
        checkInputBits(inputBits);
        return maxMagnitude(accumulatorBits) >>> maxInputShift(inputBits, inputSigned);
    }

    /**
     * ⌊T_+⌋, exact: ⌊(2^P − 2)/(2^N − 1)⌋ computed without forming 2^P. Saturates at
     * Long.MAX_VALUE in the one case it exceeds long (P = 64 with N = 1).
     */
    public static long floorPlus(int accumulatorBits, int inputBits) {
        checkAccumulatorBits(accumulatorBits);
        checkInputBits(inputBits);
        return floorTwiceOver(maxMagnitude(accumulatorBits), inputSpan(inputBits));
    }

    /** ⌊T_+/2⌋ = ⌊(2^(P−1) − 1)/(2^N − 1)⌋: the largest admissible max(Pos, Neg) (§2.3). */
    public static long floorPlusOneSided(int accumulatorBits, int inputBits) {
        checkAccumulatorBits(accumulatorBits);
        checkInputBits(inputBits);
        return maxMagnitude(accumulatorBits) / inputSpan(inputBits);
    }

    // ---------------------------------------------------------------- exact fit checks

    /** ‖q‖₁ · 2^(N − 1_s) ≤ 2^(P−1) − 1 (§2.2), decided exactly. */
    public static boolean fitsA2q(long l1, int accumulatorBits, int inputBits, boolean inputSigned) {
        checkNonNegative("l1", l1);
        return l1 <= floorA2q(accumulatorBits, inputBits, inputSigned); // l1·2^k ≤ L ⇔ l1 ≤ ⌊L/2^k⌋
    }

    /** max(Pos, Neg) · (2^N − 1) ≤ 2^(P−1) − 1, the rigorous A2Q+ condition of §2.3. */
    public static boolean fitsA2qPlus(long pos, long neg, int accumulatorBits, int inputBits) {
        checkNonNegative("Pos", pos);
        checkNonNegative("Neg", neg);
        return Math.max(pos, neg) <= floorPlusOneSided(accumulatorBits, inputBits);
    }

    // ---------------------------------------------------------------- minimum widths

    /**
     * P_dt of §2.1: the smallest P with K · 2^(N + M − 1 − 1_s) ≤ 2^(P−1) − 1, i.e. the width
     * plain QAT must assume without looking at the weights (magnitude 2^(M−1), §8 item 13).
     */
    public static int dataTypeWidth(long dotLength, int inputBits, int weightBits, boolean inputSigned) {
        if (dotLength < 1) {
            throw new EngineException("dot-product length K must be at least 1, got " + dotLength);
        }
        checkInputBits(inputBits);
        checkWeightBits(weightBits);
        int shift = inputBits + weightBits - 1 - (inputSigned ? 1 : 0);
        for (int p = 1; p <= MAX_ACCUMULATOR_BITS; p++) {
            if (dotLength <= maxMagnitude(p) >>> shift) {
                return p;
            }
        }
        throw tooWide("K=" + dotLength + ", N=" + inputBits + ", M=" + weightBits);
    }

    /** P_A2Q of §2.2 for a given ‖q‖₁; ‖q‖₁ = 0 needs 1 bit (§7.3 footnote). */
    public static int a2qWidth(long l1, int inputBits, boolean inputSigned) {
        checkNonNegative("l1", l1);
        checkInputBits(inputBits);
        int shift = maxInputShift(inputBits, inputSigned);
        for (int p = 1; p <= MAX_ACCUMULATOR_BITS; p++) {
            if (l1 <= maxMagnitude(p) >>> shift) {
                return p;
            }
        }
        throw tooWide("l1=" + l1);
    }

    /**
     * The paper's A2Q+ width P_+ = ⌈log₂(‖q‖₁(2^N − 1) + 2)⌉ (§2.3): the smallest P with
     * ‖q‖₁ (2^N − 1) ≤ 2^P − 2. Only valid when Pos = Neg; see {@link #a2qPlusSafeWidth}.
     */
    public static int a2qPlusNaiveWidth(long l1, int inputBits) {
        checkNonNegative("l1", l1);
        checkInputBits(inputBits);
        long span = inputSpan(inputBits);
        for (int p = 1; p <= MAX_ACCUMULATOR_BITS; p++) {
            if (l1 <= floorTwiceOver(maxMagnitude(p), span)) {
                return p;
            }
        }
        throw tooWide("l1=" + l1);
    }

    /** P_+safe = ⌈log₂(2·max(Pos, Neg)(2^N − 1) + 2)⌉ (§2.3), valid for any integer q. */
    public static int a2qPlusSafeWidth(long pos, long neg, int inputBits) {
        checkNonNegative("Pos", pos);
        checkNonNegative("Neg", neg);
        checkInputBits(inputBits);
        long side = Math.max(pos, neg);
        long span = inputSpan(inputBits);
        for (int p = 1; p <= MAX_ACCUMULATOR_BITS; p++) {
            if (side <= maxMagnitude(p) / span) {
                return p;
            }
        }
        throw tooWide("max(Pos,Neg)=" + side);
    }

    /** The reachable extremes of the dot product of §2.5: hi = x_max·Pos − x_min·Neg, lo = x_min·Pos − x_max·Neg. */
    public record WorstCase(long hi, long lo) {}

    /** Exact worst case of §2.5 for a channel with the given one-sided sums. */
    public static WorstCase worstCase(long pos, long neg, int inputBits, boolean inputSigned) {
        checkNonNegative("Pos", pos);
        checkNonNegative("Neg", neg);
        checkInputBits(inputBits);
        long xMin = inputSigned ? -(1L << (inputBits - 1)) : 0L;
        long xMax = inputSigned ? (1L << (inputBits - 1)) - 1 : (1L << inputBits) - 1;
        try {
            long hi = Math.subtractExact(Math.multiplyExact(xMax, pos), Math.multiplyExact(xMin, neg));
            long lo = Math.subtractExact(Math.multiplyExact(xMin, pos), Math.multiplyExact(xMax, neg));
            return new WorstCase(hi, lo);
        } catch (ArithmeticException e) {
            throw tooWide("Pos=" + pos + ", Neg=" + neg);
        }
    }

    /**
     * P_exact of §2.5: the smallest two's-complement width holding [lo, hi], i.e. with
     * hi ≤ 2^(P−1) − 1 and lo ≥ −2^(P−1). Can be one bit below the paper formulas (§8 item 1).
     */
    public static int exactWidth(long pos, long neg, int inputBits, boolean inputSigned) {
        WorstCase w = worstCase(pos, neg, inputBits, inputSigned);
        for (int p = 1; p <= MAX_ACCUMULATOR_BITS; p++) {
            long max = maxMagnitude(p);
            long min = -max - 1; // −2^(P−1); for P = 64 this is Long.MIN_VALUE
            if (w.hi() <= max && w.lo() >= min) {
                return p;
            }
        }
        throw tooWide("hi=" + w.hi() + ", lo=" + w.lo());
    }

    /** P_exact of §2.5 for an integer weight vector. */
    public static int exactWidth(long[] q, int inputBits, boolean inputSigned) {
        long[] sides = oneSidedSums(q);
        return exactWidth(sides[0], sides[1], inputBits, inputSigned);
    }

    /** {Pos(q), Neg(q)} of §1, with overflow reported instead of wrapped. */
    public static long[] oneSidedSums(long[] q) {
        long pos = 0;
        long neg = 0;
        try {
            for (long v : q) {
                if (v > 0) {
                    pos = Math.addExact(pos, v);
                } else if (v < 0) {
                    neg = Math.addExact(neg, Math.negateExact(v));
                }
            }
        } catch (ArithmeticException e) {
            throw new EngineException("integer weights too large: their one-sided sums overflow 64 bits");
        }
        return new long[] {pos, neg};
    }

    // ---------------------------------------------------------------- argument checks

    static void checkAccumulatorBits(int p) {
        if (p < MIN_ACCUMULATOR_BITS || p > MAX_ACCUMULATOR_BITS) {
            throw new EngineException("accumulator width P must be in " + MIN_ACCUMULATOR_BITS + ".."
                    + MAX_ACCUMULATOR_BITS + " bits, got " + p);
        }
    }

    static void checkInputBits(int n) {
        if (n < MIN_INPUT_BITS || n > MAX_INPUT_BITS) {
            throw new EngineException(
                    "input width N must be in " + MIN_INPUT_BITS + ".." + MAX_INPUT_BITS + " bits, got " + n);
        }
    }

    static void checkWeightBits(int m) {
        if (m < MIN_WEIGHT_BITS || m > MAX_WEIGHT_BITS) {
            throw new EngineException(
                    "weight width M must be in " + MIN_WEIGHT_BITS + ".." + MAX_WEIGHT_BITS + " bits, got " + m);
        }
    }

    private static void checkNonNegative(String what, long value) {
        if (value < 0) {
            throw new EngineException(what + " must be non-negative, got " + value);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** 2^(P−1) − 1 for P in 1..64 (P = 64 gives Long.MAX_VALUE through the wrap of 1L << 63). */
    static long maxMagnitude(int p) {
        return (1L << (p - 1)) - 1;
    }

    /** 2^N − 1 = x_max − x_min for either sign (§1). */
    static long inputSpan(int n) {
        return (1L << n) - 1;
    }

    /** log₂ of the A2Q bound on max|x|: N − 1_s (§2.2 uses 2^N, not 2^N − 1, for unsigned inputs). */
    private static int maxInputShift(int n, boolean signed) {
        return n - (signed ? 1 : 0);
    }

    /** ⌊2L/d⌋ = 2⌊L/d⌋ + ⌊2(L mod d)/d⌋ for d ≥ 1, saturating where it exceeds long (d = 1, L near 2^63). */
    private static long floorTwiceOver(long limit, long d) {
        long q = limit / d;
        if (q > (Long.MAX_VALUE - 1) / 2) {
            return Long.MAX_VALUE;
        }
        return 2 * q + (2 * (limit % d)) / d;
    }

    private static EngineException tooWide(String what) {
        return new EngineException("no accumulator of at most " + MAX_ACCUMULATOR_BITS + " bits holds " + what);
    }
}
