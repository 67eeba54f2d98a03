package org.a2q.app.vm;

import java.math.BigInteger;
import java.util.Locale;

/**
 * The closed-form accumulator bounds the Learn view teaches (a2q-math.md §2.1–2.3, §2.5), computed
 * exactly with integers where the answer is an integer.
 *
 * <p>It lives in the app only until the engine's {@code AccumulatorBound} is merged; then these
 * methods will delegate to it so that the workbench keeps a single copy of the paper's formulas.
 * Notation: N input bits, M weight bits, P accumulator bits, K dot-product length, 1_s = 1 for
 * signed inputs.
 */
public final class AccumulatorBounds {
    /** Widths above this would overflow the long arithmetic below; no real accumulator is that wide. */
    public static final int MAX_ACC_BITS = 62;

    private AccumulatorBounds() { }

    /** A non-negative rational number kept as numerator/denominator so the exact value can be shown. */
    public record Fraction(long numerator, long denominator) {
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

        /** ⌊value⌋: the l1 norm of an integer vector is an integer, so this is the usable budget. */
        public long floor() {
            return Math.floorDiv(numerator, denominator);
        }

        /** "2047/16", or "146" when the value is a whole number. */
        public String exact() {
            return denominator == 1 ? Long.toString(numerator) : numerator + "/" + denominator;
        }
    }

    /** A2Q (§2.2): ‖q‖₁ ≤ T = (2^(P−1) − 1) · 2^(1_s − N). */
    public static Fraction tA2q(int p, int n, boolean signedInputs) {
        checkWidths(p, n);
        return new Fraction(pow2(p - 1) - 1, pow2(n - (signedInputs ? 1 : 0)));
    }

    /** A2Q+ (§2.3), zero-centred weights: ‖q‖₁ ≤ T₊ = (2^P − 2) / (2^N − 1), the same for both input signs. */
    public static Fraction tPlus(int p, int n) {
        checkWidths(p, n);
        return new Fraction(pow2(p) - 2, pow2(n) - 1);
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
     * The magnitude the data-type bound (§2.1) assumes for |y|: K · 2^(N−1_s) · 2^(M−1).
     * It uses 2^(M−1) for the weights although narrow-range weights stop one below (deliberately
     * conservative, as in the reference code).
     */
    public static long dataTypeMagnitude(long k, int n, int m, boolean signedInputs) {
        return Math.multiplyExact(k, pow2(n + m - 1 - (signedInputs ? 1 : 0)));
    }

    /** P_dt (§2.1): the width that holds any dot product of K N-bit inputs and M-bit weights. */
    public static int dataTypeBits(long k, int n, int m, boolean signedInputs) {
        return smallestSymmetricWidth(dataTypeMagnitude(k, n, m, signedInputs));
    }

    /** What one weight vector can reach, for every input in range (§2.5) and the widths derived from it. */
    public record WorstCase(long l1, long pos, long neg, long hi, long lo, int exactBits, int a2qBits,
                            int plusBitsNaive, int plusBitsSafe, long nonZeros) { }

    /**
     * Exact worst case of Σ q_i x_i over all inputs x_i in [x_min, x_max]:
     * hi = x_max·Pos − x_min·Neg and lo = x_min·Pos − x_max·Neg; every partial sum stays inside, so
     * the result holds for any accumulation order.
     *
     * @throws ArithmeticException if the sums do not fit in 63 bits (far beyond any real layer)
     */
    public static WorstCase worstCase(long[] q, int n, boolean signedInputs) {
        long pos = 0;
        long neg = 0;
        long nnz = 0;
        for (long v : q) {
            if (v > 0) {
                pos = Math.addExact(pos, v);
            } else if (v < 0) {
                neg = Math.subtractExact(neg, v);
            }
            if (v != 0) {
                nnz++;
            }
        }
        long xMin = inputMin(n, signedInputs);
        long xMax = inputMax(n, signedInputs);
        long hi = Math.subtractExact(Math.multiplyExact(xMax, pos), Math.multiplyExact(xMin, neg));
        long lo = Math.subtractExact(Math.multiplyExact(xMin, pos), Math.multiplyExact(xMax, neg));
        long l1 = Math.addExact(pos, neg);
        return new WorstCase(l1, pos, neg, hi, lo, exactBits(hi, lo), a2qBits(l1, n, signedInputs),
                plusBitsNaive(l1, n), plusBitsSafe(pos, neg, n), nnz);
    }

    /** P_exact: smallest P whose two's-complement range [−2^(P−1), 2^(P−1) − 1] holds [lo, hi]. */
    public static int exactBits(long hi, long lo) {
        for (int p = 1; p <= MAX_ACC_BITS; p++) {
            if (hi <= pow2(p - 1) - 1 && lo >= -pow2(p - 1)) {
                return p;
            }
        }
        throw new ArithmeticException("needs more than " + MAX_ACC_BITS + " bits");
    }

    /** P_A2Q(q) (§2.2): smallest P with ‖q‖₁ · 2^(N−1_s) ≤ 2^(P−1) − 1. */
    public static int a2qBits(long l1, int n, boolean signedInputs) {
        return smallestSymmetricWidth(Math.multiplyExact(l1, pow2(n - (signedInputs ? 1 : 0))));
    }

    /** P₊(q) as published (§2.3): smallest P with 2^P ≥ ‖q‖₁·(2^N − 1) + 2; valid only when Pos = Neg. */
    public static int plusBitsNaive(long l1, int n) {
        return smallestPowerAtLeast(Math.addExact(Math.multiplyExact(l1, pow2(n) - 1), 2));
    }

    /** P₊safe (§2.3): the published formula with 2·max(Pos, Neg) in place of ‖q‖₁; safe for any integer q. */
    public static int plusBitsSafe(long pos, long neg, int n) {
        return smallestPowerAtLeast(Math.addExact(Math.multiplyExact(Math.multiplyExact(2, Math.max(pos, neg)),
                pow2(n) - 1), 2));
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

    /** Smallest P with m ≤ 2^(P−1) − 1 (a symmetric signed range that holds ±m). */
    static int smallestSymmetricWidth(long m) {
        for (int p = 1; p <= MAX_ACC_BITS; p++) {
            if (m <= pow2(p - 1) - 1) {
                return p;
            }
        }
        throw new ArithmeticException("needs more than " + MAX_ACC_BITS + " bits");
    }

    private static int smallestPowerAtLeast(long v) {
        for (int p = 0; p <= MAX_ACC_BITS; p++) {
            if (pow2(p) >= v) {
                return p;
            }
        }
        throw new ArithmeticException("needs more than " + MAX_ACC_BITS + " bits");
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
        if (n < 1 || n > 32) {
            throw new IllegalArgumentException("input width N must be in 1..32, got " + n);
        }
    }
}
