package org.a2q.app.vm;

import java.math.BigInteger;
import java.util.Locale;
import org.a2q.engine.EngineException;
import org.a2q.engine.quant.AccumulatorBound;

/**
 * The closed-form accumulator bounds the Learn view teaches (a2q-math.md §2.1–2.3, §2.5), computed
 * exactly with integers where the answer is an integer.
 *
 * <p>Every bound that decides something (⌊T⌋, the width rules, the worst case) is the engine's
 * {@link AccumulatorBound}: one copy of the paper's formulas for the CLI, the reports and the GUI.
 * What stays here is presentation: T as an exact fraction, the ranges shown in the explorer.
 * Notation: N input bits, M weight bits, P accumulator bits, K dot-product length, 1_s = 1 for
 * signed inputs.
 */
public final class AccumulatorBounds {
    /** Widths above this would overflow the long arithmetic below; no real accumulator is that wide. */
    public static final int MAX_ACC_BITS = 62;

    private AccumulatorBounds() { }

    /** A non-negative rational number kept as numerator/denominator so the exact value can be shown. */
    public record Fraction(long numerator, long denominator, long floor) {
        /** A fraction whose floor is plain integer division (used where no engine rule applies). */
        public Fraction(long numerator, long denominator) {
            this(numerator, denominator, Math.floorDiv(numerator, Math.max(1, denominator)));
        }

        public Fraction {
            if (denominator <= 0) {
                throw new IllegalArgumentException("denominator must be positive");
            }
            long g = BigInteger.valueOf(numerator).gcd(BigInteger.valueOf(denominator)).longValue();
            if (g > 1) {
                numerator /= g;
                denominator /= g;
            }
        }

        public double value() {
            return (double) numerator / denominator;
        }

        /** "2047/16", or "146" when the value is a whole number. */
        public String exact() {
            return denominator == 1 ? Long.toString(numerator) : numerator + "/" + denominator;
        }
    }

    /** A2Q (§2.2): ‖q‖₁ ≤ T = (2^(P−1) − 1) · 2^(1_s − N), kept exact; ⌊T⌋ is the engine's. */
    public static Fraction tA2q(int p, int n, boolean signedInputs) {
        checkWidths(p, n);
        return new Fraction(pow2(p - 1) - 1, pow2(n - (signedInputs ? 1 : 0)),
                AccumulatorBound.floorA2q(p, n, signedInputs));
    }

    /** A2Q+ (§2.3), zero-centred weights: ‖q‖₁ ≤ T₊ = (2^P − 2) / (2^N − 1), the same for both input signs. */
    public static Fraction tPlus(int p, int n) {
        checkWidths(p, n);
        return new Fraction(pow2(p) - 2, pow2(n) - 1, AccumulatorBound.floorPlus(p, n));
    }

    /** Smallest input value: −2^(N−1) for signed inputs, 0 for unsigned. */
    public static long inputMin(int n, boolean signedInputs) {
        return signedInputs ? -pow2(n - 1) : 0;
    }

    /** Largest input value: 2^(N−1) − 1 for signed inputs, 2^N − 1 for unsigned. */
    public static long inputMax(int n, boolean signedInputs) {
        return signedInputs ? pow2(n - 1) - 1 : pow2(n) - 1;
    }

    /** Largest weight magnitude of a narrow-range M-bit signed integer: 2^(M−1) − 1. */
    public static long weightMaxMagnitude(int m) {
        return pow2(m - 1) - 1;
    }

    /**
     * The magnitude the data-type bound (§2.1) assumes for |y|: K · 2^(N−1_s) · 2^(M−1), shown in
     * the explorer's derivation. It uses 2^(M−1) for the weights although narrow-range weights stop
     * one below (deliberately conservative, as in the reference code).
     */
    public static long dataTypeMagnitude(long k, int n, int m, boolean signedInputs) {
        return Math.multiplyExact(k, pow2(n + m - 1 - (signedInputs ? 1 : 0)));
    }

    /** P_dt (§2.1): the width that holds any dot product of K N-bit inputs and M-bit weights. */
    public static int dataTypeBits(long k, int n, int m, boolean signedInputs) {
        return AccumulatorBound.dataTypeWidth(k, n, m, signedInputs);
    }

    /** What one weight vector can reach, for every input in range (§2.5) and the widths derived from it. */
    public record WorstCase(long l1, long pos, long neg, long hi, long lo, int exactBits, int a2qBits,
                            int plusBitsNaive, int plusBitsSafe, long nonZeros) { }

    /**
     * Exact worst case of Σ q_i x_i over all inputs in range and every width rule, all from the
     * engine (the same code that reports on trained layers), so the explorer and the Budgets view
     * can never disagree.
     *
     * @throws ArithmeticException if the sums do not fit in 63 bits (far beyond any real layer)
     */
    public static WorstCase worstCase(long[] q, int n, boolean signedInputs) {
        long[] sides;
        AccumulatorBound.WorstCase w;
        try {
            sides = AccumulatorBound.oneSidedSums(q);
            w = AccumulatorBound.worstCase(sides[0], sides[1], n, signedInputs);
        } catch (EngineException e) {
            throw new ArithmeticException(e.getMessage());
        }
        long pos = sides[0];
        long neg = sides[1];
        long nnz = 0;
        for (long v : q) {
            if (v != 0) {
                nnz++;
            }
        }
        long l1 = Math.addExact(pos, neg);
        return new WorstCase(l1, pos, neg, w.hi(), w.lo(),
                AccumulatorBound.exactWidth(pos, neg, n, signedInputs),
                AccumulatorBound.a2qWidth(l1, n, signedInputs),
                AccumulatorBound.a2qPlusNaiveWidth(l1, n),
                AccumulatorBound.a2qPlusSafeWidth(pos, neg, n), nnz);
    }

    /** Whether a P-bit accumulator holds the exact range [lo, hi]. */
    public static boolean fits(long hi, long lo, int p) {
        return hi <= pow2(p - 1) - 1 && lo >= -pow2(p - 1);
    }

    /** Formats a double for the explorer: at most 4 decimals, no trailing zeros, '.' as the separator. */
    public static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%,d", (long) v);
        }
        String s = String.format(Locale.ROOT, "%,.4f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    static long pow2(int e) {
        if (e < 0 || e > MAX_ACC_BITS) {
            throw new ArithmeticException("2^" + e + " is outside the supported range");
        }
        return 1L << e;
    }

    private static void checkWidths(int p, int n) {
        if (p < 2 || p > MAX_ACC_BITS) {
            throw new IllegalArgumentException("accumulator width P must be in 2.." + MAX_ACC_BITS + ", got " + p);
        }
        if (n < AccumulatorBound.MIN_INPUT_BITS || n > AccumulatorBound.MAX_INPUT_BITS) {
            throw new IllegalArgumentException("input width N must be in " + AccumulatorBound.MIN_INPUT_BITS + ".."
                    + AccumulatorBound.MAX_INPUT_BITS + ", got " + n);
        }
    }
}
