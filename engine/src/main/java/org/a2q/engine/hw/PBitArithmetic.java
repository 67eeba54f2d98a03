package org.a2q.engine.hw;

import org.a2q.engine.EngineException;

/**
 * Two's-complement arithmetic on a P-bit register held in a {@code long}, for P = 2..64.
 * Narrow hardware accumulators are P = 2..32; P = 64 is the exact 64-bit reference.
 *
 * <p>All shifts are written so that P = 64 works: Java masks shift counts to 6 bits, so a shift
 * by 64 would silently be a shift by 0. Every method here only ever shifts by 0..63.
 */
public final class PBitArithmetic {
    /** Narrowest register: 2 bits hold [−2, 1]; 1 bit would hold only the sign. */
    public static final int MIN_WIDTH = 2;
    /** Widest register: the carrier {@code long} itself. */
    public static final int MAX_WIDTH = 64;

    private PBitArithmetic() {
    }

    /** Validates a register width and returns it. */
    public static int checkWidth(int p) {
        if (p < MIN_WIDTH || p > MAX_WIDTH) {
            throw new EngineException("accumulator width P=" + p + " is not supported; use " + MIN_WIDTH
                    + ".." + MAX_WIDTH + " bits (2..32 for a narrow hardware accumulator, 64 for exact)");
        }
        return p;
    }

    /** Most negative P-bit value, −2^(P−1). For P = 64 this is {@link Long#MIN_VALUE}. */
    public static long minValue(int p) {
        checkWidth(p);
        return -1L << (p - 1);
    }

    /** Largest P-bit value, 2^(P−1) − 1 = ~(−2^(P−1)). */
    public static long maxValue(int p) {
        return ~minValue(p);
    }

    /** True when v is representable in P-bit two's complement. */
    public static boolean inRange(long v, int p) {
        return v >= minValue(p) && v <= maxValue(p);
    }

    /**
     * The value a P-bit register holds after being assigned v: v mod 2^P, read as signed.
     * Shifting the low P bits to the top and arithmetic-shifting back sign-extends bit P−1,
     * which is exactly v − 2^P·round-down((v + 2^(P−1)) / 2^P).
     */
    public static long wrap(long v, int p) {
        int shift = 64 - checkWidth(p);
        return (v << shift) >> shift;
    }

    /** v clamped to [−2^(P−1), 2^(P−1)−1]. */
    public static long saturate(long v, int p) {
        long lo = minValue(p);
        long hi = ~lo;
        return v < lo ? lo : (v > hi ? hi : v);
    }

    /** What a register of the given mode holds after being assigned v (EXACT keeps v). */
    public static long apply(AccumulatorMode mode, long v, int p) {
        return switch (mode) {
            case EXACT -> v;
            case WRAP -> wrap(v, p);
            case SATURATE -> saturate(v, p);
        };
    }

    /**
     * Fewest two's-complement bits that hold v: 1 + bit length of v for v ≥ 0, and of ~v = −v−1
     * for v &lt; 0 (the sign bit plus the magnitude bits). So 0 and −1 need 1 bit, 1 and −2 need 2,
     * 7 and −8 need 4, and {@link Long#MIN_VALUE} / {@link Long#MAX_VALUE} need 64.
     */
    public static int bitsNeeded(long v) {
        // v ^ (v >> 63) is v for v >= 0 and ~v for v < 0, without a branch.
        return 65 - Long.numberOfLeadingZeros(v ^ (v >> 63));
    }

    /**
     * The low P bits of v, most significant first, e.g. (−3, 4) → "1101". For v in range that is
     * the register's contents; for v out of range it is what a wrapping register would keep.
     */
    public static String bitPattern(long v, int p) {
        checkWidth(p);
        char[] c = new char[p];
        for (int i = 0; i < p; i++) {
            c[i] = ((v >>> (p - 1 - i)) & 1L) == 0 ? '0' : '1';
        }
        return new String(c);
    }
}
